/// <reference lib="dom" />
import { h } from "./dom.js";
import type { Formats } from "./format.js";
import { type Card, type Column, type CurrencyTotal, neighbourStage, overdue, type Stage } from "./model.js";

/** What a card shows besides the lead: a write under way, or the server's refusal. */
export interface CardState {
  busy?: string;
  error?: string;
  editing?: boolean;
}

export interface BoardProps {
  columns: Column[];
  /** The stages a card can move to (empty: the stage list is unknown, so moving is off). */
  stages: Stage[];
  fmt: Formats;
  today: string;
  cardState: ReadonlyMap<number, CardState>;
  move(card: Card, stageId: number): void;
  remind(card: Card, date: string): void;
  details(card: Card): void;
  edit(card: Card, open: boolean): void;
}

const DRAG_TYPE = "application/x-moco-lead";

function totalsList(totals: CurrencyTotal[], fmt: Formats) {
  return h(
    "ul",
    { class: "totals", "aria-label": "Totals per currency" },
    totals.map((t) =>
      h(
        "li",
        { class: "total", "data-currency": t.currency },
        h("span", { class: "total-value" }, fmt.money(t.total, t.currency)),
        h("span", { class: "total-weighted" }, `weighted ${fmt.money(t.weighted, t.currency)}`),
      ),
    ),
  );
}

function card(c: Card, p: BoardProps) {
  const state = p.cardState.get(c.id) ?? {};
  const late = overdue(c, p.today);
  const movable = p.stages.length > 0 && !state.busy;
  const onKey = (event: Event) => {
    const e = event as KeyboardEvent;
    if (e.target !== e.currentTarget) return;
    if (e.key === "Enter") {
      e.preventDefault();
      p.details(c);
      return;
    }
    const step = e.altKey && e.key === "ArrowRight" ? 1 : e.altKey && e.key === "ArrowLeft" ? -1 : 0;
    if (step === 0 || !movable) return;
    e.preventDefault();
    const to = neighbourStage(p.stages, c, step);
    if (to) p.move(c, to.id);
  };
  const stageSelect = h(
    "select",
    {
      class: "stage-select",
      "aria-label": `Stage of ${c.name}`,
      "data-focus": `stage-${c.id}`,
      disabled: !movable,
      onchange: (e: Event) => p.move(c, Number((e.target as HTMLSelectElement).value)),
    },
    c.stageId === null ? h("option", { value: "", selected: true }, "(no stage)") : null,
    p.stages.map((s) =>
      h(
        "option",
        { value: s.id, selected: s.id === c.stageId },
        `${s.name} (${p.fmt.percent(s.probability)})`,
      ),
    ),
  );
  const dateInput = h("input", {
    type: "date",
    class: "reminder-input",
    "aria-label": `Reminder date of ${c.name}`,
    "data-focus": `date-${c.id}`,
    value: c.reminder ?? "",
    required: true,
  });
  // No <form>: hosts sandbox the view without allow-forms, so a submit event would never fire.
  const save = () => {
    if (dateInput.value && dateInput.value !== c.reminder) p.remind(c, dateInput.value);
  };
  dateInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      save();
    }
  });
  const reminderForm = h(
    "div",
    { class: "reminder-form" },
    dateInput,
    h(
      "button",
      { type: "button", disabled: !!state.busy, "data-focus": `save-${c.id}`, onclick: save },
      "Save date",
    ),
  );
  const editor = h(
    "details",
    {
      class: "card-edit",
      open: !!state.editing,
      ontoggle: (e: Event) => {
        const open = (e.currentTarget as HTMLDetailsElement).open;
        if (open !== !!state.editing) p.edit(c, open);
      },
    },
    h("summary", { "data-focus": `edit-${c.id}` }, "Edit"),
    h("label", { class: "field" }, h("span", {}, "Stage"), stageSelect),
    h("div", { class: "field" }, h("span", {}, "Reminder"), reminderForm),
  );
  return h(
    "article",
    {
      class: `card${late ? " is-overdue" : ""}${state.error ? " has-error" : ""}`,
      tabindex: 0,
      draggable: movable ? "true" : "false",
      "data-lead-id": c.id,
      "data-focus": `card-${c.id}`,
      "aria-busy": state.busy ? "true" : undefined,
      "aria-describedby": "card-help",
      ondragstart: (e: Event) => {
        const dt = (e as DragEvent).dataTransfer;
        dt?.setData(DRAG_TYPE, String(c.id));
        dt?.setData("text/plain", String(c.id));
        if (dt) dt.effectAllowed = "move";
      },
      onkeydown: onKey,
    },
    h("h3", { class: "card-name" }, c.name),
    c.company ? h("p", { class: "card-company" }, c.company) : null,
    h(
      "p",
      { class: "card-line" },
      h("span", { class: "card-owner" }, c.owner ?? "No owner"),
      h("span", { class: "card-amount" }, p.fmt.money(c.money, c.currency)),
    ),
    h(
      "p",
      { class: "card-line" },
      h(
        "span",
        { class: "card-reminder" },
        c.reminder ? `Reminder ${p.fmt.date(c.reminder)}` : "No reminder",
      ),
      late ? h("span", { class: "badge overdue", role: "note" }, "Overdue") : null,
      c.status !== "pending" ? h("span", { class: `badge status-${c.status}` }, c.status) : null,
    ),
    h(
      "div",
      { class: "card-actions" },
      editor,
      h(
        "button",
        {
          type: "button",
          class: "details-button",
          "data-focus": `details-${c.id}`,
          onclick: () => p.details(c),
        },
        "Details",
      ),
    ),
    state.busy ? h("p", { class: "card-busy", role: "status" }, state.busy) : null,
    state.error ? h("p", { class: "card-error", role: "alert" }, state.error) : null,
  );
}

