import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { allPages, call, list, record, TODAY } from "./helpers.js";

describe("reference endpoints", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ today: TODAY });
  });
  afterAll(() => sb.close());

  it("lists the five German default categories with probabilities", async () => {
    const categories = list(await call(sb, "GET", "/deal_categories"));
    expect(categories.map((c) => [c.name, c.probability])).toEqual([
      ["Kontaktieren", 1],
      ["Angebot erstellen", 30],
      ["Angebot verschickt", 35],
      ["Verhandlungen", 60],
      ["Mündliche Zusage", 90],
    ]);
    expect(Object.keys(categories[0] ?? {})).toEqual([
      "id",
      "name",
      "probability",
      "created_at",
      "updated_at",
    ]);
    const one = await call(sb, "GET", `/deal_categories/${categories[3]?.id}`);
    expect(record(one).name).toBe("Verhandlungen");
  });

  it("lists active users in the recorded shape, archived ones on request, filters by e-mail", async () => {
    const users = list(await call(sb, "GET", "/users"));
    expect(users.length).toBeGreaterThanOrEqual(5);
    expect(users.every((u) => u.active === true)).toBe(true);
    expect(Object.keys(users[0] ?? {})).toEqual([
      "id",
      "firstname",
      "lastname",
      "active",
      "extern",
      "email",
      "mobile_phone",
      "work_phone",
      "home_address",
      "info",
      "birthday",
      "avatar_url",
      "tags",
      "custom_properties",
      "unit",
      "created_at",
      "updated_at",
    ]);
    const nicola = users.find((u) => u.firstname === "Nicola");
    expect(nicola).toMatchObject({ lastname: "Keller", email: "nicola.keller@agentur-beispiel.ch" });
    const all = list(await call(sb, "GET", "/users?include_archived=true"));
    expect(all.some((u) => u.active === false)).toBe(true);
    const byEmail = list(await call(sb, "GET", "/users?email=NICOLA.KELLER@agentur-beispiel.ch"));
    expect(byEmail.map((u) => u.id)).toEqual([nicola?.id]);
    expect(record(await call(sb, "GET", `/users/${nicola?.id}`)).firstname).toBe("Nicola");
  });

  it("gives the profile of the key's user in the OpenAPI profile shape, and the session", async () => {
    const profile = record(await call(sb, "GET", "/profile"));
    expect(Object.keys(profile)).toEqual([
      "id",
      "email",
      "full_name",
      "first_name",
      "last_name",
      "active",
      "external",
      "avatar_url",
      "unit",
      "created_at",
      "updated_at",
    ]);
    expect(profile.full_name).toBe(`${profile.first_name} ${profile.last_name}`);
    const session = record(await call(sb, "GET", "/session"));
    expect(session.id).toBe(profile.id);
    expect(session.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("finds companies by a case-insensitive term, with near-misses, and by type", async () => {
    const beispiel = list(await call(sb, "GET", "/companies?term=beispiel"));
    expect(beispiel.map((c) => c.name)).toEqual(["Beispiel AG", "Beispiel GmbH"]);
    const accented = list(await call(sb, "GET", `/companies?term=${encodeURIComponent("café")}`));
    expect(accented.map((c) => c.name)).toEqual(["Café Zürich AG"]);
    const suppliers = list(await call(sb, "GET", "/companies?type=supplier"));
    expect(suppliers.length).toBeGreaterThan(0);
    expect(suppliers.every((c) => c.type === "supplier")).toBe(true);
    const all = await allPages(sb, "/companies");
    expect(all.length).toBeGreaterThanOrEqual(12);
    expect(new Set(all.map((c) => c.type))).toEqual(new Set(["customer", "organization", "supplier"]));
    const company = all[0] ?? {};
    for (const key of [
      "id",
      "type",
      "name",
      "identifier",
      "tags",
      "user",
      "info",
      "custom_properties",
      "currency",
    ]) {
      expect(company).toHaveProperty(key);
    }
    expect(record(await call(sb, "GET", `/companies/${company.id}`)).name).toBe(company.name);
  });

  it("finds contact people by name, e-mail or company name", async () => {
    const byName = list(await call(sb, "GET", "/contacts/people?term=nicola"));
    expect(byName.map((p) => `${p.firstname} ${p.lastname}`)).toEqual(["Nicola Bianchi"]);
    expect(byName[0]?.company).toMatchObject({ name: "Café Zürich AG", type: "customer" });
    const byCompany = list(await call(sb, "GET", "/contacts/people?term=Beispiel%20AG"));
    expect(byCompany.map((p) => p.lastname)).toEqual(["Muster", "Meier"]);
    const byEmail = list(await call(sb, "GET", "/contacts/people?term=juergen.mueller@"));
    expect(byEmail.map((p) => p.firstname)).toEqual(["Jürgen"]);
    const people = await allPages(sb, "/contacts/people");
    expect(people.length).toBeGreaterThanOrEqual(15);
    expect(Object.keys(people[0] ?? {})).toContain("work_email");
    expect(record(await call(sb, "GET", `/contacts/people/${people[0]?.id}`)).id).toBe(people[0]?.id);
  });

  it("lists deal tags by context", async () => {
    const tags = list(await call(sb, "GET", "/tags?context=Deal"));
    expect(tags.map((t) => t.name)).toEqual([
      "Bestandskunde",
      "Neukunde",
      "Relaunch",
      "Retainer",
      "Strategisch",
      "Wichtig",
    ]);
    expect(tags.every((t) => t.context === "Deal")).toBe(true);
    expect(Object.keys(tags[0] ?? {})).toEqual([
      "id",
      "name",
      "color",
      "context",
      "created_at",
      "updated_at",
    ]);
    const all = list(await call(sb, "GET", "/tags"));
    expect(all.length).toBeGreaterThan(tags.length);
  });

  it("lists custom property definitions for Deal with every kind", async () => {
    const defs = list(await call(sb, "GET", "/account/custom_properties?entity=Deal"));
    expect(defs.every((d) => d.entity === "Deal")).toBe(true);
    expect(new Set(defs.map((d) => d.kind))).toEqual(
      new Set(["Select", "String", "Boolean", "MultiSelect", "Date", "Link"]),
    );
    const quelle = defs.find((d) => d.name === "Quelle");
    expect(quelle?.defaults).toEqual(["Empfehlung", "Website", "Messe", "Kaltakquise", "Partner"]);
    for (const key of [
      "id",
      "name",
      "placeholder",
      "kind",
      "print_on_invoice",
      "print_on_offer",
      "notification_enabled",
      "api_only",
      "defaults",
      "created_at",
      "updated_at",
    ]) {
      expect(quelle).toHaveProperty(key);
    }
  });

  it("lists a lead's comments newest first and creates one as the profile user", async () => {
    const commented = sb.store.comments[0]?.commentable_id;
    const before = list(await call(sb, "GET", `/comments?commentable_type=Deal&commentable_id=${commented}`));
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((c) => c.commentable_id === commented)).toBe(true);
    const created = await call(sb, "POST", "/comments", {
      body: { commentable_id: commented, commentable_type: "Deal", text: "<div>Rückruf vereinbart</div>" },
    });
    expect(created.status).toBe(200);
    const profile = sb.store.profile();
    expect(Object.keys(record(created))).toEqual([
      "id",
      "commentable_id",
      "commentable_type",
      "text",
      "manual",
      "created_at",
      "updated_at",
      "user",
    ]);
    expect(created.json).toMatchObject({
      commentable_id: commented,
      commentable_type: "Deal",
      text: "<div>Rückruf vereinbart</div>",
      manual: true,
      user: { id: profile.id, firstname: profile.firstname, lastname: profile.lastname },
    });
    const after = list(await call(sb, "GET", `/comments?commentable_type=Deal&commentable_id=${commented}`));
    expect(after[0]?.id).toBe(record(created).id);
    expect(after).toHaveLength(before.length + 1);
  });

  it("refuses comments without mandatory fields or on unknown leads (422)", async () => {
    const missing = await call(sb, "POST", "/comments", { body: { commentable_type: "Deal" } });
    expect(missing.status).toBe(422);
    expect(missing.json).toEqual({
      commentable_id: ["muss ausgefüllt werden"],
      text: ["muss ausgefüllt werden"],
    });
    const unknown = await call(sb, "POST", "/comments", {
      body: { commentable_type: "Deal", commentable_id: 1, text: "x" },
    });
    expect(unknown.status).toBe(422);
  });
});

describe("a key without the Staff permission", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ today: TODAY, staff: false });
  });
  afterAll(() => sb.close());

  it("gets 403 with an empty body on /users but still its profile", async () => {
    for (const path of ["/users", `/users/${sb.store.profileUserId}`]) {
      const answer = await call(sb, "GET", path);
      expect(answer.status).toBe(403);
      expect(answer.text).toBe("");
    }
    expect((await call(sb, "GET", "/profile")).status).toBe(200);
  });
});
