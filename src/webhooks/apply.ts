import type { Author, ExternalChange, LeadMirror } from "../leads/mirror/index.js";
import { log } from "../log.js";
import { parseLead } from "../moco/leads.js";

/**
 * What a verified delivery means for the lead mirror: `Deal` create/update/delete and notes on leads
 * (`Comment` with commentable_type `Deal`) become one ExternalChange, applied by the mirror
 * idempotently and out of order. Anything else (other targets, a note on a project, a deleted note,
 * which names no lead) is acknowledged and left alone.
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
    if (event === "delete")
      return isId(body.id) ? { deletedId: body.id, at: delivery.at } : "a deleted lead without an id";
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
