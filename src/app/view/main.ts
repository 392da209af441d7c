/// <reference lib="dom" />
import { board } from "./board.js";
import { Bridge, type HostContext, reportSize, type ToolResult } from "./bridge.js";
import { type CardState, label } from "./card.js";
import { applyContext, mergeContext } from "./context.js";
import { detailsBody } from "./details.js";
import { h } from "./dom.js";
import { type Filters, filtersOf, listArgs, PAGE_SIZE, summaryArgs, type Tool } from "./filters.js";
import { filtersBar } from "./filters-bar.js";
import { forecast } from "./forecast.js";
import { type CurrencyForecast, forecastOf } from "./forecast-model.js";
import { formats, today } from "./format.js";
import {
  type Card,
  columns,
  errorText,
  type LeadPage,
  leadOf,
  leadPage,
  replaceCard,
  type Stage,
  stagesFromCards,
  stagesOf,
  type Unreadable,
  withStageIds,
} from "./model.js";

/** How many pages of 100 the board reads at most: 500 leads, 5 MOCO requests. */
const MAX_PAGES = 5;
/** The leads the board shows at most, however many one result carries: what it would page to. */
const MAX_LEADS = MAX_PAGES * PAGE_SIZE;
type Tab = "board" | "forecast";
type Load =
  | { status: "idle" }
  | { status: "loading" }
  | { status: "ready" }
  | { status: "error"; message: string };

const state = {
  ctx: {} as HostContext,
  fmt: formats(undefined),
  today: today(undefined),
  canCall: false,
  opener: null as Tool | null,
  args: {} as Record<string, unknown>,
  filters: filtersOf(null, {}) as Filters,
  tab: "board" as Tab,
  notice: "",
  stages: [] as Stage[],
  stagesKnown: false,
  stagesError: "",
  cards: [] as Card[],
  unreadable: [] as Unreadable[],
  boardNote: "",
  board: { status: "idle" } as Load,
  cardState: new Map<number, CardState>(),
  forecast: null as CurrencyForecast[] | null,
  forecastLoad: { status: "idle" } as Load,
  forecastStale: false,
};
let boardRun = 0;
let forecastRun = 0;

const bridge = new Bridge(window.parent);
const el = (id: string) => document.getElementById(id) as HTMLElement;

async function call(name: string, args: Record<string, unknown>): Promise<ToolResult> {
  try {
    return await bridge.callTool(name, args);
  } catch (error) {
    // The host refused or failed the request itself: shown like a tool error.
    return { isError: true, content: [{ type: "text", text: (error as Error).message }] };
  }
}

async function structured(name: string, args: Record<string, unknown>): Promise<unknown> {
  const result = await call(name, args);
  if (result.isError) throw new Error(errorText(result));
  return result.structuredContent;
}

// ---- loading ----

async function loadStages() {
  if (state.stagesKnown || !state.canCall) return;
  try {
    state.stages = stagesOf(await structured("get_lead_options", {}));
    state.stagesKnown = state.stages.length > 0;
    state.stagesError = state.stagesKnown ? "" : "The account lists no stages.";
  } catch (error) {
    state.stagesError = `Stages could not be read, so cards cannot be moved: ${(error as Error).message}`;
  }
}

const firstPageFits = (first: LeadPage | undefined): first is LeadPage =>
  first !== undefined && (first.page ?? 1) === 1 && (first.nextPage === null || first.perPage === PAGE_SIZE);

