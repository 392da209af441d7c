import { z } from "zod";
import { InputError } from "../errors.js";
import { MocoError, type MocoErrorKind } from "../moco/errors.js";
import { listLeads, updateLead } from "../moco/leads.js";
import { stages, users } from "../moco/reference.js";
import { LEAD_STATUSES, type Lead } from "../moco/schemas.js";
import { quoted } from "../text.js";
import { count } from "./changes.js";
import { scanNote } from "./compact.js";
import { checkToken, claimToken, issueToken, releaseToken } from "./confirm.js";
import { type LeadsContext, remember } from "./context.js";
import { plainDate, refNames, writableFields } from "./fields.js";
import { findLeads, type Selection } from "./find.js";
import { leadLine } from "./output.js";
import { noIdAndName, prepareWrite } from "./resolve.js";
import { changesBetween, warningsFor } from "./verify.js";

/**
 * One set of changes applied to many leads (update_leads): a dry run that lists exactly what would
 * change, and a real run that writes one PUT per lead that changes and reports every lead's outcome.
 * More than ASK_ABOVE leads need the human: asked once where the client can, otherwise the real run
 * needs the confirm_token of a dry run of the same selection and changes.
 */
export const BULK_MAX = 100;
export const ASK_ABOVE = 10;
/** JSON of the rows; the text mirror repeats it, so the whole reply stays under 30 KB. */
const ROWS_CAP_BYTES = 13_000;
const WORKERS = 4;
const OPEN = new Set(["pending", "potential"]);

const { user_id, deal_category_id, tags } = writableFields;
const day = () => plainDate().describe("YYYY-MM-DD");
export const bulkChanges = z
  .strictObject({
    status: z.enum(LEAD_STATUSES),
    closed_on: day(),
    reminder_date: day(),
    user_id: user_id.describe("User id"),
    user: refNames.user.describe('Or by name, e-mail or "me"'),
    deal_category_id: deal_category_id.describe("Stage id"),
    deal_category: refNames.deal_category.describe("Or by name"),
    tags: tags.describe("Replace the tags"),
  })
  .partial()
  .superRefine(noIdAndName)
  .refine((c) => Object.keys(c).length > 0, "give at least one change");

export type BulkChanges = z.output<typeof bulkChanges>;

export interface BulkArgs {
  ids?: number[];
  filter?: Selection;
  changes: BulkChanges;
  dry_run?: boolean;
  confirm_token?: string;
}

export type Outcome = "would_change" | "changed" | "unchanged" | "failed";

export interface Row {
  id: number;
  name: string;
  outcome: Outcome;
  changes?: string[];
  warnings?: string[];
  reason?: string;
  may_have_succeeded?: true;
}

type Brief = Pick<Row, "id" | "outcome">;

export interface BulkResult {
  data: {
    dry_run: boolean;
    written: boolean;
    counts: Record<Outcome, number>;
    /** Every lead; beyond the size cap only id and outcome (a failed row is always in full). */
    leads: (Row | Brief)[];
    confirm_token?: string;
    expires_at?: string;
  };
  summary: string;
}

type Body = Record<string, unknown>;
type Confirm = ((message: string) => Promise<boolean>) | undefined;

