import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InputError } from "../../src/errors.js";
import { callOptions, type LeadsContext } from "../../src/leads/context.js";
import { prepareWrite, resolveFilter } from "../../src/leads/resolve.js";
import { MocoClient } from "../../src/moco/client.js";
import { RateLimiter } from "../../src/moco/rate-limit.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";

/**
 * Names to ids (resolve.ts) as tables, against the sandbox over real TCP through the real client, with
 * no MCP server: users, stages and companies by exact name, e-mail, first or last name and prefix;
 * several matches, none, and archived users (known to a filter, refused to a write).
 */
interface Env {
  sandbox: Sandbox;
  moco: MocoClient;
  ctx: LeadsContext;
}

async function startEnv(edit?: (sandbox: Sandbox) => void): Promise<Env> {
  const sandbox = await startSandbox({ apiKey: "resolve-test-key-5b0e", today: "2026-03-04", leads: 20 });
  edit?.(sandbox);
  const moco = new MocoClient({
    baseUrl: sandbox.url,
    apiKey: sandbox.apiKey,
    userAgent: "moco-leads-mcp-test",
    requestTimeoutMs: 5000,
    budget: new RateLimiter({ limit: 100_000, windowMs: 120_000 }),
    maxRetries: 0,
    retryBaseMs: 5,
    retryMaxMs: 20,
  });
  const ctx: LeadsContext = {
    moco,
    call: callOptions(10_000),
    maxScanPages: 20,
    today: () => "2026-03-04",
    mirror: async () => undefined,
    progress: async () => {},
  };
  return { sandbox, moco, ctx };
}

const close = async (env: Env | undefined) => {
  await env?.moco.close();
  await env?.sandbox.close();
};

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(() => close(env));

/** The seeded id of a user or stage, by name: what each row expects. */
const userId = (first: string) => {
  const u = env.sandbox.store.users.find((x) => x.firstname === first);
  if (!u) throw new Error(`no seeded user ${first}`);
  return u.id;
};
const stageId = (name: string) => {
  const s = env.sandbox.store.categories.find((x) => x.name === name);
  if (!s) throw new Error(`no seeded stage ${name}`);
  return s.id;
};

type Filter = { user?: string | number; stage?: string | number };
const FOUND: [
  name: string,
  filter: () => Filter,
  ids: () => { userId?: number; stageId?: number },
  echo: RegExp,
][] = [
  [
    '"me" is the key\'s own user',
    () => ({ user: "me" }),
    () => ({ userId: userId("Anna") }),
    /^user = Anna Schmid \(id \d+\)$/,
  ],
  [
    "an e-mail, any case",
    () => ({ user: "Nicola.Keller@agentur-beispiel.ch" }),
    () => ({ userId: userId("Nicola") }),
    /^user = Nicola Keller \(id \d+\)$/,
  ],
  [
    "a full name, case and spacing aside",
    () => ({ user: "  jonas   WEBER " }),
    () => ({ userId: userId("Jonas") }),
    /^user = Jonas Weber/,
  ],
  [
    "a unique first name, said to be loose",
    () => ({ user: "Marco" }),
    () => ({ userId: userId("Marco") }),
    /by first or last name$/,
  ],
  [
    "a unique last name",
    () => ({ user: "brunner" }),
    () => ({ userId: userId("Lea") }),
    /^user = Lea Brunner .*by first or last name$/,
  ],
  [
    "a unique prefix",
    () => ({ user: "Ross" }),
    () => ({ userId: userId("Marco") }),
    /as the beginning of the name$/,
  ],
  [
    "an id",
    () => ({ user: userId("Tim") }),
    () => ({ userId: userId("Tim") }),
    /^user = Tim Berger \(id \d+\)$/,
  ],
  [
    "an archived user, for a filter, said to be archived",
    () => ({ user: "Sophie Dubois" }),
    () => ({ userId: userId("Sophie") }),
    /\(id \d+, archived\)$/,
  ],
  [
    "a stage by name, case aside",
    () => ({ stage: "verhandlungen" }),
    () => ({ stageId: stageId("Verhandlungen") }),
    /^stage = Verhandlungen \(id \d+\)$/,
  ],
  [
    'a stage with "ue" for "ü"',
    () => ({ stage: "Muendliche Zusage" }),
    () => ({ stageId: stageId("Mündliche Zusage") }),
    /^stage = "?Mündliche Zusage"? \(id \d+\)$/,
  ],
  [
    "a stage by prefix",
    () => ({ stage: "Kontakt" }),
    () => ({ stageId: stageId("Kontaktieren") }),
    /as the beginning of the name$/,
  ],
  [
    "a stage by id",
    () => ({ stage: stageId("Angebot verschickt") }),
    () => ({ stageId: stageId("Angebot verschickt") }),
    /^stage = "?Angebot verschickt"? \(id \d+\)$/,
  ],
];

describe("resolveFilter: names and ids that match one record", () => {
  it("has rows", () => expect(FOUND.length).toBeGreaterThan(0));
  for (const [name, filter, ids, echo] of FOUND) {
    it(name, async () => {
      const found = await resolveFilter(filter(), env.ctx);
      expect({ userId: found.userId, stageId: found.stageId }).toEqual({
        userId: undefined,
        stageId: undefined,
        ...ids(),
      });
      expect(found.echo).toHaveLength(1);
      expect(found.echo[0]).toMatch(echo);
    });
  }
});

