import { z } from "zod";
import { CHANGES_MAX_AGE_S, leadChanges } from "../leads/changes.js";
import { defineTool, strictInput } from "../mcp/tool.js";
import { changesReply } from "../replies/changes.js";
import { mocoId, plainDate } from "../replies/schemas/fields.js";
import { checkRanges, leadFilterShape } from "../replies/schemas/filters.js";

const moment = (what: string) =>
  z
    .string()
    .refine(
      (v) => z.iso.datetime({ offset: true }).safeParse(v).success || plainDate().safeParse(v).success,
      "expected a date YYYY-MM-DD or a timestamp with zone, e.g. 2026-01-31T14:30:00Z",
    )
    .describe(`${what}: YYYY-MM-DD or timestamp`);

export const leadChangesTool = defineTool({
  name: "lead_changes",
  title: "Lead changes",
  description:
    "What changed on leads since a time: created, updated field by field, deleted, from the lead mirror's history; before it begins, what MOCO's timestamps show. Read-only.",
  input: strictInput({
    since: moment("Changes seen after"),
    until: moment("Up to").optional(),
    lead_id: mocoId.optional().describe("One lead"),
    // Validated exactly as list_leads' filters, while tools/list spells those out once.
    filter: z
      .record(z.string(), z.unknown())
      .pipe(strictInput(leadFilterShape).superRefine(checkRanges))
      .optional()
      .describe("list_leads' filters, on the lead now"),
    cursor: z.string().max(40).optional().describe("next_cursor"),
    limit: z.number().int().min(1).max(200).default(50).describe("1–200"),
    max_age_seconds: z
      .number()
      .int()
      .min(0)
      .default(CHANGES_MAX_AGE_S)
      .describe("Sync with MOCO first when the copy is older; 0 = always"),
  }).refine((a) => a.until === undefined || Date.parse(a.since) <= Date.parse(a.until), {
    path: ["until"],
    message: "until must not be before since",
  }),
  output: z.object({
    changes: z
      .array(z.looseObject({ lead_id: z.number(), kind: z.string() }))
      .describe("Also name, seen_at, origin (sync|own), author, changes, lead"),
    from_timestamps: z.array(z.unknown()).optional(),
    next_cursor: z.string().nullable(),
    history_start: z.string().nullable(),
    as_of: z.string().nullable(),
    before_history: z.boolean(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  run: async (args, ctx) => changesReply(args, await leadChanges(args, ctx)),
});
