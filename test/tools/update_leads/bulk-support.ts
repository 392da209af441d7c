import type { Harness } from "../../support/harness.js";

/**
 * Leads for update_leads tests: each test takes its own, never one another test of the file took, and
 * never one of Nicola's (the reassignment scenario selects those by filter).
 */
export function leadPicker(h: Harness) {
  const taken = new Set<number>();
  const nicola = h.sandbox.store.users.find((u) => u.firstname === "Nicola")?.id;
  return (n: number, status = "pending") => {
    const leads = h.sandbox.store.deals
      .filter((d) => d.status === status && d.user_id !== nicola && !taken.has(d.id))
      .slice(0, n);
    if (leads.length < n) throw new Error(`the seed has fewer than ${n} more ${status} leads`);
    for (const l of leads) taken.add(l.id);
    return leads;
  };
}

/** A lead's current record in the sandbox. */
export function stored(h: Harness, id: number) {
  const deal = h.sandbox.store.deals.find((d) => d.id === id);
  if (!deal) throw new Error(`lead ${id} is not in the sandbox`);
  return deal;
}

/** Changes a lead behind the server's back, as another MOCO user would. */
export function editInMoco(h: Harness, id: number, fields: Record<string, unknown>) {
  const done = h.sandbox.store.updateDeal(stored(h, id), fields);
  if (!done.ok) throw new Error(`sandbox refused ${JSON.stringify(fields)}`);
}

export const putsSince = (h: Harness, from: number) =>
  h.sandbox.requests
    .slice(from)
    .filter((r) => r.method === "PUT")
    .map((r) => r.path);

/** How verify.ts shows a tag list: ["A", "B"]. */
export const tagList = (tags: string[]) => `[${tags.map((t) => JSON.stringify(t)).join(", ")}]`;