async function loadBoard(first?: LeadPage) {
  const run = ++boardRun;
  state.board = { status: "loading" };
  render("board");
  try {
    await loadStages();
    const fetchPage = async (n: number) => {
      const page = leadPage(await structured("list_leads", listArgs(state.filters, n)), state.stages);
      if (!page) throw new Error("list_leads answered without leads.");
      return page;
    };
    let page = firstPageFits(first) || !state.canCall ? first : await fetchPage(1);
    if (!page) throw new Error("No leads to show.");
    const cards = [...page.cards];
    const unreadable = [...page.unreadable];
    for (let pages = 1; state.canCall && page.nextPage !== null && pages < MAX_PAGES; pages++) {
      page = await fetchPage(page.nextPage);
      cards.push(...page.cards);
      unreadable.push(...page.unreadable);
    }
    if (run !== boardRun) return;
    const shown = cards.slice(0, MAX_LEADS);
    state.cards = withStageIds(shown, state.stagesKnown ? state.stages : stagesFromCards(shown));
    state.unreadable = unreadable;
    // Entries that are no lead are listed on the board apart; the note counts leads.
    const total = Math.max(page.total ?? 0, cards.length + unreadable.length) - unreadable.length;
    state.boardNote = boardNote(shown.length, total);
    state.cardState.clear();
    state.board = { status: "ready" };
  } catch (error) {
    if (run !== boardRun) return;
    state.board = { status: "error", message: (error as Error).message };
  }
  render("board");
}

/** "Showing 500 of 5,000 leads" when the result holds more than the board shows. */
function boardNote(shown: number, total: number) {
  const { count } = state.fmt;
  return total > shown
    ? `Showing ${count(shown)} of ${count(total)} leads; narrow the filters to see the rest.`
    : `${count(shown)} leads`;
}

async function loadForecast(given?: CurrencyForecast[]) {
  const run = ++forecastRun;
  state.forecastStale = false;
  if (given) {
    state.forecast = given;
    state.forecastLoad = { status: "ready" };
    render("forecast");
    return;
  }
  state.forecastLoad = { status: "loading" };
  render("forecast");
  try {
    const list = forecastOf(await structured("pipeline_summary", summaryArgs(state.filters)));
    if (!list) throw new Error("pipeline_summary answered without months.");
    if (run !== forecastRun) return;
    state.forecast = list;
    state.forecastLoad = { status: "ready" };
  } catch (error) {
    if (run !== forecastRun) return;
    state.forecastLoad = { status: "error", message: (error as Error).message };
  }
  render("forecast");
}

/** Shows a tab, loading its data the first time (or again after a write made it stale). */
function showTab(tab: Tab) {
  state.tab = tab;
  render();
  if (tab === "board" && state.board.status === "idle") void loadBoard();
  if (tab === "forecast" && (state.forecastLoad.status === "idle" || state.forecastStale))
    void loadForecast();
}

function opened(result: ToolResult) {
  if (result.isError) {
    state.notice = `The tool call failed: ${errorText(result)}`;
    render();
    return;
  }
  const sc = result.structuredContent;
  const page = leadPage(sc, []);
  const isSummary = typeof sc === "object" && sc !== null && "currencies" in sc;
  state.opener ??= page ? "list_leads" : isSummary ? "pipeline_summary" : null;
  state.filters = filtersOf(state.opener, state.args);
  renderFilters();
  if (page) {
    state.tab = "board";
    void loadBoard(page);
  } else if (isSummary) {
    state.tab = "forecast";
    void loadForecast(forecastOf(sc) ?? undefined);
  } else {
    state.notice = "This view shows list_leads and pipeline_summary results.";
    render();
  }
}

// ---- actions: each writes through the host and shows what MOCO stored, never a guess ----

function setCard(id: number, s: CardState | undefined) {
  if (s) state.cardState.set(id, { editing: state.cardState.get(id)?.editing, ...s });
  else state.cardState.set(id, { editing: state.cardState.get(id)?.editing });
  render("board");
}

async function write(card: Card, busy: string, args: Record<string, unknown>) {
  setCard(card.id, { busy });
  const result = await call("update_lead", { id: card.id, ...args });
  const lead = result.isError ? null : leadOf(result.structuredContent, state.stages);
  if (!lead) {
    setCard(card.id, { error: result.isError ? errorText(result) : "The server's answer had no lead." });
    return;
  }
  state.cards = replaceCard(state.cards, lead);
  state.forecastStale = true;
  setCard(card.id, undefined);
}

