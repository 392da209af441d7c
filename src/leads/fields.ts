import { z } from "zod";
import { LEAD_STATUSES } from "../moco/schemas.js";
import { isRealDate, lastDayOfMonth } from "./dates.js";

/**
 * Input fields shared by the lead tools. The rules MOCO documents live here, so bad input is
 * refused before any request and the JSON Schema shows each rule to the model.
 */
/** A real calendar date YYYY-MM-DD; callers add the description. */
export const plainDate = () =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date YYYY-MM-DD, e.g. 2026-03-01")
    .refine(isRealDate, "this calendar date does not exist");

export const date = (what: string) => plainDate().describe(`${what}. Date YYYY-MM-DD, e.g. 2026-03-01`);

const mocoId = z
  .number({ error: "expected a numeric id, e.g. 4711" })
  .int("expected a whole number id")
  .positive("ids are positive")
  .max(Number.MAX_SAFE_INTEGER);

export const id = (what: string) => mocoId.describe(`${what} (MOCO id, a positive integer, e.g. 4711)`);

export const status = z
  .enum(LEAD_STATUSES, { error: `expected one of ${LEAD_STATUSES.join(", ")}` })
  .describe("Lead status: potential, pending (open, in the pipeline), won, lost or dropped");

export const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, "expected a three-letter ISO currency code in capitals, e.g. EUR or CHF")
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
  .min(1, "the name cannot be empty")
  .max(255)
  .describe('Name of the lead, e.g. "Beispiel AG – Website relaunch"');

export const info = z.string().max(10_000).describe("Free-text description of the lead");

export const tags = z
  .array(z.string().trim().min(1, "tags cannot be empty").max(100))
  .max(50)
  .describe('Tag names, e.g. ["Wichtig", "Relaunch"]');

export const customProperties = z
  .record(
    z.string().min(1, "custom property names cannot be empty"),
    z.union([z.string(), z.boolean(), z.array(z.string())]),
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
  name: name.describe('Lead name, e.g. "Beispiel AG – Relaunch"'),
  currency,
  money: money.describe("Value in the lead's currency, e.g. 25000"),
  reminder_date: plainDate().describe("Next follow-up, YYYY-MM-DD"),
  user_id: mocoId.describe("Responsible user's id"),
  deal_category_id: mocoId.describe("Pipeline stage's id"),
  company_id: mocoId.describe("Company's id"),
  person_id: mocoId.describe("Contact person's id"),
  info: info.describe("Description"),
  status: status.describe("pending = open, in the pipeline"),
  closed_on: plainDate().describe("Close date, YYYY-MM-DD; MOCO ignores it while pending/potential"),
  service_period_from: servicePeriodFrom.describe("Service start, 1st of a month, YYYY-MM-DD"),
  service_period_to: servicePeriodTo.describe("Service end, last day of a month, YYYY-MM-DD"),
  tags: tags.describe('Tag names, e.g. ["Wichtig"]'),
  custom_properties: customProperties.describe(
    'By field name, e.g. {"Quelle":"Website"}; booleans true/false, multi-select arrays',
  ),
};

const refName = (what: string) => z.string().trim().min(1).describe(what);

/** Names instead of ids in lead writes (see resolve.ts): exact up to case and accents. */
export const refNames = {
  deal_category: refName('Or the stage by name, e.g. "Angebot erstellen"'),
  user: refName('Or the user by e-mail, full name or "me"'),
  company: refName("Or the company by name"),
  person: refName("Or the contact person by full name"),
};
