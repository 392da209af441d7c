import { z } from "zod";
import { isRealDate, lastDayOfMonth } from "../../leads/dates.js";
import { REFS } from "../../leads/refs.js";
import { LEAD_STATUSES } from "../../moco/schemas.js";

/**
 * Input fields shared by the lead tools. The rules MOCO documents live here, so bad input is
 * refused before any request and the JSON Schema shows each rule to the model.
 */
/** A real calendar date YYYY-MM-DD; callers add the description. */
export const plainDate = () =>
  z
    .string()
    // Refinements rather than .regex(): the description says the format, and a pattern would add
    // bytes to every date field of tools/list (paid in every conversation).
    .refine((v) => /^\d{4}-\d{2}-\d{2}$/.test(v), {
      message: "expected a date YYYY-MM-DD, e.g. 2026-03-01",
      abort: true,
    })
    .refine(isRealDate, "this calendar date does not exist");

/** Text a person typed: no NUL (MOCO would store it or choke), and not only invisible characters. */
export const visible = (s: string) => s.replace(/[\p{Cf}\p{Cc}\s]/gu, "") !== "";
const noNul = (s: string) => !s.includes("\u0000");
export const text = (max: number) => z.string().max(max).refine(noNul, "text cannot contain NUL characters");

export const date = (what: string) => plainDate().describe(`${what}. Date YYYY-MM-DD, e.g. 2026-03-01`);

// A refinement rather than .positive(): the JSON Schema stays {"type":"integer"} (every byte of
// tools/list is paid in every conversation; the description says what an id is).
export const mocoId = z
  .number({ error: "expected a numeric id, e.g. 4711" })
  .int("expected a whole number id")
  .refine((n) => n > 0 && n <= Number.MAX_SAFE_INTEGER, "ids are positive whole numbers");

export const id = (what: string) => mocoId.describe(`${what} id, e.g. 4711`);

export const status = z
  .enum(LEAD_STATUSES, { error: `expected one of ${LEAD_STATUSES.join(", ")}` })
  .describe("Lead status: potential, pending (open, in the pipeline), won, lost or dropped");

export const currency = z
  .string()
  .refine(
    (c) => /^[A-Z]{3}$/.test(c),
    "expected a three-letter ISO currency code in capitals, e.g. EUR or CHF",
  )
  .describe("Currency, ISO 4217 in capitals, e.g. EUR or CHF");

export const money = z
  .number({ error: "expected a number, e.g. 25000" })
  .finite()
  .min(0, "money cannot be negative")
  .max(1e12, "money is implausibly large")
  .describe("Expected value of the lead as a number in the lead's currency, e.g. 25000 or 1499.50");

export const name = z
  .string()
  .trim()
  .max(255)
  .refine(visible, "the name cannot be empty (or only invisible characters)")
  .refine(noNul, "text cannot contain NUL characters")
  .describe('Name of the lead, e.g. "Beispiel AG – Website relaunch"');

export const info = text(10_000).describe("Free-text description of the lead");

export const tags = z
  .array(
    z
      .string()
      .trim()
      .refine((t) => t.length <= 100, "a tag has at most 100 characters")
      .refine(visible, "tags cannot be empty")
      .refine(noNul, "text cannot contain NUL characters"),
  )
  .refine((ts) => ts.length <= 50, "at most 50 tags")
  .describe('Tag names, e.g. ["Wichtig", "Relaunch"]');

/** Custom field values as a write or a filter takes them; checked by `customProperties` below. */
export const customValues = (description: string) =>
  z
    // Checked on the raw object: building a record drops a "__proto__" key silently, and a filter on
    // it would then match every lead.
    .preprocess(
      (raw, ctx) => {
        if (raw !== null && typeof raw === "object" && Object.hasOwn(raw, "__proto__")) {
          ctx.addIssue({ code: "custom", message: "__proto__ is not a custom field name" });
        }
        return raw;
      },
      z.record(z.string(), z.unknown()),
    )
    .superRefine((props, ctx) => {
      const parsed = customProperties.safeParse(props);
      if (!parsed.success)
        for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: "custom" });
    })
    .transform((props) => props as z.output<typeof customProperties>)
    .describe(description);

