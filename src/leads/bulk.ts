import { InputError } from "../errors.js";
import { MocoError, type MocoErrorKind } from "../moco/errors.js";
import { listLeads, updateLead } from "../moco/leads.js";
import { stages, users } from "../moco/reference.js";
import type { ScanResult } from "../moco/scan.js";
import type { LEAD_STATUSES, Lead } from "../moco/schemas.js";
import { checkToken, claimToken, issueToken, releaseToken } from "./confirm.js";
import { type LeadsContext, remember } from "./context.js";
import { findLeads, type Selection } from "./find.js";
import { prepareWrite } from "./resolve.js";
import { changesBetween, warningsFor } from "./verify.js";

/**
 * One set of changes applied to many leads (update_leads): a dry run that lists exactly what would
 * change, and a real run that writes one PUT per lead that changes and reports every lead's outcome.
 * More than ASK_ABOVE leads need the human: asked once where the client can, otherwise the real run
 * needs the confirm_token of a dry run of the same selection and changes.
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
  /** How the filter's names and windows were understood. */
  echo: string[];
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
  subject: { purpose: string; what: string; state: string };
  knownTags: Awaited<ReturnType<typeof prepareWrite>>["knownTags"];
}

/**
 * Reads and decides, writes nothing: names resolved (one that does not resolve fails before any lead
 * is read), ids checked, the leads selected and each one's changes predicted as MOCO will store them.
 */
export async function planBulk(args: BulkArgs, ctx: LeadsContext): Promise<BulkPlan> {
  const { body, notes, knownTags } = await prepareWrite(args.changes, ctx);
  const target = { ...(await targetOf(body, ctx)), tags: knownTags?.tags ?? [] };
  const { leads, missing, echo, incomplete } = await select(args, ctx);
  const today = ctx.today();
  const predicted = leads.map((lead) => ({ lead, after: predict(lead, body, target, today) }));
  const plan = predicted.map(({ lead, after }) => ({ lead, changes: changesBetween(lead, after) }));
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
  return {
    body,
    target,
    notes,
    echo,
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
 * The confirm_token a dry run offers: only when the human must agree (more than ASK_ABOVE changes),
 * cannot be asked by the client, and a real run would not be refused anyway.
 */
export const previewToken = (plan: BulkPlan, ctx: Pick<LeadsContext, "moco"> & { canAsk: boolean }) =>
  plan.todo.length > ASK_ABOVE && !ctx.canAsk && !refused(plan)
    ? issueToken(ctx.moco, plan.subject)
    : undefined;

export type BulkRun =
  | { confirmed: false }
  | { confirmed: true; rows: Row[]; counts: Record<Outcome, number> };

/**
 * Writes the plan: over ASK_ABOVE changes only with the human's go-ahead, asked (`ask`) where the
 * client can, otherwise the dry run's confirm_token. One PUT per lead that changes.
 */
export async function applyBulk(
  plan: BulkPlan,
  token: string | undefined,
  ctx: LeadsContext & { ask: (() => Promise<boolean>) | undefined },
): Promise<BulkRun> {
  let spent: string | undefined;
  if (plan.todo.length > ASK_ABOVE) {
    if (ctx.ask) {
      if (!(await ctx.ask().catch(() => false))) return { confirmed: false };
    } else {
      spent = spendToken(token, plan.subject, plan.todo.length, ctx);
    }
  }
  const done = await apply(plan.todo, plan.body, { knownTags: plan.knownTags }, ctx);
  const rows = plan.rows.map((r) => (r.outcome === "would_change" ? (done.get(r.id) ?? r) : r));
  const counts = tally(rows);
  // Nothing was written, nor may have been: the leads are as previewed, so a retry may use the token.
  if (spent && counts.changed === 0 && !rows.some((r) => r.may_have_succeeded)) releaseToken(spent);
  return { confirmed: true, rows, counts };
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
    return { leads: page.leads.sort((a, b) => a.id - b.id), missing, echo: [] as string[] };
  }
  const found = await findLeads(args.filter ?? {}, ctx);
  const incomplete = found.scan.complete
    ? undefined
    : { scan: found.scan, matched: found.leads.length, asOf: found.asOf };
  const leads = [...found.leads].sort((a, b) => a.id - b.id);
  return { leads, missing: [] as number[], echo: found.echo, incomplete };
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
  const counts: Record<Outcome, number> = { would_change: 0, changed: 0, unchanged: 0, failed: 0 };
  for (const r of rows) counts[r.outcome]++;
  return counts;
}
