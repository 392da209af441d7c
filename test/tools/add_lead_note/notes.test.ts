import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, type Harness, startHarness, text } from "../../support/harness.js";
import { counting, sc, store, writesSince } from "../../support/write-helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe("notes on a lead", () => {
  it("adds a note and reads it back, newest first", async () => {
    const lead = store(h).deals[5];
    if (!lead) throw new Error("no lead");
    const { result: added, requests } = await counting(h, () =>
      h.call("add_lead_note", {
        id: lead.id,
        text: "<div>Call mit <strong>Max</strong>: Angebot bis Freitag</div>",
      }),
    );
    expect(added.isError, text(added)).toBeFalsy();
    const note = sc(added).note;
    expect(note).toMatchObject({
      text: "<div>Call mit <strong>Max</strong>: Angebot bis Freitag</div>",
      user: "Anna Schmid",
    });
    expect(requests).toEqual(["POST /comments"]);
    expect(h.sandbox.requests.at(-1)?.body).toEqual({
      commentable_type: "Deal",
      commentable_id: lead.id,
      text: "<div>Call mit <strong>Max</strong>: Angebot bis Freitag</div>",
    });

    const { result: read, requests: reads } = await counting(h, () =>
      h.call("get_lead", { id: lead.id, include_notes: true }),
    );
    const data = sc(read);
    expect(data.notes[0]).toEqual({
      id: note.id,
      text: note.text,
      user: "Anna Schmid",
      created_at: note.created_at,
    });
    const stored = store(h).comments.filter(
      (c) => c.commentable_type === "Deal" && c.commentable_id === lead.id,
    );
    expect(data.notes).toHaveLength(stored.length);
    expect(reads).toEqual([`GET /deals/${lead.id}`, "GET /comments"]);
    expect(new URLSearchParams(h.sandbox.requests.at(-1)?.query).get("commentable_id")).toBe(String(lead.id));
  });

  it("leaves notes out (and MOCO alone) unless asked", async () => {
    const lead = store(h).deals[5];
    if (!lead) throw new Error("no lead");
    const { result, requests } = await counting(h, () => h.call("get_lead", { id: lead.id }));
    expect(sc(result)).not.toHaveProperty("notes");
    expect(requests).toEqual([`GET /deals/${lead.id}`]);
  });

  it("passes MOCO's refusal through for a lead that does not exist", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("add_lead_note", { id: 99_999_999, text: "Hallo" });
    expect(errorOf(r).kind).toBe("validation");
    expect(writesSince(h, from)).toEqual(["POST /comments"]);
    expect(store(h).comments.some((c) => c.commentable_id === 99_999_999)).toBe(false);
  });

  it("refuses an empty note before any request", async () => {
    const from = h.sandbox.requests.length;
    const r = await h.call("add_lead_note", { id: 1, text: "   " });
    expect(r.isError).toBe(true);
    expect(h.sandbox.requests.length).toBe(from);
  });
});
