import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import type { FieldChange } from "../../../src/leads/history.js";
import type { Lead } from "../../../src/moco/schemas.js";
import type { SandboxStore } from "../../../src/sandbox/index.js";
import { apiLeads, type MirrorEnv, startEnv } from "../../support/mirror-helpers.js";

/**
 * Another MOCO user creates, changes and deletes leads while the mirror syncs now and then. After
 * every sync the mirror equals the account; the history, replayed forwards from the first sync and
 * rebuilt backwards with stateAt, gives exactly the state seen at each sync.
 */
const patch = fc.record(
  {
    name: fc.string({ minLength: 1, maxLength: 20 }),
    money: fc.integer({ min: 0, max: 10_000_000 }).map((c) => c / 100),
    status: fc.constantFrom("potential", "pending", "won", "lost", "dropped"),
    category: fc.nat(4),
    tags: fc.subarray(["Bestandskunde", "Neukunde", "Wichtig", "Retainer", "Brandneu"]),
    quelle: fc.constantFrom("Empfehlung", "Website", "Messe"),
    projektcode: fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim() !== ""),
    user: fc.nat(5),
    company: fc.option(fc.nat(9)),
    info: fc.string({ maxLength: 30 }),
    reminder: fc.integer({ min: -30, max: 30 }),
    closed: fc.option(fc.integer({ min: 1, max: 28 })),
  },
  { requiredKeys: [] },
);
type Patch = typeof patch extends fc.Arbitrary<infer T> ? T : never;

const op = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant("create" as const), patch }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("update" as const), pick: fc.nat(), patch }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant("delete" as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant("sync" as const) }), weight: 2 },
);

function input(store: SandboxStore, p: Patch): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (p.name !== undefined) body.name = p.name.trim() === "" ? "x" : p.name;
  if (p.money !== undefined) body.money = p.money;
  if (p.status !== undefined) body.status = p.status;
  if (p.category !== undefined)
    body.deal_category_id = store.categories[p.category % store.categories.length]?.id;
  if (p.tags !== undefined) body.tags = p.tags;
  if (p.quelle !== undefined || p.projektcode !== undefined) {
    const custom: Record<string, string> = {};
    if (p.quelle !== undefined) custom.Quelle = p.quelle;
    if (p.projektcode !== undefined) custom.Projektcode = p.projektcode;
    body.custom_properties = custom;
  }
  if (p.user !== undefined) body.user_id = store.users[p.user % store.users.length]?.id;
  if (p.company !== undefined) body.company_id = p.company === null ? null : store.companies[p.company]?.id;
  if (p.info !== undefined) body.info = p.info;
  if (p.reminder !== undefined) body.reminder_date = shift(store.today, p.reminder);
  if (p.closed !== undefined)
    body.closed_on =
      p.closed === null ? null : `${store.today.slice(0, 8)}${String(p.closed).padStart(2, "0")}`;
  return body;
}

function shift(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function redo(lead: Lead, changes: FieldChange[]): Lead {
  const out = structuredClone(lead) as Record<string, unknown>;
  for (const c of changes) {
    if (c.key !== undefined) out.custom_properties ??= {};
    const target = (c.key === undefined ? out : out.custom_properties) as Record<string, unknown>;
    const key = c.key ?? c.field;
    if (Object.hasOwn(c, "new")) target[key] = c.new;
    else delete target[key];
  }
  return out as Lead;
}

let env: MirrorEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe("mirror property", () => {
  it("random creates, updates and deletes interleaved with syncs: mirror equals the account, history replays every synced state", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        await env?.close();
        env = await startEnv({ sandbox: { leads: 230 }, mirror: { freshMs: 0 } });
        const { store } = env.sandbox;
        const seen: { at: string; leads: Lead[] }[] = [];
        const syncAndCheck = async () => {
          const read = await env?.mirror.read({ maxAgeMs: 0 });
          if (!read || !env) throw new Error("no env");
          expect(read.leads).toEqual(apiLeads(env.sandbox));
          seen.push({ at: read.asOf, leads: structuredClone([...read.leads]) });
        };
        await syncAndCheck();
        for (const o of ops) {
          if (o.op === "sync") await syncAndCheck();
          else if (o.op === "create") {
            const body = {
              name: "New",
              currency: "EUR",
              money: 1,
              reminder_date: store.today,
              user_id: store.profileUserId,
              deal_category_id: store.categories[0]?.id,
              ...input(store, o.patch),
            };
            expect(store.createDeal(body).ok).toBe(true);
          } else if (store.deals.length > 0) {
            const deal = store.deals[o.pick % store.deals.length];
            if (!deal) continue;
            if (o.op === "delete") store.deleteDeal(deal);
            else expect(store.updateDeal(deal, input(store, o.patch)).ok).toBe(true);
          }
        }
        await syncAndCheck();
        // Backwards: the state at each sync's instant, rebuilt from the current mirror.
        for (const s of seen) {
          const state = await env.mirror.stateAt(s.at);
          expect(state.ok && state.leads).toEqual(s.leads);
        }
        // Forwards: the first synced state plus every recorded change, in order.
        const rows = await env.store.changes(env.mirror.scope, {});
        const state = new Map((seen[0]?.leads ?? []).map((l) => [l.id, l]));
        let next = 0;
        for (const s of seen.slice(1)) {
          for (; next < rows.length && (rows[next]?.seenAt ?? "") <= s.at; next++) {
            const r = rows[next];
            if (!r) break;
            const data = JSON.parse(r.data);
            if (r.kind === "created") state.set(r.leadId, data);
            else if (r.kind === "deleted") state.delete(r.leadId);
            else state.set(r.leadId, redo(state.get(r.leadId) as Lead, data.changes));
          }
          expect([...state.values()].sort((a, b) => a.id - b.id)).toEqual(s.leads);
        }
        expect(rows.every((r) => r.origin === "sync")).toBe(true);
      }),
      { numRuns: 30 },
    );
  });
});