function move(card: Card, stageId: number) {
  const stage = state.stages.find((s) => s.id === stageId);
  if (!stage || stageId === card.stageId) return;
  void write(card, `Moving to ${stage.name}…`, { deal_category_id: stageId });
}

function remind(card: Card, date: string) {
  void write(card, `Setting the reminder to ${state.fmt.date(date)}…`, { reminder_date: date });
}

let detailsOf: number | null = null;

async function details(card: Card) {
  detailsOf = card.id;
  const dialog = el("details") as HTMLDialogElement;
  const body = el("details-body");
  el("details-title").textContent = card.name || label(card);
  body.replaceChildren(h("p", { role: "status" }, "Loading…"));
  if (!dialog.open) dialog.showModal();
  const result = await call("get_lead", { id: card.id });
  const lead = result.isError ? null : (result.structuredContent as { lead?: Record<string, unknown> })?.lead;
  if (!lead) {
    const message = result.isError ? errorText(result) : "The server's answer had no lead.";
    body.replaceChildren(h("p", { class: "error", role: "alert" }, message));
    setCard(card.id, { error: message });
    return;
  }
  body.replaceChildren(...detailsBody(lead, state.fmt).filter((n): n is Node => n instanceof Node));
  const fresh = leadOf(result.structuredContent, state.stages);
  if (fresh) state.cards = replaceCard(state.cards, fresh);
  setCard(card.id, undefined);
}

// ---- rendering ----

/** Replaces a region's content, keeping focus and scroll positions where the person left them. */
function swap(region: HTMLElement, node: Node) {
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.focus;
  const scroll = [...region.querySelectorAll<HTMLElement>("[data-scroll]")].map(
    (e) => [e.dataset.scroll, e.scrollLeft, e.scrollTop] as const,
  );
  region.replaceChildren(node);
  for (const [key, left, top] of scroll) {
    const e = region.querySelector<HTMLElement>(`[data-scroll="${CSS.escape(key ?? "")}"]`);
    if (e) [e.scrollLeft, e.scrollTop] = [left, top];
  }
  if (focused && region.contains(document.activeElement) === false) {
    region.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
  }
}

function loadView(load: Load, what: string, ready: () => Node) {
  if (load.status === "loading") return h("p", { class: "loading", role: "status" }, `Loading ${what}…`);
  if (load.status === "error") {
    return h(
      "div",
      { class: "error", role: "alert" },
      h("p", {}, `The ${what} could not be loaded: ${load.message}`),
      h(
        "button",
        { type: "button", onclick: () => (what === "board" ? loadBoard() : loadForecast()) },
        "Try again",
      ),
    );
  }
  return load.status === "ready" ? ready() : h("p", {}, "");
}

type Region = "board" | "forecast";
/** Regions whose drawing no longer matches the state: drawn when next shown, so a tab switch redraws nothing that did not change. */
const stale = new Set<Region>(["board", "forecast"]);

/** The header (tabs, notes) always; of the regions that changed, the one shown now. */
function render(...changed: Region[]) {
  for (const region of changed) stale.add(region);
  document.body.dataset.tab = state.tab;
  for (const tab of ["board", "forecast"] as const) {
    const button = el(`tab-${tab}`);
    button.setAttribute("aria-selected", String(state.tab === tab));
    button.tabIndex = state.tab === tab ? 0 : -1;
    el(`panel-${tab}`).hidden = state.tab !== tab;
  }
  const fullscreen = el("fullscreen");
  const modes = state.ctx.availableDisplayModes ?? [];
  fullscreen.hidden = !modes.includes("fullscreen");
  fullscreen.textContent = state.ctx.displayMode === "fullscreen" ? "Exit full screen" : "Full screen";
  el("notice").textContent = [state.notice, state.stagesError].filter(Boolean).join(" ");
  el("board-note").textContent = state.board.status === "ready" ? state.boardNote : "";
  if (!stale.delete(state.tab)) return;
  if (state.tab === "board") swap(el("board-view"), loadView(state.board, "board", boardView));
  else swap(el("forecast-view"), loadView(state.forecastLoad, "forecast", forecastView));
}

