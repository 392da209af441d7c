import { stageOrder } from "../../leads/stages.js";
import { type Issue, isCalendarDate, isObject, num, rawText, str, unreadable } from "./values.js";

/**
 * The view's data: what list_leads, pipeline_summary, get_lead_options and update_lead return, read
 * defensively (the view trusts no shape it did not check), and the board's arithmetic. No DOM here.
 * Money is never added across currencies; weighted = pending value × stage probability / 100, the
 * rule pipeline_summary uses.
 */
export const STATUSES = ["potential", "pending", "won", "lost", "dropped"] as const;
const OPEN = new Set(["pending", "potential"]);

export interface Stage {
  id: number;
  name: string;
  probability: number;
}

export interface Card {
  id: number;
  /** "" when unreadable (an issue says so). */
  name: string;
  /** null when unreadable: neither open nor pending, so neither overdue nor weighted. */
  status: string | null;
  money: number | null;
  currency: string | null;
  stageId: number | null;
  stage: string | null;
  probability: number | null;
  owner: string | null;
  company: string | null;
  reminder: string | null;
  /** The fields MOCO sent in a shape the view cannot read, each shown on the card as it came. */
  issues: Issue[];
}

/** An entry of a result that is not a lead at all (no object, no id): listed, never dropped. */
export interface Unreadable {
  /** 1-based position in the whole list. */
  entry: number;
  text: string;
}

export interface CurrencyTotal {
  currency: string;
  count: number;
  total: number;
  weighted: number;
}

export interface Column {
  /** null: leads without a stage the account lists. */
  stage: Stage | null;
  cards: Card[];
  totals: CurrencyTotal[];
  /** Cards left out of the totals: their amount, currency, status or probability is unreadable. */
  uncounted: number;
}

function toStage(v: unknown): Stage | null {
  if (!isObject(v)) return null;
  const id = num(v.id);
  const name = str(v.name);
  const probability = num(v.probability);
  return id === null || name === null || probability === null ? null : { id, name, probability };
}

/** The account's stages (get_lead_options), in pipeline order (the server's one rule, stageOrder). */
export function stagesOf(options: unknown): Stage[] {
  const list = isObject(options) && Array.isArray(options.stages) ? options.stages : [];
  return list
    .map(toStage)
    .filter((s): s is Stage => s !== null)
    .sort(stageOrder);
}

/** Issues on these fields make a card's figures unknown: it is left out of the totals. */
const FIGURES = new Set(["money", "currency", "status", "probability"]);
export const counts = (c: Card) => !c.issues.some((i) => FIGURES.has(i.field));

const present = (v: unknown) => v !== undefined && v !== null && v !== "";
const isStatus = (v: unknown): v is string => (STATUSES as readonly unknown[]).includes(v);
const isProbability = (v: unknown): v is number =>
  num(v) !== null && (v as number) >= 0 && (v as number) <= 100;

/** A name as text: a string, or an object's name (a user's first and last name); undefined when odd. */
function nameOf(v: unknown): string | null | undefined {
  if (!present(v)) return null;
  if (typeof v === "string") return v;
  if (!isObject(v)) return undefined;
  const name = str(v.name) ?? ([str(v.firstname), str(v.lastname)].filter(Boolean).join(" ") || null);
  return name ?? undefined;
}

/**
 * A card from a compact lead (list_leads: stage and probability by name) or a full one (update_lead,
 * get_lead, list_leads full=true: category with its id). A compact stage name is matched to the
 * account's stage list to learn its id. A field the view cannot read becomes an issue the card shows
 * with its raw value; only an entry without an object or an id is no card (the reason is returned).
 */
export function readLead(v: unknown, stages: readonly Stage[]): Card | string {
  if (!isObject(v)) return `not a lead object: ${rawText(v)}`;
  const id = num(v.id);
  if (id === null) return `${unreadable("id", "id", v.id).text}: ${rawText(v)}`;
  const issues: Issue[] = [];
  const check = <T>(ok: boolean, value: T, field: string, label: string, raw: unknown): T | null => {
    if (ok) return value;
    issues.push(unreadable(field, label, raw));
    return null;
  };
  const name = check(typeof v.name === "string", v.name as string, "name", "name", v.name) ?? "";
  const status = check(isStatus(v.status), v.status as string, "status", "status", v.status);
  const money = check(num(v.money) !== null, v.money as number, "money", "amount", v.money);
  const currency = check(str(v.currency) !== null, v.currency as string, "currency", "currency", v.currency);
  const category = toStage(v.category);
  const stageName =
    category?.name ??
    check(!present(v.stage) || typeof v.stage === "string", str(v.stage), "stage", "stage", v.stage);
  const known = category ?? stages.find((s) => s.name === stageName) ?? null;
  const probability = present(v.probability)
    ? check(
        isProbability(v.probability),
        v.probability as number,
        "probability",
        "probability",
        v.probability,
      )
    : null;
  const owner = nameOf(v.user);
  const company = nameOf(v.company);
  const reminder = present(v.reminder_date)
    ? check(
        isCalendarDate(v.reminder_date),
        v.reminder_date as string,
        "reminder_date",
        "Reminder date",
        v.reminder_date,
      )
    : null;
  return {
    id,
    name,
    status,
    money,
    currency,
    stageId: known?.id ?? null,
    stage: stageName,
    probability:
      category?.probability ?? probability ?? (present(v.probability) ? null : (known?.probability ?? null)),
    owner: check(owner !== undefined, owner ?? null, "user", "owner", v.user),
    company: check(company !== undefined, company ?? null, "company", "company", v.company),
    reminder,
    issues,
  };
}

