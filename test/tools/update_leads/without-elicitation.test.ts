import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASK_ABOVE } from "../../../src/leads/bulk.js";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";
import { requestsSince } from "../../support/write-helpers.js";
import { editInMoco, leadPicker, putsSince, stored, tagList } from "./bulk-support.js";

/** update_leads with a client that cannot elicit (the stateless HTTP case). */
describe("update_leads without elicitation", () => {
  let h: Harness;
  let pick: ReturnType<typeof leadPicker>;
  beforeAll(async () => {
    h = await startHarness({ client: { retryBaseMs: 1, retryMaxMs: 2 } });
    pick = leadPicker(h);
  });
  afterAll(() => h.close());

  /** What a dry-run row shows of a lead besides its changes, from the sandbox's record. */
  const facts = (id: number) => {
    const d = stored(h, id);
    const store = h.sandbox.store;
    const u = store.users.find((x) => x.id === d.user_id);
    return {
      status: d.status,
      stage: store.categories.find((c) => c.id === d.deal_category_id)?.name ?? null,
      user: u ? `${u.firstname} ${u.lastname}` : null,
      company: store.companies.find((c) => c.id === d.company_id)?.name ?? null,
      money: d.money,
      currency: d.currency,
    };
  };
  const rowsOf = (r: Json) => Object.fromEntries((sc(r).leads as Json[]).map((row) => [row.id, row]));

  it("dry run: lists each lead's exact changes, marks the one already there unchanged, writes nothing", async () => {
    const [a, b, c] = pick(3);
    if (!a || !b || !c) throw new Error("three leads expected");
    editInMoco(h, a.id, { tags: ["Neukunde", "Relaunch"] });
    editInMoco(h, b.id, { tags: [] });
    editInMoco(h, c.id, { reminder_date: "2027-03-15", tags: ["Wichtig"] });
    const before = { a: { ...stored(h, a.id) }, b: { ...stored(h, b.id) } };
    const from = h.sandbox.requests.length;
    const r = await h.call("update_leads", {
      ids: [a.id, b.id, c.id],
      changes: { reminder_date: "2027-03-15", tags: ["Wichtig"] },
      dry_run: true,
    });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r)).toMatchObject({ dry_run: true, written: false, counts: { would_change: 2, unchanged: 1 } });
    const rows = rowsOf(r);
    for (const [lead, was] of [
      [a, before.a],
      [b, before.b],
    ] as const) {
      expect(rows[lead.id]).toEqual({
        id: lead.id,
        name: lead.name,
        ...facts(lead.id),
        outcome: "would_change",
        changes: [
          `reminder_date: ${was.reminder_date} → 2027-03-15`,
          `tags: ${tagList(was.tags)} → ["Wichtig"]`,
        ],
      });
    }
    expect(rows[c.id]).toEqual({ id: c.id, name: c.name, ...facts(c.id), outcome: "unchanged" });
    expect(requestsSince(h, from).filter((q) => !q.startsWith("GET "))).toEqual([]);
    expect(stored(h, a.id).reminder_date).toBe(before.a.reminder_date);
    // Any size: the token binds exactly the leads shown.
    expect(sc(r).confirm_token).toMatch(/^\d+\.\d+\.[\w-]{22}\.[\w-]{22}$/);
  });

  it("real run: the changes MOCO made are the ones the dry run listed; one PUT per changing lead, no re-read", async () => {
    const [a, b, c] = pick(3);
    if (!a || !b || !c) throw new Error("three leads expected");
    editInMoco(h, c.id, { status: "potential" });
    const args = { ids: [a.id, b.id, c.id], changes: { status: "potential" } };
    const dry = await h.call("update_leads", { ...args, dry_run: true });
    const from = h.sandbox.requests.length;
    const r = await h.call("update_leads", args);
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r)).toMatchObject({
      dry_run: false,
      written: true,
      counts: { changed: 2, unchanged: 1, failed: 0 },
    });
    const planned = rowsOf(dry);
    const done = rowsOf(r);
    for (const lead of [a, b]) {
      expect(done[lead.id]).toMatchObject({ outcome: "changed", changes: planned[lead.id].changes });
      expect(stored(h, lead.id).status).toBe("potential");
    }
    expect(done[c.id]).toMatchObject({ outcome: "unchanged" });
    expect(requestsSince(h, from).sort()).toEqual(
      ["GET /deals", `PUT /deals/${a.id}`, `PUT /deals/${b.id}`].sort(),
    );
  });

  it("reports each lead: changed, unchanged, failed with MOCO's reason, and a may-have-succeeded one flagged", async () => {
    const [ok, same, refused, lost] = pick(4);
    if (!ok || !same || !refused || !lost) throw new Error("four leads expected");
    editInMoco(h, same.id, { reminder_date: "2027-04-01" });
    h.sandbox.faults.push({
      kind: "status",
      status: 422,
      method: "PUT",
      path: `/deals/${refused.id}`,
      body: { reminder_date: ["ist nicht gültig"] },
    });
    const resets = { kind: "reset" as const, method: "PUT", path: `/deals/${lost.id}`, times: 10 };
    h.sandbox.faults.push(resets);
    try {
      const r = await h.call("update_leads", {
        ids: [ok.id, same.id, refused.id, lost.id],
        changes: { reminder_date: "2027-04-01" },
      });
      expect(r.isError, text(r)).toBeFalsy();
      expect(sc(r).counts).toEqual({ would_change: 0, changed: 1, unchanged: 1, skipped: 0, failed: 2 });
      const rows = rowsOf(r);
      expect(rows[ok.id].outcome).toBe("changed");
      expect(rows[same.id].outcome).toBe("unchanged");
      expect(rows[refused.id]).toMatchObject({ outcome: "failed" });
      expect(rows[refused.id].reason).toContain("ist nicht gültig");
      expect(rows[refused.id].may_have_succeeded).toBeUndefined();
      expect(rows[lost.id]).toMatchObject({ outcome: "failed", may_have_succeeded: true });
      expect(rows[lost.id].reason).toContain("MAY HAVE BEEN APPLIED");
      expect(text(r)).toContain(`FAILED: lead ${refused.id} "${refused.name}"`);
      expect(text(r)).toContain(`lead ${lost.id} "${lost.name}"`);
      expect(stored(h, refused.id).reminder_date).not.toBe("2027-04-01");
    } finally {
      resets.times = 0;
    }
  });

  it(`over ${ASK_ABOVE} leads: refused without a token, applied with the dry run's token`, async () => {
    const leads = pick(ASK_ABOVE + 2);
    const args = { ids: leads.map((l) => l.id), changes: { reminder_date: "2027-05-01" } };
    let from = h.sandbox.requests.length;
    const bare = await h.call("update_leads", args);
    expect(errorOf(bare).fields).toEqual({ confirm_token: ["missing"] });
    expect(text(bare)).toMatch(/^Nothing was changed: changing 12 leads needs the human's go-ahead/);
    expect(putsSince(h, from)).toEqual([]);

    const dry = await h.call("update_leads", { ...args, dry_run: true });
    const token = sc(dry).confirm_token as string;
    expect(token).toMatch(/^\d+\.\d+\.[\w-]{22}\.[\w-]{22}$/);
    expect(text(dry)).toContain("the same changes and confirm_token (before ");

    from = h.sandbox.requests.length;
    const other = await h.call("update_leads", {
      ...args,
      changes: { reminder_date: "2027-05-02" },
      confirm_token: token,
    });
    expect(errorOf(other).fields).toEqual({ confirm_token: ["other"] });
    const fewer = await h.call("update_leads", { ...args, ids: args.ids.slice(1), confirm_token: token });
    expect(errorOf(fewer).fields).toEqual({ confirm_token: ["other"] });
    expect(putsSince(h, from)).toEqual([]);

    const r = await h.call("update_leads", { ...args, confirm_token: token });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).counts).toMatchObject({ changed: ASK_ABOVE + 2, failed: 0 });
    for (const l of leads) expect(stored(h, l.id).reminder_date).toBe("2027-05-01");
  });

  it("skips and reports the lead that changed in MOCO after the dry run, writes the others", async () => {
    const leads = pick(ASK_ABOVE + 1);
    const args = { ids: leads.map((l) => l.id), changes: { reminder_date: "2027-06-01" } };
    const token = sc(await h.call("update_leads", { ...args, dry_run: true })).confirm_token as string;
    // MOCO's updated_at has whole seconds: the change lands after the dry run's newest one.
    await new Promise((r) => setTimeout(r, 1100));
    const changed = (leads[3] ?? leads[0])?.id as number;
    editInMoco(h, changed, { money: 1234 });
    const from = h.sandbox.requests.length;
    const r = await h.call("update_leads", { ...args, confirm_token: token });
    expect(r.isError, text(r)).toBeFalsy();
    expect(sc(r).counts).toMatchObject({ changed: ASK_ABOVE, skipped: 1, failed: 0 });
    expect(rowsOf(r)[changed]).toMatchObject({ outcome: "skipped" });
    expect(rowsOf(r)[changed].reason).toContain("changed in MOCO since the dry run");
    expect(text(r)).toContain(`1 skipped (changed in MOCO since the dry run: ${changed})`);
    expect(putsSince(h, from)).not.toContain(`/deals/${changed}`);
    expect(putsSince(h, from)).toHaveLength(ASK_ABOVE);
  });

  it("dry run predicts what MOCO stores: the account's tag spelling, closed_on ignored while open (and says so)", async () => {
    const [tagged, open] = pick(2);
    if (!tagged || !open) throw new Error("two leads expected");
    editInMoco(h, tagged.id, { tags: ["Wichtig"] });
    const r = await h.call("update_leads", {
      ids: [tagged.id],
      changes: { tags: ["wichtig"] },
      dry_run: true,
    });
    expect(rowsOf(r)[tagged.id]).toMatchObject({ outcome: "unchanged" });
    const c = await h.call("update_leads", {
      ids: [open.id],
      changes: { closed_on: "2026-01-15" },
      dry_run: true,
    });
    expect(rowsOf(c)[open.id]).toMatchObject({ outcome: "unchanged" });
    expect(text(c)).toContain("closed_on: MOCO ignores it while a lead is pending or potential");
  });

  it("refuses more than 100 ids before any request", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("update_leads", {
      ids: Array.from({ length: 101 }, (_, i) => i + 1),
      changes: { status: "lost" },
      dry_run: true,
    });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/ids/);
    expect(h.sandbox.requests.length).toBe(from);
  });

  it("refuses names that do not resolve, with candidates, before reading any lead", async () => {
    const [lead] = pick(1);
    const from = h.sandbox.requests.length;
    const r = await h.call("update_leads", {
      ids: [lead?.id],
      changes: { user: "Lea Brunnerr", deal_category: "Angebot erstelen" },
    });
    const error = errorOf(r);
    expect(error.kind).toBe("invalid_input");
    expect(error.fields.user.join(" ")).toContain("Lea Brunner (id ");
    expect(error.fields.deal_category.length).toBeGreaterThan(0);
    expect(requestsSince(h, from).filter((q) => q.startsWith("GET /deals") || !q.startsWith("GET "))).toEqual(
      [],
    );
  });

  it("refuses a real run over an incomplete filter selection, and one of more than 100 leads", async () => {
    const few = await startHarness({ config: { maxScanPages: 1 } });
    try {
      const dry = await few.call("update_leads", {
        filter: { status: "open" },
        changes: { reminder_date: "2027-07-01" },
        dry_run: true,
      });
      expect(text(dry)).toMatch(
        /INCOMPLETE: only \d+ (of the \d+ )?leads (MOCO selected )?were read before the page cap/,
      );
      expect(text(dry)).toContain("A real run over this filter is refused.");
      const from = few.sandbox.requests.length;
      const r = await few.call("update_leads", {
        filter: { status: "open" },
        changes: { reminder_date: "2027-07-01" },
      });
      expect(text(r)).toMatch(/^Nothing was changed: the filter selection is incomplete/);
      expect(putsSince(few, from)).toEqual([]);
    } finally {
      await few.close();
    }
    const from = h.sandbox.requests.length;
    const r = await h.call("update_leads", {
      filter: { status: "open" },
      changes: { reminder_date: "2027-07-01" },
    });
    expect(text(r)).toMatch(/^Nothing was changed: the filter selects \d+ leads, at most 100/);
    expect(putsSince(h, from)).toEqual([]);
  });

  it("keeps the reply under 30 KB for 100 leads, every lead accounted for", async () => {
    const leads = h.sandbox.store.deals.slice(0, 100);
    const r = await h.call("update_leads", {
      ids: leads.map((l) => l.id),
      changes: { reminder_date: "2029-01-31", tags: ["Strategisch", "Wichtig", "Relaunch"] },
      dry_run: true,
    });
    expect(r.isError, text(r)).toBeFalsy();
    const bytes = Buffer.byteLength(
      JSON.stringify({ content: r.content, structuredContent: r.structuredContent }),
    );
    expect(bytes).toBeLessThanOrEqual(30_000);
    expect((sc(r).leads as Json[]).map((l) => l.id).sort()).toEqual(leads.map((l) => l.id).sort());
  });

  it("reassigns all of Nicola's overdue leads to Lea in 3 calls: dry run, run, check", async () => {
    const filter = { user: "Nicola", due: "overdue" };
    const dry = await h.call("update_leads", { filter, changes: { user: "Lea" }, dry_run: true });
    expect(dry.isError, text(dry)).toBeFalsy();
    const n = sc(dry).counts.would_change as number;
    expect(n).toBeGreaterThan(ASK_ABOVE);
    for (const row of sc(dry).leads as Json[]) {
      expect(row.changes).toEqual([
        expect.stringMatching(/^user: Nicola Keller \(id \d+\) → Lea Brunner \(id \d+\)$/),
      ]);
    }
    const run = await h.call("update_leads", {
      ids: (sc(dry).leads as Json[]).map((l) => l.id),
      changes: { user: "Lea" },
      confirm_token: sc(dry).confirm_token,
    });
    expect(run.isError, text(run)).toBeFalsy();
    expect(sc(run).counts).toMatchObject({ changed: n, failed: 0 });
    const check = await h.call("list_leads", filter);
    expect(check.isError, text(check)).toBeFalsy();
    expect(sc(check).leads).toEqual([]);
  });
});