function column(col: Column, p: BoardProps) {
  const id = col.stage?.id ?? null;
  const title = col.stage?.name ?? "No stage";
  const headingId = `col-${id ?? "none"}`;
  const dropTarget = id !== null && p.stages.some((s) => s.id === id);
  return h(
    "section",
    {
      class: "column",
      "data-stage-id": id ?? "",
      "aria-labelledby": headingId,
      ondragover: (e: Event) => {
        const dt = (e as DragEvent).dataTransfer;
        if (!dropTarget || !dt?.types.includes(DRAG_TYPE)) return;
        e.preventDefault();
        dt.dropEffect = "move";
        (e.currentTarget as HTMLElement).classList.add("is-drop-target");
      },
      ondragleave: (e: Event) => (e.currentTarget as HTMLElement).classList.remove("is-drop-target"),
      ondrop: (e: Event) => {
        (e.currentTarget as HTMLElement).classList.remove("is-drop-target");
        const leadId = Number((e as DragEvent).dataTransfer?.getData(DRAG_TYPE));
        const moved = col.cards.some((c) => c.id === leadId) ? undefined : findCard(p, leadId);
        if (!dropTarget || id === null || !moved) return;
        e.preventDefault();
        p.move(moved, id);
      },
    },
    h(
      "header",
      { class: "column-head" },
      h(
        "h2",
        { id: headingId },
        h("span", { class: "column-name" }, title),
        col.stage ? h("span", { class: "probability" }, p.fmt.percent(col.stage.probability)) : null,
      ),
      h(
        "p",
        { class: "column-count" },
        `${p.fmt.count(col.cards.length)} ${col.cards.length === 1 ? "lead" : "leads"}`,
      ),
      totalsList(col.totals, p.fmt),
    ),
    h(
      "div",
      { class: "cards", "data-scroll": `cards-${id ?? "none"}` },
      col.cards.map((c) => card(c, p)),
    ),
  );
}

const findCard = (p: BoardProps, id: number) => p.columns.flatMap((c) => c.cards).find((c) => c.id === id);

export function board(p: BoardProps): HTMLElement {
  return h(
    "div",
    { class: "board", "data-scroll": "board" },
    h(
      "p",
      { id: "card-help", class: "sr-only" },
      "Alt+Right or Alt+Left moves the lead to the next or previous stage; Enter opens its details.",
    ),
    p.columns.map((col) => column(col, p)),
  );
}
