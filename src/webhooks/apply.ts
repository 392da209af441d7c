import type { Author, ExternalChange, LeadMirror } from "../leads/mirror/index.js";
import { log } from "../log.js";
import type { MocoClient } from "../moco/client.js";
import { MocoError } from "../moco/errors.js";
import { getLead, parseLead } from "../moco/leads.js";
import type { Lead } from "../moco/schemas.js";

/**
 * What a verified delivery means for the lead mirror: `Deal` create/update/delete and notes on leads
 * (`Comment` with commentable_type `Deal`) become one ExternalChange, applied by the mirror
 * idempotently and out of order. Anything else (other targets, a note on a project, a deleted note,
 * which names no lead) is acknowledged and left alone.
 *
 * MOCO signs the body only: the event, the author and the timestamp headers are not covered, so a
 * captured body can be sent again under another event. A delete therefore carries nothing but the id
 * (as MOCO's do), and is applied only once MOCO answers 404 for the lead, as a sync confirms one.
 */

export interface Delivery {
  /** X-Moco-Target, e.g. "Deal". */
  target: string;
  /** X-Moco-Event: create, update or delete. */
  event: string;
  /** X-Moco-User-Id: who made the change. */
  userId: number | undefined;
  body: unknown;
  /** X-Moco-Timestamp: when MOCO sent it (epoch ms). */
  at: number;
}

export interface ApplyDeps {
  /** The mirror of the account the delivery is for; undefined when the store is off or unavailable. */
  mirror: () => Promise<LeadMirror | undefined>;
  /** A user's name by id (MOCO's users list), undefined when unknown. */
  userName: (id: number) => Promise<string | undefined>;
  /** The lead as MOCO has it now (GET /deals/{id}), undefined when MOCO answers 404. */
  lead: (id: number) => Promise<Lead | undefined>;
}

/** `ApplyDeps.lead` over a MOCO client: a 404 is undefined, any other failure throws. */
export async function leadAtMoco(moco: MocoClient, id: number): Promise<Lead | undefined> {
  try {
    return await getLead(moco, id);
  } catch (error) {
    if (error instanceof MocoError && error.kind === "not_found") return undefined;
    throw error;
  }
}

const EVENTS = new Set(["create", "update", "delete"]);

type Json = Record<string, unknown>;
const isId = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value > 0;

/** The change a delivery asks for, without its author; a string says why it is ignored. */
export function changeOf(delivery: Delivery): ExternalChange | string {
  const { target, event } = delivery;
  if (!EVENTS.has(event)) return `unknown event ${JSON.stringify(event)}`;
  const body = (delivery.body !== null && typeof delivery.body === "object" ? delivery.body : {}) as Json;
  if (target === "Deal") {
    if (event === "delete") {
      if (!isId(body.id)) return "a deleted lead without an id";
      // MOCO's delete payload is the id alone; a whole lead under `delete` is another event's body.
      if (Object.keys(body).length > 1) return `a delete of lead ${body.id} whose body is more than its id`;
      return { deletedId: body.id, at: delivery.at };
    }
    try {
      return { lead: parseLead(body) };
    } catch (error) {
      return error instanceof Error ? error.message : "an unreadable lead";
    }
  }
  if (target === "Comment") {
    if (event === "delete") return "a deleted note names no lead";
    if (body.commentable_type !== "Deal") return "a note on something other than a lead";
    if (!isId(body.commentable_id) || typeof body.text !== "string") return "a note without lead or text";
    return { note: { leadId: body.commentable_id, text: body.text } };
  }
  return `target ${JSON.stringify(target)} is not about leads`;
}

/** The lead a delivery is about (deliveries for one lead are applied in order), if it names one. */
export function leadOf(change: ExternalChange): number {
  if ("deletedId" in change) return change.deletedId;
  if ("note" in change) return change.note.leadId;
  return change.lead.id;
}

/** Applies one change to the account's mirror, with who made it; says what happened, for the log. */
export async function applyChange(change: ExternalChange, userId: number | undefined, deps: ApplyDeps) {
  const mirror = await deps.mirror();
  if (!mirror?.available) return "ignored: no lead store";
  if ("deletedId" in change) {
    const still = await deps.lead(change.deletedId);
    if (still) {
      // MOCO still has it: not a deletion. The lead as MOCO returns it, with no author (the header is unsigned).
      log("warn", `webhook delete of lead ${change.deletedId} not applied: MOCO still has the lead`);
      return (await mirror.applyExternal({ lead: still })) ? "applied as MOCO has it" : "nothing to change";
    }
  }
  let author: Author | undefined;
  if (userId !== undefined) {
    const name = await deps.userName(userId).catch(() => undefined);
    author = name === undefined ? { id: userId } : { id: userId, name };
  }
  const applied = await mirror.applyExternal({ ...change, ...(author ? { author } : {}) });
  const outcome = applied ? "applied" : "nothing to change";
  log("debug", `webhook for lead ${leadOf(change)}: ${outcome}`);
  return outcome;
}
