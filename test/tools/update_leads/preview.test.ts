import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";
import { type IdsIgnored, startIdsIgnored } from "../../support/ignores-ids.js";
import { baseLead, companyNamed } from "../../support/write-helpers.js";
import { editInMoco, leadPicker, putsSince, stored } from "./bulk-support.js";

/** What a dry run of update_leads shows is what a real run writes: the same leads, nothing more. */
let h: Harness;
let pick: ReturnType<typeof leadPicker>;
beforeAll(async () => {
  h = await startHarness({ client: { retryBaseMs: 1, retryMaxMs: 2 } });
  pick = leadPicker(h);
});
afterAll(() => h.close());

const rowsOf = (r: Json) => Object.fromEntries((sc(r).leads as Json[]).map((row) => [row.id, row]));

/** A new tag of its own per test, put on the given leads behind the server's back. */
function tagged(tag: string, ids: number[]) {
  for (const id of ids) editInMoco(h, id, { tags: [tag] });
  return { tags: [tag] };
}

describe("update_leads dry run rows", () => {
  it("show each lead's id, name, status, stage, owner, company, amount and currency besides its changes", async () => {
    const [lead] = pick(1);
    if (!lead) throw new Error("a lead expected");
    const r = await h.call("update_leads", { ids: [lead.id], changes: { status: "lost" }, dry_run: true });
    expect(r.isError, text(r)).toBeFalsy();
    const d = stored(h, lead.id);
    const store = h.sandbox.store;
    const owner = store.users.find((u) => u.id === d.user_id);
    expect(rowsOf(r)[lead.id]).toEqual({
      id: lead.id,
      name: d.name,
      status: "pending",
      stage: store.categories.find((c) => c.id === d.deal_category_id)?.name,
      user: `${owner?.firstname} ${owner?.lastname}`,
      company: store.companies.find((c) => c.id === d.company_id)?.name ?? null,
      money: d.money,
      currency: d.currency,
      outcome: "would_change",
      changes: ["status: pending → lost"],
    });
  });

  it('"Selected:" echoes every filter given, not only the names', async () => {
    const leads = pick(2);
    const filter = {
      ...tagged(
        "Echo-Probe",
        leads.map((l) => l.id),
      ),
      status: "pending",
      user: "Nicola",
      due: "overdue",
    };
    const r = await h.call("update_leads", {
      filter,
      changes: { reminder_date: "2031-01-01" },
      dry_run: true,
    });
    expect(r.isError, text(r)).toBeFalsy();
    const line = text(r).split("\n")[0]?.split(" Dry run")[0] ?? "";
    expect(line).toMatch(/^Selected: /);
    expect(line).toContain('tags = ["Echo-Probe"]');
    expect(line).toContain('status = "pending"');
    expect(line).toMatch(/user = Nicola Keller \(id \d+\)/);
    expect(line).toContain("due overdue = ");
  });
});

describe("update_leads applies exactly the previewed leads", () => {
  it("a dry run of 2 leads gives a token binding those ids; the real run writes them, not a lead the filter finds since", async () => {
    const leads = pick(2);
    const filter = tagged(
      "Preview-Exact",
      leads.map((l) => l.id),
    );
    const changes = { reminder_date: "2031-02-02" };
    const dry = await h.call("update_leads", { filter, changes, dry_run: true });
    expect(sc(dry).counts).toMatchObject({ would_change: 2 });
    const token = sc(dry).confirm_token as string;
    expect(token).toMatch(/^\d+\.\d+\.[\w-]{22}\.[\w-]{22}$/);
    const ids = leads.map((l) => l.id).sort((a, b) => a - b);
    expect(text(dry)).toContain(`with ids [${ids.join(",")}] (exactly these leads, not the filter)`);
    // A third lead matches the filter after the preview: no one saw it.
    const [late] = pick(1);
    if (!late) throw new Error("a lead expected");
    editInMoco(h, late.id, { tags: ["Preview-Exact"] });
    const from = h.sandbox.requests.length;
    const run = await h.call("update_leads", { ids, changes, confirm_token: token });
    expect(run.isError, text(run)).toBeFalsy();
    expect(sc(run).counts).toMatchObject({ changed: 2, failed: 0 });
    expect(putsSince(h, from).sort()).toEqual(ids.map((id) => `/deals/${id}`).sort());
    expect(stored(h, late.id).reminder_date).not.toBe("2031-02-02");
  });

  it("refuses a real run over a filter without a token (nothing written), and a token passed with a filter", async () => {
    const leads = pick(2);
    const filter = tagged(
      "Preview-Refuse",
      leads.map((l) => l.id),
    );
    const changes = { reminder_date: "2031-03-03" };
    const from = h.sandbox.requests.length;
    const bare = await h.call("update_leads", { filter, changes });
    expect(errorOf(bare).fields).toEqual({ confirm_token: ["missing"] });
    expect(text(bare)).toMatch(/^Nothing was changed: a filter selects anew at every call/);
    expect(text(bare)).toContain("dry_run: true");
    const token = sc(await h.call("update_leads", { filter, changes, dry_run: true })).confirm_token;
    const withFilter = await h.call("update_leads", { filter, changes, confirm_token: token });
    expect(errorOf(withFilter).fields).toEqual({ confirm_token: ["filter"] });
    expect(putsSince(h, from)).toEqual([]);
  });

  it("a token for other ids or other changes is refused, nothing written", async () => {
    const [a, b] = pick(2);
    if (!a || !b) throw new Error("two leads expected");
    const changes = { reminder_date: "2031-04-04" };
    const token = sc(await h.call("update_leads", { ids: [a.id], changes, dry_run: true })).confirm_token;
    const from = h.sandbox.requests.length;
    const more = await h.call("update_leads", { ids: [a.id, b.id], changes, confirm_token: token });
    expect(errorOf(more).fields).toEqual({ confirm_token: ["other"] });
    const other = await h.call("update_leads", {
      ids: [a.id],
      changes: { reminder_date: "2031-04-05" },
      confirm_token: token,
    });
    expect(errorOf(other).fields).toEqual({ confirm_token: ["other"] });
    expect(putsSince(h, from)).toEqual([]);
  });

  it("skips and reports a lead changed since the preview, writes the other", async () => {
    const [a, b] = pick(2);
    if (!a || !b) throw new Error("two leads expected");
    const args = { ids: [a.id, b.id], changes: { reminder_date: "2031-05-05" } };
    const token = sc(await h.call("update_leads", { ...args, dry_run: true })).confirm_token;
    await new Promise((r) => setTimeout(r, 1100)); // updated_at has whole seconds
    editInMoco(h, b.id, { money: 4321 });
    const from = h.sandbox.requests.length;
    const r = await h.call("update_leads", { ...args, confirm_token: token });
    expect(r.isError, text(r)).toBeFalsy();
    expect(rowsOf(r)[b.id]).toMatchObject({ outcome: "skipped" });
    expect(rowsOf(r)[a.id]).toMatchObject({ outcome: "changed" });
    expect(putsSince(h, from)).toEqual([`/deals/${a.id}`]);
    expect(stored(h, b.id).reminder_date).not.toBe("2031-05-05");
  });
});

