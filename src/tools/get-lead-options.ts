import { z } from "zod";
import { searchNames } from "../leads/name-search.js";
import { defineTool, strictInput } from "../mcp/tool.js";
import { dealTags, propertyDefinitions, REFERENCE_TTL_MS, stages, users } from "../moco/reference.js";
import { quoted } from "../text.js";

export const getLeadOptionsTool = defineTool({
  name: "get_lead_options",
  title: "Get lead options",
  description: `Ids and names leads refer to: stages (win %), users (incl. you), deal tags, custom fields with options; cached ${REFERENCE_TTL_MS / 60_000} min. With search: companies and people. Read-only.`,
  input: strictInput({
    search: z
      .string()
      .trim()
      .min(2)
      .max(100)
      .optional()
      .describe('Part of a company or person name (people also by e-mail), e.g. "Beispiel"'),
  }),
  // Brief on purpose (tools/list is paid in every conversation); the result shows each item's fields.
  output: z.object({
    stages: z.array(z.unknown()).optional(),
    users: z.array(z.unknown()).optional(),
    me: z.unknown().optional(),
    users_complete: z.boolean().optional().describe("false: not all users listed"),
    tags: z.array(z.string()).optional(),
    custom_properties: z.array(z.unknown()).optional(),
    companies: z.array(z.unknown()).optional(),
    people: z.array(z.unknown()).optional(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async run({ search }, ctx) {
    if (search !== undefined) {
      const { companies, people } = await searchNames(search, ctx);
      return {
        data: { companies, people },
        summary: `${companies.length} companies and ${people.length} contact people match ${quoted(search)} (case, accents and ü/ue aside).`,
      };
    }
    const [all, who, tags, fields] = await Promise.all([
      stages(ctx.moco, ctx.call),
      users(ctx.moco, ctx.call),
      dealTags(ctx.moco, ctx.call),
      propertyDefinitions(ctx.moco, ctx.call),
    ]);
    const partial = [
      who.refused
        ? "MOCO refused the user list to this API key (it lacks the Staff permission), so only you are listed; give other users by user_id."
        : who.complete
          ? ""
          : `Only the first ${who.users.length} users are listed; give others by user_id.`,
      tags.complete ? "" : `Only the first ${tags.tags.length} tags are listed.`,
      fields.complete ? "" : `Only the first ${fields.definitions.length} custom fields are listed.`,
    ]
      .filter(Boolean)
      .map((s) => ` ${s}`)
      .join("");
    return {
      data: {
        stages: all,
        users: who.users.map(({ id, name, email }) => ({ id, name, email })),
        me: who.me,
        users_complete: who.complete,
        tags: tags.tags,
        custom_properties: fields.definitions,
      },
      summary: `${all.length} stages, ${who.users.length} users (you: ${who.me.name}), ${tags.tags.length} tags, ${fields.definitions.length} custom fields.${partial}`,
    };
  },
});
