import { InputError } from "../errors.js";
import { MocoError, type MocoErrorKind } from "../moco/errors.js";
import { leadsByIds, updateLead } from "../moco/leads.js";
import { stages, users } from "../moco/reference.js";
import type { ScanResult } from "../moco/scan.js";
import type { LEAD_STATUSES, Lead } from "../moco/schemas.js";
import { checkToken, giveBackToken, issueToken, spendToken, tokenMark } from "./confirm.js";
import { type LeadsContext, remember, seen } from "./context.js";
import { findLeads, type Selection } from "./find.js";
import { prepareWrite } from "./resolve.js";
import { changesBetween, warningsFor } from "./verify.js";

/**
 * One set of changes applied to many leads (update_leads): a dry run that lists exactly what would
 * change, and a real run that writes one PUT per lead that changes and reports every lead's outcome.
 * What is written is what was shown: a dry run's confirm_token binds the exact lead ids it listed, the
 * changes and each lead's updated_at, and the real run it confirms takes those ids (never the filter
 * again) and skips, reporting it, a lead changed since. Without a token a real run goes ahead only for
 * up to ASK_ABOVE leads named by id; a filter, or more leads, need the human: asked once where the
 * client can (the question names the leads), otherwise the dry run's token.
 */
export const BULK_MAX = 100;
export const ASK_ABOVE = 10;
const WORKERS = 4;
const OPEN = new Set(["pending", "potential"]);

/** The changes update_leads applies to every lead, once parsed: user and stage by id or by name. */
export interface BulkChanges {
  status?: (typeof LEAD_STATUSES)[number];
  closed_on?: string;
  reminder_date?: string;
  user_id?: number;
  user?: string;
  deal_category_id?: number;
  deal_category?: string;
  tags?: string[];
}

export interface BulkArgs {
  ids?: number[];
  filter?: Selection;
  changes: BulkChanges;
  dry_run?: boolean;
  confirm_token?: string;
}

export type Outcome = "would_change" | "changed" | "unchanged" | "skipped" | "failed";

export interface Row {
  id: number;
  name: string;
  outcome: Outcome;
  changes?: string[];
  warnings?: string[];
  reason?: string;
  may_have_succeeded?: true;
}

export type Body = Record<string, unknown>;

/** Who and what an id in the changes stands for, and the account's tags (MOCO keeps their spelling). */
export interface Target {
  user?: Lead["user"];
  category?: Lead["category"];
  tags: string[];
}

/** Everything a bulk update decides before it writes: the selection, each lead's changes, the rules. */
export interface BulkPlan {
  body: Body;
  target: Target;
  /** How loose names in the changes were matched (resolve.ts). */
  notes: string[];
  /** Every filter given, names and windows as understood; empty for ids. */
  echo: string[];
  /** What MOCO's answer held beyond the selection, left out (a MOCO that ignored a filter). */
  leftOut: string[];
  /** Selected by filter (a real run then needs the human, and a token takes the ids). */
  byFilter: boolean;
  /** The selected leads as read, by id. */
  leads: Map<number, Lead>;
  /** Set when the filter's selection is not whole: the scan, its matches and the mirror's time. */
  incomplete?: { scan: ScanResult; matched: number; asOf?: string };
  /** The selection, when it is more than BULK_MAX leads (a real run is refused). */
  tooMany?: number;
  /** closed_on is set while a lead stays pending or potential, where MOCO ignores it. */
  closedOnIgnored: boolean;
  /** Every lead asked for, in order of id: missing ids first, as failed. */
  rows: Row[];
  /** The leads that would change. */
  todo: { lead: Lead; changes: string[] }[];
  subject: { purpose: string; what: string; state: string; mark: number };
  knownTags: Awaited<ReturnType<typeof prepareWrite>>["knownTags"];
}

/**
 * Reads and decides, writes nothing: names resolved (one that does not resolve fails before any lead
 * is read), ids checked, the leads selected and each one's changes predicted as MOCO will store them.
 */
export async function planBulk(args: BulkArgs, ctx: LeadsContext): Promise<BulkPlan> {
  const { body, notes, knownTags } = await prepareWrite(args.changes, ctx);
  const target = { ...(await targetOf(body, ctx)), tags: knownTags?.tags ?? [] };
  const { leads, missing, echo, incomplete, leftOut } = await select(args, ctx);
  const today = ctx.today();
  const predicted = leads.map((lead) => ({ lead, after: predict(lead, body, target, today) }));
  const plan = predicted.map(({ lead, after }) => ({ lead, changes: changesBetween(lead, after) }));
  const rows: Row[] = [
    ...missing.map(
      (id): Row => ({ id, name: "", outcome: "failed", reason: `lead ${id} not found: MOCO answered 404` }),
    ),
    ...plan.map(
      ({ lead, changes }): Row =>
        changes.length > 0
          ? { id: lead.id, name: lead.name, outcome: "would_change", changes }
          : { id: lead.id, name: lead.name, outcome: "unchanged" },
    ),
  ];
  const subject = subjectOf(leads, missing, body);
  return {
    body,
    target,
    notes,
    echo,
    leftOut,
    byFilter: args.ids === undefined,
    leads: new Map(leads.map((l) => [l.id, l])),
    ...(incomplete ? { incomplete } : {}),
    ...(leads.length > BULK_MAX ? { tooMany: leads.length } : {}),
    closedOnIgnored: body.closed_on !== undefined && predicted.some(({ after }) => OPEN.has(after.status)),
    rows,
    todo: plan.filter((p) => p.changes.length > 0),
    subject,
    knownTags,
  };
}