export const customProperties = z
  .record(
    z
      .string()
      .min(1, "custom property names cannot be empty")
      .max(200)
      // JSON.parse keeps a "__proto__" key, but building an object from it would drop it silently.
      .refine((k) => k !== "__proto__", "__proto__ is not a custom field name")
      .refine(noNul, "text cannot contain NUL characters"),
    z.union([text(5_000), z.boolean(), z.array(text(500)).max(100)]),
  )
  .describe(
    'Custom fields by their exact MOCO name, e.g. {"Quelle": "Website"}; multi-select as an array; booleans true/false',
  );

const servicePeriodFrom = plainDate()
  .refine((v) => v.endsWith("-01"), "service_period_from must be the 1st of a month, e.g. 2026-03-01")
  .describe("Start of the service period, the 1st of a month. Date YYYY-MM-DD, e.g. 2026-03-01");

const servicePeriodTo = plainDate()
  .refine(
    (v) => Number(v.slice(8)) === lastDayOfMonth(v),
    "service_period_to must be the last day of a month, e.g. 2026-03-31",
  )
  .describe("End of the service period, the last day of a month. Date YYYY-MM-DD, e.g. 2026-03-31");

export const timestamp = z
  .string()
  .refine((v) => z.iso.datetime({ offset: true }).safeParse(v).success, {
    message: "expected an ISO 8601 timestamp with time zone, e.g. 2026-01-31T14:30:00Z",
  })
  .describe("ISO 8601 timestamp, e.g. 2026-01-31T14:30:00Z");

/** Cross-field rule for anything carrying a service period. */
export function checkServicePeriod(
  value: { service_period_from?: string; service_period_to?: string },
  ctx: z.RefinementCtx,
) {
  const { service_period_from: from, service_period_to: to } = value;
  if (from && to && from > to) {
    ctx.addIssue({
      code: "custom",
      path: ["service_period_to"],
      message: "service_period_to must not be before service_period_from",
    });
  }
}

/**
 * The writable lead fields in MOCO's names, shared by create and update. Descriptions are terse on
 * purpose: both tools repeat them in every tools/list.
 */
export const writableFields = {
  name: name.describe('e.g. "Beispiel AG – Relaunch"'),
  currency: currency.describe("e.g. CHF"),
  money: money.describe("Value, e.g. 25000"),
  reminder_date: plainDate().describe("Next follow-up, YYYY-MM-DD"),
  user_id: mocoId.describe("Owner"),
  deal_category_id: mocoId.describe("Stage"),
  company_id: mocoId.describe("Company"),
  person_id: mocoId.describe("Contact person"),
  info: info.describe("Description"),
  status: status.describe("pending = in the pipeline"),
  closed_on: plainDate().describe("YYYY-MM-DD; ignored while pending/potential"),
  service_period_from: servicePeriodFrom.describe("1st of a month, YYYY-MM-DD"),
  service_period_to: servicePeriodTo.describe("Last day of a month, YYYY-MM-DD"),
  tags: tags.describe('e.g. ["Wichtig"]'),
  custom_properties: customValues('By name, e.g. {"Quelle":"Website"}; yes/no true/false'),
};

const refName = (what: string) =>
  z
    .string()
    .trim()
    .refine((s) => s.length <= 200, "a name has at most 200 characters")
    .refine(visible, "give a name, not an empty string")
    .describe(what);

/** Names instead of ids in lead writes (see resolve.ts): exact up to case and accents. */
export const refNames = {
  deal_category: refName("Or stage name"),
  user: refName('Or user e-mail, name or "me"'),
  company: refName("Or company name"),
  person: refName("Or person name"),
};

/** Zod refinement: an id and a name for the same record contradict each other. */
export function noIdAndName(value: Record<string, unknown>, ctx: z.RefinementCtx) {
  for (const [name, { idField }] of Object.entries(REFS)) {
    if (value[name] !== undefined && value[idField] !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `give either ${idField} or ${name}, not both`,
      });
    }
  }
}