export async function bulkUpdate(
  args: BulkArgs,
  ctx: LeadsContext & { confirm: Confirm },
): Promise<BulkResult> {
  // Names first: one that does not resolve fails before any lead is read.
  const { body, notes, knownTags } = await prepareWrite(args.changes, ctx);
  const target = { ...(await targetOf(body, ctx)), tags: knownTags?.tags ?? [] };
  const { leads, missing, echo, gap } = await select(args, ctx);
  const complete = gap === undefined;
  const today = ctx.today();
  const predicted = leads.map((lead) => ({ lead, after: predict(lead, body, target, today) }));
  const plan = predicted.map(({ lead, after }) => ({ lead, changes: changesBetween(lead, after) }));
  const todo = plan.filter((p) => p.changes.length > 0);
  const rows: Row[] = [
    ...missing.map(
      (id): Row => ({ id, name: "", outcome: "failed", reason: `lead ${id} not found in MOCO` }),
    ),
    ...plan.map(
      ({ lead, changes }): Row =>
        changes.length > 0
          ? { id: lead.id, name: lead.name, outcome: "would_change", changes }
          : { id: lead.id, name: lead.name, outcome: "unchanged" },
    ),
  ];
  const subject = {
    purpose: "update_leads",
    what: `${[...leads.map((l) => l.id), ...missing].sort((a, b) => a - b).join(",")}|${canonical(body)}`,
    state: [...leads]
      .sort((a, b) => a.id - b.id)
      .map((l) => `${l.id}:${l.updated_at}`)
      .join(","),
  };
  const what = describe(body, target);
  const head = [...notes.map((n) => `${n}.`), ...echo.map((e) => `Selected: ${e}.`)];
  if (gap) head.push(`${gap} A real run over this filter is refused.`);
  // The same rule refuses the real run and tells the dry run so, before it offers a next step.
  const tooMany =
    leads.length > BULK_MAX
      ? {
          message: `the filter selects ${leads.length} leads, at most ${BULK_MAX} are changed per call`,
          hint: "Narrow the filter (e.g. status, user, due, tags) or pass ids, and call again.",
        }
      : undefined;
  if (body.closed_on !== undefined && predicted.some(({ after }) => OPEN.has(after.status))) {
    head.push(
      "closed_on: MOCO ignores it while a lead is pending or potential; set status won, lost or dropped with it.",
    );
  }
  if (args.dry_run) {
    // A real run of this selection would be refused: no token (it could never be used), no "to apply".
    const refused = tooMany !== undefined || !complete;
    if (tooMany) head.unshift(`A REAL RUN WOULD BE REFUSED: ${tooMany.message}. ${tooMany.hint}`);
    const token =
      todo.length > ASK_ABOVE && !ctx.confirm && !refused ? issueToken(ctx.moco, subject) : undefined;
    const next = refused
      ? ""
      : token
        ? ` To apply, call again without dry_run and with confirm_token (before ${token.expires_at}), after the human has seen this.`
        : todo.length > 0
          ? " To apply, call again without dry_run."
          : "";
    const summary = `Dry run, nothing written: ${todo.length} of ${count(rows.length, "lead")} would change (${what}).${next}`;
    return result(rows, { dry_run: true, written: false, ...token }, [...head, summary]);
  }
  if (tooMany) throw new InputError(`Nothing was changed: ${tooMany.message}`, {}, tooMany.hint);
  let spent: string | undefined;
  if (todo.length > ASK_ABOVE) {
    if (ctx.confirm) {
      const sample = todo.slice(0, 3).map((p) => leadLine(p.lead));
      const rest = todo.length > 3 ? ` and ${todo.length - 3} more` : "";
      const yes = await ctx
        .confirm(`Change ${todo.length} leads: ${what}? ${sample.join(", ")}${rest}.`)
        .catch(() => false);
      if (!yes) {
        const summary = `Not changed: changing ${todo.length} leads was not confirmed (declined, cancelled or unanswered). Nothing was written.`;
        return result(rows, { dry_run: false, written: false }, [...head, summary]);
      }
    } else {
      spent = spendToken(args.confirm_token, subject, todo.length, ctx);
    }
  }
  const done = await apply(todo, body, { knownTags }, ctx);
  const final = rows.map((r) => (r.outcome === "would_change" ? (done.get(r.id) ?? r) : r));
  const counts = tally(final);
  // Nothing was written, nor may have been: the leads are as previewed, so a retry may use the token.
  if (spent && counts.changed === 0 && !final.some((r) => r.may_have_succeeded)) releaseToken(spent);
  const summary = `Changed ${counts.changed} of ${count(final.length, "lead")} (${what}); ${counts.unchanged} unchanged, ${counts.failed} failed.`;
  return result(final, { dry_run: false, written: counts.changed > 0 }, [
    ...head,
    summary,
    ...failures(final),
  ]);
}

const TOKEN_REFUSED = {
  malformed: "the confirm_token is not one this server issued",
  other: "the confirm_token was issued for another selection or other changes (or altered)",
  expired: "the confirm_token has expired",
  changed: "a lead of the selection changed in MOCO since the dry run",
  used: "the confirm_token was already used (a token confirms one run)",
};

/**
 * Checks the token and claims it in one synchronous step (no await in between), so of two runs sent
 * at once with the same token only the first writes; returns the claimed token, or throws why not.
 */
function spendToken(
  token: string | undefined,
  subject: Parameters<typeof checkToken>[1],
  n: number,
  ctx: LeadsContext,
): string {
  const refuse = (why: string, reason: string): never => {
    throw new InputError(
      `Nothing was changed: ${why}`,
      { confirm_token: [reason] },
      "Call update_leads with the same selection and changes and dry_run: true, show the result to the human, then call again with its confirm_token.",
    );
  };
  if (token === undefined) return refuse(`changing ${n} leads needs the human's go-ahead`, "missing");
  const check = checkToken(ctx.moco, subject, token);
  const reason = !check.ok ? check.reason : claimToken(token) ? undefined : "used";
  return reason === undefined ? token : refuse(TOKEN_REFUSED[reason], reason);
}