const REFUSED: [name: string, filter: Filter, message: RegExp, field: string, candidates: RegExp[]][] = [
  [
    "a stage prefix two stages share: several, both offered",
    { stage: "Angebot" },
    /^Nothing was searched\. stage: 2 pipeline stages match "Angebot": .*Pass the stage id \(or the full name\) to choose one$/,
    "stage",
    [/^"?Angebot erstellen"? \(id \d+, 30 %\)$/, /^"?Angebot verschickt"? \(id \d+, 35 %\)$/],
  ],
  [
    "a user nobody is named: none, nothing similar",
    { user: "Zacharias" },
    /^Nothing was searched\. user: no user is named "Zacharias" \(case and accents aside\); nothing similar\. Pass the user id or the exact name$/,
    "user",
    [],
  ],
  [
    "a stage id the account lacks: none, the stages listed",
    { stage: 4711 },
    /^Nothing was searched\. stage: no pipeline stage has the id 4711; /,
    "stage",
    [/^Kontaktieren \(id \d+, 1 %\)$/],
  ],
  ["a one-letter name is no prefix: none", { user: "N" }, /user: no user is named "N"/, "user", []],
];

describe("resolveFilter: names that match several records or none", () => {
  it("has rows", () => expect(REFUSED.length).toBeGreaterThan(0));
  for (const [name, filter, message, field, candidates] of REFUSED) {
    it(name, async () => {
      const error = await resolveFilter(filter, env.ctx).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      const { message: text, fields } = error as InputError;
      expect(text).toMatch(message);
      for (const candidate of candidates)
        expect(fields[field]).toContainEqual(expect.stringMatching(candidate));
    });
  }

  it("problems in user and stage are reported together, as one error", async () => {
    const error = (await resolveFilter({ user: "Zacharias", stage: "Angebot" }, env.ctx).catch(
      (e) => e,
    )) as InputError;
    expect(error).toBeInstanceOf(InputError);
    expect(Object.keys(error.fields).sort()).toEqual(["stage", "user"]);
  });

  it("two active users with one first name: several, each with its id", async () => {
    const own = await startEnv((sandbox) => {
      const nicola = sandbox.store.users.find((u) => u.firstname === "Nicola");
      if (!nicola) throw new Error("no seeded Nicola");
      sandbox.store.users.push({
        ...nicola,
        id: nicola.id + 1,
        lastname: "Frei",
        email: "nicola.frei@agentur-beispiel.ch",
      });
    });
    try {
      const error = (await resolveFilter({ user: "nicola" }, own.ctx).catch((e) => e)) as InputError;
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toMatch(
        /user: 2 users match "nicola": Nicola Keller \(id \d+, .*\), Nicola Frei \(id \d+, /,
      );
      expect(error.fields.user).toHaveLength(2);
    } finally {
      await close(own);
    }
  });
});

const personId = (first: string, last: string) => {
  const p = env.sandbox.store.people.find((x) => x.firstname === first && x.lastname === last);
  if (!p) throw new Error(`no seeded person ${first} ${last}`);
  return p.id;
};

describe("prepareWrite: names in a write become ids", () => {
  const WRITES: [
    name: string,
    args: () => Record<string, string>,
    body: () => Record<string, unknown>,
    notes: RegExp[],
  ][] = [
    [
      "a stage by name",
      () => ({ deal_category: "Verhandlungen" }),
      () => ({ deal_category_id: stageId("Verhandlungen") }),
      [],
    ],
    [
      "a user by e-mail",
      () => ({ user: "lea.brunner@agentur-beispiel.ch" }),
      () => ({ user_id: userId("Lea") }),
      [],
    ],
    [
      "a user by first name, with a note to check it",
      () => ({ user: "Jonas" }),
      () => ({ user_id: userId("Jonas") }),
      [
        /^user: "Jonas" matched user Jonas Weber \(id \d+\) by first or last name; check it is the one meant$/,
      ],
    ],
    [
      'a company by its name with "ue" and "oe"',
      () => ({ company: "Mueller & Soehne GmbH" }),
      () => ({ company_id: env.sandbox.store.companies.find((c) => c.name === "Müller & Söhne GmbH")?.id }),
      [],
    ],
    [
      'a contact person by name with "ue", which MOCO\'s search does not match as typed',
      () => ({ person: "Juergen Mueller" }),
      () => ({ person_id: personId("Jürgen", "Müller") }),
      [],
    ],
    [
      "a contact person by name without accents",
      () => ({ person: "jurgen muller" }),
      () => ({ person_id: personId("Jürgen", "Müller") }),
      [],
    ],
  ];
  for (const [name, args, body, notes] of WRITES) {
    it(name, async () => {
      const prepared = await prepareWrite(args(), env.ctx);
      expect(prepared.body).toEqual(body());
      expect(prepared.notes).toEqual(notes.map((note) => expect.stringMatching(note)));
    });
  }

  const REFUSALS: [name: string, args: Record<string, string>, message: RegExp][] = [
    [
      "an archived user: refused as archived, not unknown",
      { user: "Sophie Dubois" },
      /^Nothing was written\. user: Sophie Dubois \(id \d+\) is archived in MOCO; pick an active user$/,
    ],
    [
      "a company prefix two companies share: several",
      { company: "Beispiel" },
      /^Nothing was written\. company: 2 companies match "Beispiel": .*Pass company_id \(or the full name\) to choose one$/,
    ],
    [
      "a company nobody is named: none",
      { company: "Zyxw Holding" },
      /^Nothing was written\. company: no company is named "Zyxw Holding"/,
    ],
  ];
  for (const [name, args, message] of REFUSALS) {
    it(name, async () => {
      const error = await prepareWrite(args, env.ctx).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).message).toMatch(message);
    });
  }
});