/** Whether a real run of this plan would be refused: more than BULK_MAX leads, or a partial selection. */
export const refused = (plan: BulkPlan) => plan.tooMany !== undefined || plan.incomplete !== undefined;

/**
 * What a confirm_token binds: the lead ids (sorted; ids MOCO does not hold included), the changes, and
 * as state each lead's updated_at. The mark is the newest updated_at of them (ms, MOCO's clock): a lead
 * updated after it changed after the preview.
 */
function subjectOf(leads: Lead[], missing: number[], body: Body) {
  const ids = [...leads.map((l) => l.id), ...missing].sort((a, b) => a - b);
  const state = [...leads.map((l) => `${l.id}:${l.updated_at}`), ...missing.map((id) => `${id}:-`)].sort();
  const mark = Math.max(0, ...leads.map((l) => Date.parse(l.updated_at)).filter(Number.isFinite));
  return {
    purpose: "update_leads",
    what: `${ids.join(",")}|${canonical(body)}`,
    state: state.join(","),
    mark,
  };
}

/** The confirm_token of a dry run, whatever its size: where something changes and a real run would not be refused. */
export const previewToken = (plan: BulkPlan, ctx: Pick<LeadsContext, "moco">) =>
  plan.todo.length > 0 && !refused(plan) ? issueToken(ctx.moco, plan.subject) : undefined;

export type BulkRun =
  | { confirmed: false }
  | { confirmed: true; rows: Row[]; counts: Record<Outcome, number> };

/**
 * Writes the plan. With a confirm_token: exactly the leads its dry run listed (passed as ids), each one
 * changed since skipped. Without: up to ASK_ABOVE leads by id at once; a filter, or more leads, only
 * with the human's go-ahead, asked (`ask`) where the client can. One PUT per lead that changes.
 */
export async function applyBulk(
  plan: BulkPlan,
  token: string | undefined,
  ctx: LeadsContext & { ask: (() => Promise<boolean>) | undefined },
): Promise<BulkRun> {
  let spent: string | undefined;
  let skipped = new Set<number>();
  if (token !== undefined) {
    if (plan.byFilter) return refuse(TOKEN_REFUSED.filter, "filter");
    ({ token: spent, skipped } = await useToken(token, plan, ctx));
  } else if (plan.byFilter || plan.todo.length > ASK_ABOVE) {
    if (!ctx.ask) {
      return plan.byFilter
        ? refuse("a filter selects anew at every call: only leads a dry run showed are written", "missing")
        : refuse(`changing ${plan.todo.length} leads needs the human's go-ahead`, "missing");
    }
    if (!(await ctx.ask().catch(() => false))) return { confirmed: false };
  }
  const todo = plan.todo.filter((t) => !skipped.has(t.lead.id));
  const done = await apply(todo, plan.body, { knownTags: plan.knownTags }, ctx);
  const rows = plan.rows.map((r): Row => {
    if (skipped.has(r.id)) return { id: r.id, name: r.name, outcome: "skipped", reason: SKIPPED };
    return r.outcome === "would_change" ? (done.get(r.id) ?? r) : r;
  });
  const counts = tally(rows);
  // Nothing was written, nor may have been: the leads are as previewed, so a retry may use the token.
  const untouched = counts.changed === 0 && skipped.size === 0 && !rows.some((r) => r.may_have_succeeded);
  if (spent && untouched) await giveBackToken(spent, ctx);
  return { confirmed: true, rows, counts };
}

const SKIPPED = "changed in MOCO since the dry run, so not written; a new dry run shows it as it is now";

const TOKEN_REFUSED = {
  malformed: "the confirm_token is not one this server issued",
  other: "the confirm_token was issued for other leads or other changes (or altered)",
  expired: "the confirm_token has expired",
  changed: "a lead of the selection changed in MOCO since the dry run",
  used: "the confirm_token was already used (a token confirms one run)",
  unrecorded:
    "the lead store could not record the confirm_token's use, so it was not used (PostgreSQL is used again within seconds of answering; a SQLite file that failed is left out until a restart)",
  filter:
    "a confirm_token applies to the leads its dry run listed, passed as ids; a filter would select anew",
};

