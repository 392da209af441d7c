import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASK_ABOVE, BULK_MAX } from "../../../src/leads/bulk.js";
import { errorOf, type Harness, type Json, sc, startHarness, text } from "../../support/harness.js";
import { leadPicker, putsSince, stored } from "./bulk-support.js";

/** update_leads without elicitation (the confirm_token path): follow-ups of the testers' findings. */
// A configured today far from the machine's clock, so a prediction from the clock shows.
const TODAY = "2031-05-05";
let h: Harness;
let pick: ReturnType<typeof leadPicker>;
beforeAll(async () => {
  h = await startHarness({ sandbox: { today: TODAY }, client: { retryBaseMs: 1, retryMaxMs: 2 } });
  pick = leadPicker(h);
});
afterAll(() => h.close());

describe("update_leads dry run over more than the per-call maximum", () => {
  it("says up front that the real run will be refused, why and what to do, and issues no token", async () => {
    const all = h.sandbox.store.deals.length;
    expect(all).toBeGreaterThan(BULK_MAX);
    const changes = { reminder_date: "2032-01-01" };
    const dry = await h.call("update_leads", { filter: {}, changes, dry_run: true });
    expect(dry.isError, text(dry)).toBeFalsy();
    const line = text(dry).split("\n")[0] as string;
    expect(
      line.startsWith(`A REAL RUN WOULD BE REFUSED: the filter selects ${all} leads, at most ${BULK_MAX}`),
    ).toBe(true);
    expect(line).toContain("Narrow the filter");
    expect(line).not.toContain("To apply");
    expect(sc(dry).confirm_token).toBeUndefined();
    expect(sc(dry).expires_at).toBeUndefined();
    // The real run indeed refuses, and writes nothing.
    const from = h.sandbox.requests.length;
    const real = await h.call("update_leads", { filter: {}, changes });
    expect(errorOf(real).message).toContain(`the filter selects ${all} leads`);
    expect(putsSince(h, from)).toEqual([]);
  });
});

describe("update_leads dry run and the configured today", () => {
  it("predicts closed_on of a lead won without a date as the configured today, which the real run stores", async () => {
    const [lead] = pick(1);
    if (!lead) throw new Error("a pending lead expected");
    const args = { ids: [lead.id], changes: { status: "won" } };
    const dry = await h.call("update_leads", { ...args, dry_run: true });
    const row = (sc(dry).leads as Json[])[0];
    expect(row?.changes).toContain(`closed_on: none → ${TODAY}`);
    const real = await h.call("update_leads", args);
    expect(real.isError, text(real)).toBeFalsy();
    expect(stored(h, lead.id).closed_on).toBe(TODAY);
    expect((sc(real).leads as Json[])[0]?.changes).toEqual(row?.changes);
  });
});

describe("update_leads confirm_token used twice at once", () => {
  it("lets only the first of two concurrent real runs with one token write; the second is refused as used", async () => {
    const leads = pick(ASK_ABOVE + 2);
    const args = { ids: leads.map((l) => l.id), changes: { reminder_date: "2031-09-09" } };
    const dry = await h.call("update_leads", { ...args, dry_run: true });
    const token = sc(dry).confirm_token as string;
    expect(token).toBeTruthy();
    const from = h.sandbox.requests.length;
    const runs = await Promise.all(
      [0, 1].map(() => h.call("update_leads", { ...args, confirm_token: token })),
    );
    const ok = runs.filter((r) => !r.isError);
    const refused = runs.filter((r) => r.isError);
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(errorOf(refused[0] as (typeof runs)[0]).fields).toEqual({ confirm_token: ["used"] });
    expect(text(refused[0] as (typeof runs)[0])).toContain("already used");
    // Each lead written once.
    expect(putsSince(h, from).sort()).toEqual(leads.map((l) => `/deals/${l.id}`).sort());
  });

  it("gives the token back when the run it confirmed wrote nothing, so a retry may use it", async () => {
    const leads = pick(ASK_ABOVE + 1);
    const args = { ids: leads.map((l) => l.id), changes: { reminder_date: "2031-10-10" } };
    const dry = await h.call("update_leads", { ...args, dry_run: true });
    const token = sc(dry).confirm_token as string;
    // MOCO refuses every PUT of the first run (a 422 is certain: nothing stored).
    h.sandbox.faults.push({
      method: "PUT",
      path: "/deals/",
      kind: "status",
      status: 422,
      times: leads.length,
    });
    const first = await h.call("update_leads", { ...args, confirm_token: token });
    expect(sc(first).counts).toMatchObject({ changed: 0, failed: leads.length });
    const again = await h.call("update_leads", { ...args, confirm_token: token });
    expect(again.isError, text(again)).toBeFalsy();
    expect(sc(again).counts).toMatchObject({ changed: leads.length });
  });
});

describe("update_leads text", () => {
  it("ends a name-match warning with a full stop before what was selected", async () => {
    const dry = await h.call("update_leads", {
      filter: { user: "Nicola", status: "pending" },
      changes: { user: "Lea" },
      dry_run: true,
    });
    expect(dry.isError, text(dry)).toBeFalsy();
    expect(text(dry)).toContain("check it is the one meant. Selected: ");
  });

  it("says 1 lead, not 1 leads", async () => {
    const [lead] = pick(1);
    const dry = await h.call("update_leads", {
      ids: [lead?.id],
      changes: { reminder_date: "2031-11-11" },
      dry_run: true,
    });
    expect(text(dry)).toContain("1 of 1 lead would change");
    const real = await h.call("update_leads", { ids: [lead?.id], changes: { reminder_date: "2031-11-11" } });
    expect(text(real)).toContain("Changed 1 of 1 lead (");
  });
});