/** The leads selected by ids (one request for up to 100) or by the filter language. */
async function select(args: BulkArgs, ctx: LeadsContext) {
  if (args.ids) {
    const ids = [...new Set(args.ids)];
    const page = await listLeads(ctx.moco, { ids, per_page: BULK_MAX }, ctx.call);
    const missing = ids.filter((id) => !page.leads.some((l) => l.id === id));
    return { leads: page.leads.sort((a, b) => a.id - b.id), missing, echo: [] as string[], gap: undefined };
  }
  const found = await findLeads(args.filter ?? {}, ctx);
  // Why the selection is not whole (page cap, MOCO's short pages, a list that moved), as every scan says it.
  const gap = found.scan.complete
    ? undefined
    : scanNote(found.scan, found.leads.length, ctx.maxScanPages, found.asOf);
  if (gap && !args.dry_run) {
    throw new InputError(
      `Nothing was changed: the filter selection is incomplete, so some matching leads would be missed. ${gap}`,
      {},
      "Narrow the filter with MOCO's own filters (status, tags, company_id, closed_from/to, updated_after) or pass ids, and call again.",
    );
  }
  const leads = [...found.leads].sort((a, b) => a.id - b.id);
  return { leads, missing: [] as number[], echo: found.echo, gap };
}

interface Target {
  user?: Lead["user"];
  category?: Lead["category"];
}

/** Who and what an id in the changes stands for (cached lists); an id that is not there is refused. */
async function targetOf(body: Body, ctx: LeadsContext): Promise<Target> {
  const out: Target = {};
  if (typeof body.user_id === "number") {
    const id = body.user_id;
    const known = await users(ctx.moco, ctx.call);
    const u = known.users.find((x) => x.id === id);
    if (!u && known.complete) {
      throw new InputError(
        `Nothing was changed: user_id ${id} is not an active user`,
        {},
        "Look users up with get_lead_options.",
      );
    }
    out.user = {
      id,
      firstname: u?.firstname ?? u?.name ?? "user",
      lastname: u?.lastname ?? (u ? "" : `#${id}`),
    };
  }
  if (typeof body.deal_category_id === "number") {
    const id = body.deal_category_id;
    const stage = (await stages(ctx.moco, ctx.call)).find((s) => s.id === id);
    if (!stage) {
      throw new InputError(
        `Nothing was changed: deal_category_id ${id} is not a pipeline stage`,
        {},
        "Look stages up with get_lead_options.",
      );
    }
    out.category = { id: stage.id, name: stage.name, probability: stage.probability };
  }
  return out;
}

/** The lead as MOCO will store it, its known side effects on closed_on included (see verify.ts). */
function predict(lead: Lead, body: Body, target: Target & { tags: string[] }, today: string): Lead {
  const after: Lead = { ...lead };
  if (typeof body.status === "string") after.status = body.status;
  if (body.closed_on !== undefined) after.closed_on = body.closed_on as string;
  if (body.reminder_date !== undefined) after.reminder_date = body.reminder_date as string;
  // MOCO keeps the account's spelling of a tag it knows.
  const spelling = (t: string) =>
    target.tags.find((k) => k.toLowerCase() === t.trim().toLowerCase()) ?? t.trim();
  if (Array.isArray(body.tags)) after.tags = [...new Set((body.tags as string[]).map(spelling))];
  if (target.user) after.user = target.user;
  if (target.category) after.category = target.category;
  if (OPEN.has(after.status)) after.closed_on = null;
  // The server's today (MOCO_TODAY when set), as the real run and every date window count it.
  else if (after.status === "won" && !after.closed_on) after.closed_on = today;
  return after;
}

/** The changes in a phrase, names neutralised: 'user → "Lea Meier"; status → won'. */
function describe(body: Body, target: Target): string {
  const parts: string[] = [];
  for (const [field, value] of Object.entries(body)) {
    if (field === "user_id" && target.user)
      parts.push(`user → ${quoted(`${target.user.firstname} ${target.user.lastname}`.trim())}`);
    else if (field === "deal_category_id" && target.category)
      parts.push(`stage → ${quoted(target.category.name)}`);
    else if (Array.isArray(value))
      parts.push(`${field} → [${value.map((v) => quoted(String(v))).join(", ")}]`);
    else parts.push(`${field} → ${value}`);
  }
  return parts.join("; ");
}