const ANEW =
  "Call update_leads with dry_run: true, show the result to the human, then call it with the ids it listed, the same changes and its confirm_token.";

function refuse(why: string, reason: string, hint = ANEW): never {
  throw new InputError(`Nothing was changed: ${why}`, { confirm_token: [reason] }, hint);
}

/**
 * Checks the token and spends it in one step (no await in between), so of two runs sent at once with
 * the same token, here or on another instance sharing the store, only the first writes. A token for
 * these ids and changes whose state differs is spent too, skipping each lead updated after the dry
 * run's newest updated_at (the token's mark: MOCO's own clock, no skew); when no lead tells the change
 * apart so, nothing is written.
 */
async function useToken(
  token: string,
  plan: BulkPlan,
  ctx: LeadsContext,
): Promise<{ token: string; skipped: Set<number> }> {
  const check = checkToken(ctx.moco, plan.subject, token);
  let skipped = new Set<number>();
  if (!check.ok && check.reason === "changed") {
    const mark = tokenMark(token) ?? Number.POSITIVE_INFINITY;
    const later = [...plan.leads.values()].filter((l) => Date.parse(l.updated_at) > mark);
    skipped = new Set(later.map((l) => l.id));
    // A lead gone since the preview is a failed row already: no reason to hold the others back.
    const gone = plan.rows.some((r) => r.outcome === "failed");
    if (skipped.size === 0 && !gone) return refuse(TOKEN_REFUSED.changed, "changed");
  } else if (!check.ok) return refuse(TOKEN_REFUSED[check.reason], check.reason);
  const spend = await spendToken(token, ctx);
  if (spend === "spent") return { token, skipped };
  const again = "Call update_leads again with the same arguments and confirm_token.";
  return refuse(TOKEN_REFUSED[spend], spend, spend === "unrecorded" ? again : ANEW);
}

/**
 * The leads selected by ids (leadsByIds: only those asked, an absent one read on its own, missing only
 * on a 404) or by the filter language. What MOCO sent beyond the selection is left out, and said.
 */
async function select(args: BulkArgs, ctx: LeadsContext) {
  if (args.ids) {
    const got = await leadsByIds(ctx.moco, args.ids, ctx.call);
    await seen(ctx, got.leads);
    return { leads: got.leads, missing: got.missing, echo: [] as string[], leftOut: unasked(got.unasked) };
  }
  const filter = args.filter ?? {};
  const found = await findLeads(filter, ctx);
  // Read live (no mirror): what MOCO holds now, for the mirror too.
  if (found.asOf === undefined) await seen(ctx, found.leads);
  const incomplete = found.scan.complete
    ? undefined
    : { scan: found.scan, matched: found.leads.length, asOf: found.asOf };
  // A filter by ids keeps to them, whatever MOCO sent.
  const asked = filter.ids && new Set(filter.ids);
  const extra = asked ? found.leads.filter((l) => !asked.has(l.id)).map((l) => l.id) : [];
  const leads = found.leads.filter((l) => !asked || asked.has(l.id)).sort((a, b) => a.id - b.id);
  const echo = echoOf(filter, found.echo);
  return { leads, missing: [] as number[], echo, incomplete, leftOut: unasked(extra) };
}

const unasked = (ids: number[]) =>
  ids.length === 0
    ? []
    : [
        `MOCO's answer also held ${ids.length} lead${ids.length === 1 ? "" : "s"} not asked for (${ids.slice(0, 10).join(", ")}${ids.length > 10 ? ", …" : ""}): it ignored the ids filter, and they were left out`,
      ];

const shown = (v: unknown): string => {
  if (v !== null && typeof v === "object" && !Array.isArray(v) && ("from" in v || "to" in v)) {
    const r = v as { from?: string; to?: string };
    return `${r.from ?? ""}..${r.to ?? ""}`;
  }
  return JSON.stringify(v);
};

/**
 * Every filter given, as the selection used it: user, stage and due as findLeads understood them, the
 * others as given (a range as from..to), and the open statuses a due filter implies.
 */
function echoOf(filter: Selection, understood: string[]): string[] {
  const own = Object.entries(filter)
    .filter(([k, v]) => v !== undefined && !["user", "stage", "due"].includes(k))
    .map(([k, v]) => `${k} = ${shown(v)}`);
  if (filter.status === undefined && filter.due !== undefined)
    own.unshift("status = open (due looks at open leads)");
  return [...own, ...understood];
}

/** Who and what an id in the changes stands for (cached lists); an id that is not there is refused. */
async function targetOf(body: Body, ctx: LeadsContext): Promise<Omit<Target, "tags">> {
  const out: Omit<Target, "tags"> = {};
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
function predict(lead: Lead, body: Body, target: Target, today: string): Lead {
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

export function tally(rows: Row[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = {
    would_change: 0,
    changed: 0,
    unchanged: 0,
    skipped: 0,
    failed: 0,
  };
  for (const r of rows) counts[r.outcome]++;
  return counts;
}
