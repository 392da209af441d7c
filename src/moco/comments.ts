import { z } from "zod";
import { apiPath, type CallOptions, type MocoClient } from "./client.js";
import { MocoError } from "./errors.js";
import { readPages } from "./pages.js";
import { fullName } from "./schemas.js";

/** Notes on a lead are MOCO comments with commentable_type "Deal". */
export interface Note {
  id: number;
  text: string;
  user: string | null;
  created_at: string;
}

const commentSchema = z.looseObject({
  id: z.number(),
  text: z.string().nullish(),
  created_at: z.string(),
  user: z.looseObject({ firstname: z.string(), lastname: z.string() }).nullish(),
});

function toNote(data: unknown): Note {
  const parsed = commentSchema.safeParse(data);
  if (!parsed.success)
    throw new MocoError({ kind: "server", message: "MOCO sent a comment this server cannot read" });
  const c = parsed.data;
  return {
    id: c.id,
    text: c.text ?? "",
    user: c.user ? fullName(c.user) : null,
    created_at: c.created_at,
  };
}

export interface Notes {
  notes: Note[];
  /** All notes on the lead, when MOCO reports it. */
  total: number | null;
}

/** The newest `limit` notes, as MOCO orders them (newest first). */
export async function leadNotes(moco: MocoClient, leadId: number, options?: CallOptions, limit = 50) {
  const notes: Note[] = [];
  let total: number | null = null;
  const query = { commentable_type: "Deal", commentable_id: leadId };
  await readPages(moco, apiPath("comments"), query, { ...options, perPage: limit, maxPages: 1 }, (page) => {
    notes.push(...page.items.map(toNote));
    total = page.info.total;
  });
  return { notes, total } satisfies Notes;
}

export async function addLeadNote(moco: MocoClient, leadId: number, text: string, options?: CallOptions) {
  const body = { commentable_type: "Deal", commentable_id: leadId, text };
  return toNote((await moco.post(apiPath("comments"), body, options)).data);
}
