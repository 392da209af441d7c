import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { call, newLead, record, TODAY } from "./helpers.js";

/** Key order of a recorded POST /deals answer (2022), plus the fields MOCO added since, before the timestamps. */
const RECORDED_KEYS = [
  "id",
  "name",
  "status",
  "reminder_date",
  "closed_on",
  "money",
  "currency",
  "info",
  "tags",
  "custom_properties",
  "user",
  "person",
  "customer",
  "company",
  "category",
  "created_at",
  "updated_at",
];
const LEAD_KEYS = [
  ...RECORDED_KEYS.slice(0, -2),
  "service_period_from",
  "service_period_to",
  "inbox_email_address",
  "created_at",
  "updated_at",
];
const BLANK = ["muss ausgefüllt werden"];
const INVALID = ["ist nicht gültig"];

describe("writing leads", () => {
  let sb: Sandbox;
  const create = async (overrides: Record<string, unknown> = {}) =>
    call(sb, "POST", "/deals", { body: newLead(sb, overrides) });
  const createOk = async (overrides: Record<string, unknown> = {}) => {
    const answer = await create(overrides);
    expect(answer.status, answer.text).toBe(200);
    return record(answer);
  };

  beforeAll(async () => {
    sb = await startSandbox({ today: TODAY });
  });
  afterAll(() => sb.close());

  it("creates with 200 and the recorded shape, key order and defaults", async () => {
    const category = sb.store.categories[0];
    const user = sb.store.profile();
    // The recorded request: pending with a closed_on, which MOCO ignored.
    const lead = await createOk({
      name: "TestDeal.test_create",
      currency: "EUR",
      money: 200,
      status: "pending",
      closed_on: "2021-01-01",
      reminder_date: "2020-01-01",
    });
    expect(Object.keys(lead)).toEqual(LEAD_KEYS);
    expect(Object.keys(lead).filter((k) => RECORDED_KEYS.includes(k))).toEqual(RECORDED_KEYS);
    expect(lead).toMatchObject({
      name: "TestDeal.test_create",
      status: "pending",
      reminder_date: "2020-01-01",
      closed_on: "",
      money: 200,
      currency: "EUR",
      info: "",
      tags: [],
      custom_properties: {},
      user: { id: user.id, firstname: user.firstname, lastname: user.lastname },
      person: null,
      customer: null,
      company: null,
      category: { id: category?.id, name: "Kontaktieren", probability: 1 },
      service_period_from: null,
      service_period_to: null,
      inbox_email_address: `deal-${lead.id}@inbox.example.mocoapp.com`,
    });
    expect(lead.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(lead.updated_at).toBe(lead.created_at);
    expect(record(await call(sb, "GET", `/deals/${lead.id}`))).toEqual(lead);
  });

  it("defaults status to pending and ignores unknown top-level fields", async () => {
    const lead = await createOk({ colour: "blue", probability: 99 });
    expect(lead.status).toBe("pending");
    expect(lead).not.toHaveProperty("colour");
  });

  it("answers missing mandatory fields with a bare German field map (422)", async () => {
    const answer = await call(sb, "POST", "/deals", { body: {} });
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual({
      name: BLANK,
      currency: BLANK,
      money: BLANK,
      reminder_date: BLANK,
      user_id: BLANK,
      deal_category_id: BLANK,
    });
  });

  it("answers unknown references and bad values with 'ist nicht gültig'", async () => {
    const answer = await call(sb, "POST", "/deals", {
      body: {
        ...newLead(sb, { user_id: 1, company_id: 2, person_id: 3, reminder_date: "2026-02-30" }),
        name: "",
      },
    });
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual({
      name: BLANK,
      reminder_date: INVALID,
      user_id: INVALID,
      company_id: INVALID,
      person_id: INVALID,
    });
    const money = await create({ money: "viel" });
    expect(money.json).toEqual({ money: ["ist keine Zahl"] });
  });

  it("answers an invalid status with 400 before validating anything", async () => {
    const answer = await call(sb, "POST", "/deals", { body: { status: "open" } });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ error: "'open' is not a valid status" });
  });

  it("requires service periods from the 1st to the last day of a month", async () => {
    const from = await create({ service_period_from: "2026-04-15", service_period_to: "2026-06-30" });
    expect(from.status).toBe(422);
    expect(from.json).toEqual({ service_period_from: ["muss der erste Tag eines Monats sein"] });
    const to = await create({ service_period_from: "2026-04-01", service_period_to: "2026-06-15" });
    expect(to.json).toEqual({ service_period_to: ["muss der letzte Tag eines Monats sein"] });
    const reversed = await create({ service_period_from: "2026-07-01", service_period_to: "2026-06-30" });
    expect(reversed.status).toBe(422);
    const ok = await createOk({ service_period_from: "2026-04-01", service_period_to: "2026-06-30" });
    expect([ok.service_period_from, ok.service_period_to]).toEqual(["2026-04-01", "2026-06-30"]);
  });

  it("ignores closed_on while open, sets today when won without a date, keeps a lost lead's date", async () => {
    const potential = await createOk({ status: "potential", closed_on: "2026-01-10" });
    expect(potential.closed_on).toBe("");
    const won = await createOk({ status: "won" });
    expect(won.closed_on).toBe(TODAY);
    const wonDated = await createOk({ status: "won", closed_on: "2026-01-10" });
    expect(wonDated.closed_on).toBe("2026-01-10");
    const lost = await createOk({ status: "lost", closed_on: "2025-11-03" });
    expect(lost.closed_on).toBe("2025-11-03");
    const dropped = await createOk({ status: "dropped" });
    expect(dropped.closed_on).toBe("");

    const reopened = record(await call(sb, "PUT", `/deals/${won.id}`, { body: { status: "pending" } }));
    expect(reopened.closed_on).toBe("");
    const wonAgain = record(await call(sb, "PUT", `/deals/${won.id}`, { body: { status: "won" } }));
    expect(wonAgain.closed_on).toBe(TODAY);
    const lostLater = record(await call(sb, "PUT", `/deals/${won.id}`, { body: { status: "lost" } }));
    expect(lostLater.closed_on).toBe(TODAY);
  });

  it("merges custom_properties, ignores unknown names and stores booleans as 0/1", async () => {
    const lead = await createOk({
      custom_properties: { Quelle: "Messe", Rahmenvertrag: true, Unbekannt: "x" },
    });
    expect(lead.custom_properties).toEqual({ Quelle: "Messe", Rahmenvertrag: "1" });
    const put = async (custom_properties: unknown) =>
      record(await call(sb, "PUT", `/deals/${lead.id}`, { body: { custom_properties } }));
    expect(
      (await put({ Projektcode: "PRJ-1", Leistungen: ["Design", "Support"] })).custom_properties,
    ).toEqual({
      Quelle: "Messe",
      Rahmenvertrag: "1",
      Projektcode: "PRJ-1",
      Leistungen: ["Design", "Support"],
    });
    expect((await put({ Rahmenvertrag: false })).custom_properties).toMatchObject({
      Rahmenvertrag: "0",
      Quelle: "Messe",
    });
    const badDate = await call(sb, "PUT", `/deals/${lead.id}`, {
      body: { custom_properties: { "Entscheid bis": "31.12.2026" } },
    });
    expect(badDate.status).toBe(422);
  });

  it("stores tags trimmed, deduplicated and sorted; a PUT with tags replaces the list", async () => {
    const lead = await createOk({ tags: ["b-Tag", " wichtig", "a-Tag", "Wichtig", "a-Tag"] });
    // An existing tag keeps its stored spelling ("Wichtig"), as a tag system matching case-insensitively does.
    expect(lead.tags).toEqual(["Wichtig", "a-Tag", "b-Tag"]);
    const replaced = record(await call(sb, "PUT", `/deals/${lead.id}`, { body: { tags: ["Neukunde"] } }));
    expect(replaced.tags).toEqual(["Neukunde"]);
    const untouched = record(await call(sb, "PUT", `/deals/${lead.id}`, { body: { info: "no tags given" } }));
    expect(untouched.tags).toEqual(["Neukunde"]);
    const tags = (await call(sb, "GET", "/tags?context=Deal")).json as { name: string }[];
    expect(tags.map((t) => t.name)).toEqual(expect.arrayContaining(["a-Tag", "b-Tag", "Wichtig"]));
  });

  it("sets company through company_id or the deprecated customer_id, and a contact person", async () => {
    const company = sb.store.companies.find((c) => c.name === "Müller & Söhne GmbH");
    const person = sb.store.people.find((p) => p.company?.id === company?.id);
    const lead = await createOk({ customer_id: company?.id, person_id: person?.id });
    expect(lead.company).toEqual({ id: company?.id, type: "customer", name: "Müller & Söhne GmbH" });
    expect(lead.customer).toEqual({ id: company?.id, name: "Müller & Söhne GmbH" });
    expect(lead.person).toEqual({ id: person?.id, name: `${person?.firstname} ${person?.lastname}` });
    const cleared = record(
      await call(sb, "PATCH", `/deals/${lead.id}`, { body: { company_id: null, person_id: null } }),
    );
    expect([cleared.company, cleared.customer, cleared.person]).toEqual([null, null, null]);
  });

  it("updates partially with PUT and PATCH, moving updated_at strictly forward", async () => {
    const lead = await createOk();
    const put = record(
      await call(sb, "PUT", `/deals/${lead.id}`, { body: { money: "9999.5", name: "Umbenannt" } }),
    );
    expect(put).toMatchObject({
      money: 9999.5,
      name: "Umbenannt",
      currency: "CHF",
      created_at: lead.created_at,
    });
    const patch = record(await call(sb, "PATCH", `/deals/${lead.id}`, { body: { info: "patched" } }));
    expect(patch).toMatchObject({ info: "patched", name: "Umbenannt" });
    expect(String(put.updated_at) > String(lead.updated_at)).toBe(true);
    expect(String(patch.updated_at) > String(put.updated_at)).toBe(true);
    const since = await call(sb, "GET", `/deals?updated_after=${put.updated_at}`);
    expect((since.json as { id: number }[]).map((d) => d.id)).toEqual([lead.id]);
    const blank = await call(sb, "PUT", `/deals/${lead.id}`, { body: { name: null, user_id: 42 } });
    expect(blank.json).toEqual({ name: BLANK, user_id: INVALID });
    expect((await call(sb, "PUT", "/deals/1", { body: { name: "x" } })).status).toBe(404);
  });

  it("deletes: 200 with the deleted lead, then 404 with an empty body", async () => {
    const lead = await createOk({ name: "Zu löschen" });
    const deleted = await call(sb, "DELETE", `/deals/${lead.id}`);
    expect(deleted.status).toBe(200);
    expect(record(deleted)).toEqual(lead);
    for (const method of ["GET", "DELETE"]) {
      const gone = await call(sb, method, `/deals/${lead.id}`);
      expect(gone.status).toBe(404);
      expect(gone.text).toBe("");
    }
    expect(sb.store.deal(Number(lead.id))).toBeUndefined();
  });
});
