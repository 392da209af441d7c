import { z } from "zod";
import { apiPath, type CallOptions, type MocoClient } from "./client.js";
import { MocoError } from "./errors.js";
import { unreadableCreate, written } from "./leads.js";
import { readPages } from "./pages.js";
import { fullName, utcTimestamp } from "./schemas.js";

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
  // A name part MOCO left null is skipped by fullName(), as a blank one is.
  user: z.looseObject({ firstname: z.string().nullish(), lastname: z.string().nullish() }).nullish(),
});

function toNote(data: unknown): Note {
  const parsed = commentSchema.safeParse(data);
  if (!parsed.success)
    throw new MocoError({
      kind: "server",
      message: `MOCO sent a comment this server cannot read (${parsed.error.issues[0]?.path.join(".") || "body"}: ${parsed.error.issues[0]?.message})`,
    });
  const c = parsed.data;
  return {
    id: c.id,
    text: c.text ?? "",
    user: c.user ? fullName(c.user) : null,
    created_at: utcTimestamp(c.created_at),
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
  const path = apiPath("comments");
  // A 2xx means MOCO stored the note; an answer that cannot be read must not read as a failure to repeat.
  const answer = await written(moco.post(path, body, options), toNote);
  if (!("value" in answer)) throw await unreadableCreate(moco, path, `note on lead ${leadId}`, answer);
  return answer.value;
}
