import { InputError } from "../errors.js";
import {
  type Body,
  BULK_MAX,
  type BulkPlan,
  type BulkRun,
  type Outcome,
  type Row,
  type Target,
  tally,
} from "../leads/bulk.js";
import type { Lead } from "../moco/schemas.js";
import { quoted } from "../text.js";
import { count, leadLine } from "./lines.js";
import { scanNote } from "./scan-note.js";

/**
 * What update_leads answers: the rows (the failed always in full, the others while they fit), the
 * counts, and sentences saying what was selected, what would change or changed, and what failed.
 */
/** JSON of the rows; the text mirror repeats it, so the whole reply stays under 30 KB. */
const ROWS_CAP_BYTES = 13_000;

type Brief = Pick<Row, "id" | "outcome">;

export interface BulkReply {
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

/** Why the selection is not whole (page cap, MOCO's short pages, a list that moved), as every scan says it. */
const gapOf = (plan: BulkPlan, maxPages: number) =>
  plan.incomplete && scanNote(plan.incomplete.scan, plan.incomplete.matched, maxPages, plan.incomplete.asOf);

const tooManyOf = (plan: BulkPlan) =>
  plan.tooMany === undefined
    ? undefined
    : {
        message: `the filter selects ${plan.tooMany} leads, at most ${BULK_MAX} are changed per call`,
        hint: "Narrow the filter (e.g. status, user, due, tags) or pass ids, and call again.",
      };

/** Why a real run of the plan is refused, as the error to throw; undefined when it may run. */
export function refusal(plan: BulkPlan, maxPages: number): InputError | undefined {
  const gap = gapOf(plan, maxPages);
  if (gap) {
    return new InputError(
      `Nothing was changed: the filter selection is incomplete, so some matching leads would be missed. ${gap}`,
      {},
      "Narrow the filter with MOCO's own filters (status, tags, company_id, closed_from/to, updated_after) or pass ids, and call again.",
    );
  }
  const tooMany = tooManyOf(plan);
  return tooMany && new InputError(`Nothing was changed: ${tooMany.message}`, {}, tooMany.hint);
}

/** The question the human is asked before more than ASK_ABOVE leads change. */
export function bulkQuestion(plan: BulkPlan): string {
  const { todo } = plan;
  const sample = todo.slice(0, 3).map((p) => leadLine(p.lead));
  const rest = todo.length > 3 ? ` and ${todo.length - 3} more` : "";
  return `Change ${todo.length} leads: ${describe(plan.body, plan.target)}? ${sample.join(", ")}${rest}.`;
}

/** What every reply says first: loose names, every filter as understood, what MOCO sent beyond it, a partial selection. */
function head(plan: BulkPlan, maxPages: number): string[] {
  const lines = [
    ...plan.notes.map((n) => `${n}.`),
    ...(plan.echo.length > 0 ? [`Selected: ${plan.echo.join("; ")}.`] : []),
    ...plan.leftOut.map((n) => `${n}.`),
  ];
  const gap = gapOf(plan, maxPages);
  if (gap) lines.push(`${gap} A real run over this filter is refused.`);
  if (plan.closedOnIgnored) {
    lines.push(
      "closed_on: MOCO ignores it while a lead is pending or potential; set status won, lost or dropped with it.",
    );
  }
  return lines;
}

/** The dry run's reply: what would change, and how to apply it (with the token, when one is needed). */
export function dryRunReply(
  plan: BulkPlan,
  token: { token: string; expires_at: string } | undefined,
  maxPages: number,
): BulkReply {
  const lines = head(plan, maxPages);
  // A real run of this selection would be refused: no token, no "to apply".
  const tooMany = tooManyOf(plan);
  if (tooMany) lines.unshift(`A REAL RUN WOULD BE REFUSED: ${tooMany.message}. ${tooMany.hint}`);
  const todo = plan.todo.length;
  const ids = plan.byFilter
    ? ` with ids [${[...plan.leads.keys()].join(",")}] (exactly these leads, not the filter),`
    : "";
  const next = token
    ? ` To apply, after the human has seen this, call update_leads without dry_run,${ids} the same changes and confirm_token (before ${token.expires_at}); a lead changed meanwhile is skipped.`
    : "";
  const what = describe(plan.body, plan.target);
  const summary = `Dry run, nothing written: ${todo} of ${count(plan.rows.length, "lead")} would change (${what}).${next}`;
  const rows = plan.rows.map((r) => {
    const lead = plan.leads.get(r.id);
    return lead ? shownRow(r, lead) : r;
  });
  return result(rows, { dry_run: true, written: false, ...token }, [...lines, summary]);
}

/** The real run's reply: what changed, what did not and what failed; or that the human said no. */
export function runReply(plan: BulkPlan, run: BulkRun, maxPages: number): BulkReply {
  const lines = head(plan, maxPages);
  if (!run.confirmed) {
    const summary = `Not changed: changing ${plan.todo.length} leads was not confirmed (declined, cancelled or unanswered). Nothing was written.`;
    return result(plan.rows, { dry_run: false, written: false }, [...lines, summary]);
  }
  const { rows, counts } = run;
  const what = describe(plan.body, plan.target);
  const skipped =
    counts.skipped > 0
      ? `, ${counts.skipped} skipped (changed in MOCO since the dry run: ${rows
          .filter((r) => r.outcome === "skipped")
          .map((r) => r.id)
          .join(", ")})`
      : "";
  const summary = `Changed ${counts.changed} of ${count(rows.length, "lead")} (${what}); ${counts.unchanged} unchanged${skipped}, ${counts.failed} failed.`;
  return result(rows, { dry_run: false, written: counts.changed > 0 }, [
    ...lines,
    summary,
    ...failures(rows),
  ]);
}

/**
 * A dry run's row: the lead as the human must see it to approve the change (status, stage, owner,
 * company, amount and currency) besides its outcome and changes.
 */
function shownRow(row: Row, lead: Lead): Row {
  const { id, name, outcome, ...rest } = row;
  return {
    id,
    name,
    status: lead.status,
    stage: lead.category?.name ?? null,
    user: lead.user ? `${lead.user.firstname} ${lead.user.lastname}`.trim() : null,
    company: lead.company?.name ?? null,
    money: lead.money,
    currency: lead.currency,
    outcome,
    ...rest,
  } as Row;
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
  head: Pick<BulkReply["data"], "dry_run" | "written"> & { token?: string; expires_at?: string },
  lines: string[],
): BulkReply {
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
  const data: BulkReply["data"] = {
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