function boardView() {
  const stages = state.stagesKnown ? state.stages : stagesFromCards(state.cards);
  return board({
    columns: columns(state.cards, stages),
    unreadable: state.unreadable,
    stages: state.stagesKnown && state.canCall ? state.stages : [],
    fmt: state.fmt,
    today: state.today,
    cardState: state.cardState,
    move,
    remind,
    details: (c) => void details(c),
    edit: (c, open) => {
      state.cardState.set(c.id, { ...state.cardState.get(c.id), editing: open });
    },
  });
}

const forecastView = () => forecast(state.forecast ?? [], state.fmt);

function renderFilters() {
  swap(
    el("filters"),
    filtersBar(state.filters, (next) => {
      state.filters = next;
      applyFilters();
    }),
  );
}

/** New filters: both tools are called again with them (the hidden tab when it is next shown). */
function applyFilters() {
  renderFilters();
  state.board = { status: "idle" };
  state.forecastLoad = { status: "idle" };
  showTab(state.tab);
}

function contextChanged() {
  applyContext(state.ctx);
  state.fmt = formats(state.ctx.locale ?? navigator.language);
  state.today = today(state.ctx.timeZone);
  render("board", "forecast");
}

async function toggleFullscreen() {
  const mode = state.ctx.displayMode === "fullscreen" ? "inline" : "fullscreen";
  try {
    const result = (await bridge.request("ui/request-display-mode", { mode })) as {
      mode?: HostContext["displayMode"];
    };
    state.ctx = mergeContext(state.ctx, { displayMode: result.mode ?? state.ctx.displayMode });
  } catch (error) {
    state.notice = `The host kept the display mode: ${(error as Error).message}`;
  }
  contextChanged();
}

async function start() {
  el("tab-board").addEventListener("click", () => showTab("board"));
  el("tab-forecast").addEventListener("click", () => showTab("forecast"));
  el("tabs").addEventListener("keydown", (e) => {
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") {
      showTab(state.tab === "board" ? "forecast" : "board");
      el(`tab-${state.tab}`).focus();
    }
  });
  el("fullscreen").addEventListener("click", () => void toggleFullscreen());
  el("details-close").addEventListener("click", () => (el("details") as HTMLDialogElement).close());
  // The card that opened the dialog may have been redrawn meanwhile: focus goes back to its new self.
  el("details").addEventListener("close", () =>
    document.querySelector<HTMLElement>(`[data-focus="card-${detailsOf}"]`)?.focus(),
  );
  bridge.on("ui/notifications/tool-input", (params) => {
    const args = (params as { arguments?: unknown } | undefined)?.arguments;
    state.args = typeof args === "object" && args !== null ? (args as Record<string, unknown>) : {};
  });
  bridge.on("ui/notifications/tool-result", (params) => opened((params ?? {}) as ToolResult));
  bridge.on("ui/notifications/tool-cancelled", () => {
    state.notice = "The tool call was cancelled.";
    render();
  });
  bridge.on("ui/notifications/host-context-changed", (params) => {
    state.ctx = mergeContext(state.ctx, (params ?? {}) as HostContext);
    contextChanged();
  });
  const init = await bridge.connect({ name: "moco-leads-pipeline", version: "1" }, ["inline", "fullscreen"]);
  state.ctx = init.hostContext ?? {};
  state.canCall = init.hostCapabilities?.serverTools !== undefined;
  const name = state.ctx.toolInfo?.tool?.name;
  if (name === "list_leads" || name === "pipeline_summary") state.opener = name;
  if (!state.canCall)
    state.notice = "This host does not pass tool calls on, so the view cannot change leads.";
  contextChanged();
  renderFilters();
  reportSize(bridge);
}

void start();