describe("update_leads against a MOCO that ignores the ids filter", () => {
  let m: IdsIgnored;
  beforeAll(async () => {
    m = await startIdsIgnored();
  });
  afterAll(() => m.close());

  const putsOf = (from: number) =>
    m.proxy.requests
      .slice(from)
      .filter((q) => q.method === "PUT")
      .map((q) => q.path);

  it("writes only the 2 leads asked for, and says what MOCO sent beyond them", async () => {
    const open = m.sandbox.store.deals.filter((d) => d.status === "pending").slice(0, 2);
    const ids = open.map((d) => d.id);
    const from = m.proxy.requests.length;
    const r = await m.call("update_leads", { ids, changes: { reminder_date: "2031-06-06" } });
    expect(r.isError, text(r)).toBeFalsy();
    expect(putsOf(from).sort()).toEqual(ids.map((id) => `/deals/${id}`).sort());
    expect((sc(r).leads as Json[]).map((l) => l.id).sort()).toEqual([...ids].sort());
    expect(text(r)).toMatch(
      /MOCO's answer also held \d+ leads not asked for \(.*\): it ignored the ids filter, and they were left out/,
    );
  });

  it("reads a lead MOCO's answer left out on its own: not reported missing, written", async () => {
    // The stand-in sends page 1 of 100: a lead beyond it is absent from the answer though it exists.
    const deals = m.sandbox.store.deals;
    const far = [...deals].sort((x, y) => y.id - x.id).find((d) => d.status === "pending");
    if (!far || deals.length <= 100) throw new Error("the seed must hold more than 100 leads");
    const from = m.proxy.requests.length;
    const r = await m.call("update_leads", {
      ids: [far.id],
      changes: { reminder_date: "2031-07-07" },
      dry_run: true,
    });
    expect(r.isError, text(r)).toBeFalsy();
    expect(rowsOf(r)[far.id]).toMatchObject({ outcome: "would_change" });
    expect(m.proxy.requests.slice(from).map((q) => `${q.method} ${q.path.split("?")[0]}`)).toContain(
      `GET /deals/${far.id}`,
    );
  });
});

describe("update_leads with an id MOCO does not hold", () => {
  it("reports it failed only on MOCO's 404 for it", async () => {
    const made = h.sandbox.store.createDeal({
      ...baseLead(h, { name: "Wird gelöscht" }),
      company_id: companyNamed(h, "Beispiel AG").id,
    });
    if (!made.ok) throw new Error("could not seed");
    const id = made.value.id;
    h.sandbox.store.deals.splice(
      h.sandbox.store.deals.findIndex((d) => d.id === id),
      1,
    );
    const from = h.sandbox.requests.length;
    const r = await h.call("update_leads", { ids: [id], changes: { status: "lost" }, dry_run: true });
    expect(rowsOf(r)[id]).toMatchObject({
      outcome: "failed",
      reason: `lead ${id} not found: MOCO answered 404`,
    });
    expect(h.sandbox.requests.slice(from).map((q) => `${q.method} ${q.path}`)).toEqual([
      "GET /deals",
      `GET /deals/${id}`,
    ]);
  });
});