/** The lead as a card; null when it is none. */
export const toCard = (v: unknown, stages: readonly Stage[]) => {
  const read = readLead(v, stages);
  return typeof read === "string" ? null : read;
};

export interface LeadPage {
  cards: Card[];
  unreadable: Unreadable[];
  page: number | null;
  perPage: number | null;
  total: number | null;
  nextPage: number | null;
}

/** A list_leads result; null when it is not one. */
export function leadPage(structured: unknown, stages: readonly Stage[]): LeadPage | null {
  if (!isObject(structured) || !Array.isArray(structured.leads)) return null;
  const page = num(structured.page);
  const perPage = num(structured.per_page);
  const before = page !== null && perPage !== null ? (page - 1) * perPage : 0;
  const cards: Card[] = [];
  const bad: Unreadable[] = [];
  structured.leads.forEach((l, i) => {
    const read = readLead(l, stages);
    if (typeof read === "string") bad.push({ entry: before + i + 1, text: read });
    else cards.push(read);
  });
  return {
    cards,
    unreadable: bad,
    page,
    perPage,
    total: num(structured.total),
    nextPage: num(structured.next_page),
  };
}

/** The lead an update_lead or get_lead result carries. */
export const leadOf = (structured: unknown, stages: readonly Stage[]) =>
  isObject(structured) ? toCard(structured.lead, stages) : null;

/** Cards of a compact page know their stage by name only; the stage list, once known, gives ids. */
export const withStageIds = (cards: readonly Card[], stages: readonly Stage[]) =>
  cards.map((c) => {
    if (c.stageId !== null) return c;
    const known = stages.find((s) => s.name === c.stage);
    if (!known) return c;
    const unreadable = c.issues.some((i) => i.field === "probability");
    return { ...c, stageId: known.id, probability: c.probability ?? (unreadable ? null : known.probability) };
  });

/**
 * Without the account's stage list (get_lead_options failed): the stages the cards name, with
 * stand-in negative ids, so the board still groups them (moving stays off: MOCO knows no such ids).
 */
export function stagesFromCards(cards: readonly Card[]): Stage[] {
  const seen = new Map<string, Stage>();
  for (const c of cards) {
    if (c.stage === null || seen.has(c.stage)) continue;
    seen.set(c.stage, { id: c.stageId ?? -(seen.size + 1), name: c.stage, probability: c.probability ?? 0 });
  }
  return [...seen.values()].sort(stageOrder);
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Per currency: count, value and weighted value (pending only), most leads first. Cards whose figures
 * are unreadable are left out (the column says how many): a sum with a guess in it would be wrong.
 */
export function totals(cards: readonly Card[]): CurrencyTotal[] {
  const by = new Map<string, CurrencyTotal>();
  for (const c of cards) {
    if (!counts(c) || c.money === null || c.currency === null) continue;
    const t = by.get(c.currency) ?? { currency: c.currency, count: 0, total: 0, weighted: 0 };
    t.count++;
    t.total += c.money;
    if (c.status === "pending") t.weighted += (c.money * (c.probability ?? 0)) / 100;
    by.set(c.currency, t);
  }
  return [...by.values()]
    .map((t) => ({ ...t, total: round(t.total), weighted: round(t.weighted) }))
    .sort((a, b) => b.count - a.count || a.currency.localeCompare(b.currency));
}

const byReminder = (a: Card, b: Card) =>
  (a.reminder ?? "9999").localeCompare(b.reminder ?? "9999") || a.id - b.id;

const column = (stage: Stage | null, cards: Card[]): Column => ({
  stage,
  cards,
  totals: totals(cards),
  uncounted: cards.filter((c) => !counts(c)).length,
});

/**
 * One column per stage of the account (stages the cards name but the list lacks are added), and one
 * for cards without a known stage when there are any. Cards by reminder date, the most urgent first.
 */
export function columns(cards: readonly Card[], stages: readonly Stage[]): Column[] {
  const all = [...stages];
  for (const c of cards) {
    if (c.stageId === null || all.some((s) => s.id === c.stageId)) continue;
    all.push({ id: c.stageId, name: c.stage ?? String(c.stageId), probability: c.probability ?? 0 });
  }
  all.sort(stageOrder);
  const out: Column[] = all.map((stage) => {
    const mine = cards.filter((c) => c.stageId === stage.id).sort(byReminder);
    return column(stage, mine);
  });
  const loose = cards.filter((c) => c.stageId === null).sort(byReminder);
  if (loose.length > 0) out.push(column(null, loose));
  return out;
}

/** An open lead whose follow-up day has passed. */
export const overdue = (card: Card, today: string) =>
  card.status !== null && OPEN.has(card.status) && card.reminder !== null && card.reminder < today;

/** Replaces the card with the same id (the lead as MOCO stored it), keeping the order. */
export const replaceCard = (cards: readonly Card[], card: Card) =>
  cards.map((c) => (c.id === card.id ? card : c));

/** The stage before or after the card's own, for the keyboard move. */
export function neighbourStage(stages: readonly Stage[], card: Card, step: -1 | 1): Stage | null {
  const i = stages.findIndex((s) => s.id === card.stageId);
  if (i < 0) return step > 0 ? (stages[0] ?? null) : null;
  return stages[i + step] ?? null;
}

/** The message of a failed tool call: its first text line (the last line is machine-readable JSON). */
export function errorText(result: unknown): string {
  const content = isObject(result) && Array.isArray(result.content) ? result.content : [];
  const text = content
    .map((c) => (isObject(c) && c.type === "text" && typeof c.text === "string" ? c.text : ""))
    .join("\n");
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.startsWith('{"error"'));
  return lines.join(" ").trim() || "The server reported an error without a message.";
}