const canonical = (body: Body) =>
  JSON.stringify(Object.fromEntries(Object.entries(body).sort(([a], [b]) => (a < b ? -1 : 1))));

/** After one of these, the next PUT would fail the same way: the rest are reported, not sent. */
const STOP: ReadonlySet<MocoErrorKind> = new Set([
  "cancelled",
  "rate_limited",
  "timeout",
  "auth",
  "forbidden",
]);

/** One PUT per lead that changes, a few at a time (the client's limiter paces them), with progress. */
async function apply(
  todo: { lead: Lead }[],
  body: Body,
  known: Pick<Parameters<typeof warningsFor>[0], "knownTags">,
  ctx: LeadsContext,
): Promise<Map<number, Row>> {
  const out = new Map<number, Row>();
  let next = 0;
  let stop: string | undefined;
  let reported = 0;
  const work = async () => {
    for (let i = next++; i < todo.length; i = next++) {
      const { lead } = todo[i] as { lead: Lead };
      const base = { id: lead.id, name: lead.name };
      if (stop) {
        out.set(lead.id, { ...base, outcome: "failed", reason: `not attempted: ${stop}` });
        continue;
      }
      try {
        const after = await updateLead(ctx.moco, lead.id, body, ctx.call);
        await remember(ctx, after);
        const changes = changesBetween(lead, after);
        const warnings = warningsFor({ asked: body, after, before: lead, ...known });
        out.set(lead.id, {
          ...base,
          outcome: changes.length > 0 ? "changed" : "unchanged",
          ...(changes.length > 0 ? { changes } : {}),
          ...(warnings.length > 0 ? { warnings } : {}),
        });
      } catch (error) {
        if (!(error instanceof MocoError)) throw error;
        if (STOP.has(error.kind)) stop ??= `an earlier change failed (${error.message})`;
        out.set(lead.id, {
          ...base,
          outcome: "failed",
          reason: error.mayHaveSucceeded
            ? `${error.message}; the change MAY HAVE BEEN APPLIED: check with get_lead before retrying`
            : error.message,
          ...(error.mayHaveSucceeded ? { may_have_succeeded: true as const } : {}),
        });
      }
      // Progress must only grow; workers finishing together report once.
      if (out.size > reported) {
        reported = out.size;
        await ctx
          .progress(reported, todo.length, `Changed ${reported} of ${todo.length} leads`)
          .catch(() => {});
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(WORKERS, todo.length) }, work));
  return out;
}

function tally(rows: Row[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = { would_change: 0, changed: 0, unchanged: 0, failed: 0 };
  for (const r of rows) counts[r.outcome]++;
  return counts;
}

/** Every failed lead by name in the summary (up to 10; the rows carry them all). */
function failures(rows: Row[]): string[] {
  const failed = rows.filter((r) => r.outcome === "failed");
  const shown = failed
    .slice(0, 10)
    .map((r) => `lead ${r.id}${r.name ? ` ${quoted(r.name, 60)}` : ""}: ${quoted(r.reason ?? "", 300)}`);
  const rest = failed.length > 10 ? [`and ${failed.length - 10} more failed (see leads)`] : [];
  return failed.length > 0 ? [`FAILED: ${[...shown, ...rest].join("; ")}.`] : [];
}

/** The reply: failed rows always in full; the others while they fit, then only id and outcome. */
function result(
  rows: Row[],
  head: Pick<BulkResult["data"], "dry_run" | "written"> & { token?: string; expires_at?: string },
  lines: string[],
): BulkResult {
  const { token, ...flags } = head;
  const bytes = (x: object) => Buffer.byteLength(JSON.stringify(x)) + 1;
  const brief = (row: Row): Brief => ({ id: row.id, outcome: row.outcome });
  // Every row costs at least its brief form; full rows are added in order while they fit.
  let size = rows.reduce((n, r) => n + bytes(r.outcome === "failed" ? r : brief(r)), 0);
  let full = true;
  const leads = rows.map((row): Row | Brief => {
    if (row.outcome === "failed") return row;
    const extra = bytes(row) - bytes(brief(row));
    full &&= size + extra <= ROWS_CAP_BYTES;
    if (!full) return brief(row);
    size += extra;
    return row;
  });
  const data: BulkResult["data"] = {
    ...flags,
    ...(token ? { confirm_token: token } : {}),
    counts: tally(rows),
    leads,
  };
  if (leads.some((l) => !("name" in l))) {
    lines.push(
      "Leads beyond the reply's size show only id and outcome; a dry run of fewer ids shows their changes.",
    );
  }
  return { data, summary: lines.join(" ") };
}
