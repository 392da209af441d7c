import { stageOrder } from "../../leads/stages.js";

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
  name: string;
  status: string;
  money: number;
  currency: string;
  stageId: number | null;
  stage: string | null;
  probability: number | null;
  owner: string | null;
  company: string | null;
  reminder: string | null;
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
}

export interface MonthPoint {
  month: string;
  count: number;
  total: number;
  weighted: number;
}

export interface CurrencyForecast {
  currency: string;
  months: MonthPoint[];
  /** The "(no date)" group: leads without a date on the month basis. */
  undated: MonthPoint | null;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const PLAIN_DATE = /^\d{4}-\d{2}-\d{2}$/;

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

/**
 * A card from a compact lead (list_leads: stage and probability by name) or a full one (update_lead,
 * get_lead, list_leads full=true: category with its id). A compact stage name is matched to the
 * account's stage list to learn its id.
 */
export function toCard(v: unknown, stages: readonly Stage[]): Card | null {
  if (!isObject(v)) return null;
  const id = num(v.id);
  const name = typeof v.name === "string" ? v.name : null;
  const money = num(v.money);
  const currency = str(v.currency);
  if (id === null || name === null || money === null || currency === null) return null;
  const category = toStage(v.category);
  const stageName = category?.name ?? str(v.stage);
  const known = category ?? stages.find((s) => s.name === stageName) ?? null;
  const user = v.user;
  const owner = isObject(user)
    ? [str(user.firstname), str(user.lastname)].filter(Boolean).join(" ") || null
    : str(user);
  const company = isObject(v.company) ? str(v.company.name) : str(v.company);
  const reminder = str(v.reminder_date);
  return {
    id,
    name,
    status: str(v.status) ?? "pending",
    money,
    currency,
    stageId: known?.id ?? null,
    stage: stageName,
    probability: category?.probability ?? num(v.probability) ?? known?.probability ?? null,
    owner,
    company,
    reminder: reminder && PLAIN_DATE.test(reminder) ? reminder : null,
  };
}

export interface LeadPage {
  cards: Card[];
  page: number | null;
  perPage: number | null;
  total: number | null;
  nextPage: number | null;
}

/** A list_leads result; null when it is not one. */
export function leadPage(structured: unknown, stages: readonly Stage[]): LeadPage | null {
  if (!isObject(structured) || !Array.isArray(structured.leads)) return null;
  return {
    cards: structured.leads.map((l) => toCard(l, stages)).filter((c): c is Card => c !== null),
    page: num(structured.page),
    perPage: num(structured.per_page),
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
    return known ? { ...c, stageId: known.id, probability: c.probability ?? known.probability } : c;
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

/** Per currency: count, value and weighted value (pending only), most leads first. */
export function totals(cards: readonly Card[]): CurrencyTotal[] {
  const by = new Map<string, CurrencyTotal>();
  for (const c of cards) {
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
    return { stage, cards: mine, totals: totals(mine) };
  });
  const loose = cards.filter((c) => c.stageId === null).sort(byReminder);
  if (loose.length > 0) out.push({ stage: null, cards: loose, totals: totals(loose) });
  return out;
}

/** An open lead whose follow-up day has passed. */
export const overdue = (card: Card, today: string) =>
  OPEN.has(card.status) && card.reminder !== null && card.reminder < today;

/** Replaces the card with the same id (the lead as MOCO stored it), keeping the order. */
export const replaceCard = (cards: readonly Card[], card: Card) =>
  cards.map((c) => (c.id === card.id ? card : c));

/** The stage before or after the card's own, for the keyboard move. */
export function neighbourStage(stages: readonly Stage[], card: Card, step: -1 | 1): Stage | null {
  const i = stages.findIndex((s) => s.id === card.stageId);
  if (i < 0) return step > 0 ? (stages[0] ?? null) : null;
  return stages[i + step] ?? null;
}

const MONTH = /^\d{4}-\d{2}$/;

function point(v: unknown): MonthPoint | null {
  if (!isObject(v)) return null;
  const key = typeof v.key === "string" ? v.key : null;
  const count = num(v.count);
  const total = num(v.total);
  const weighted = num(v.weighted);
  if (key === null || count === null || total === null || weighted === null) return null;
  return { month: key, count, total, weighted };
}

/**
 * The forecast of a pipeline_summary result grouped by month: per currency, the months in order as
 * the server computed them (the view adds nothing up itself). null when the result has no month groups.
 */
export function forecastOf(structured: unknown): CurrencyForecast[] | null {
  if (!isObject(structured) || !Array.isArray(structured.currencies)) return null;
  const out: CurrencyForecast[] = [];
  for (const c of structured.currencies) {
    if (!isObject(c) || typeof c.currency !== "string" || !Array.isArray(c.groups)) return null;
    const points = c.groups.map(point).filter((p): p is MonthPoint => p !== null);
    if (points.some((p) => !MONTH.test(p.month) && !p.month.startsWith("("))) return null; // not by month
    out.push({
      currency: c.currency,
      months: points.filter((p) => MONTH.test(p.month)).sort((a, b) => a.month.localeCompare(b.month)),
      undated: points.find((p) => !MONTH.test(p.month)) ?? null,
    });
  }
  return out;
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
