/// <reference lib="dom" />
import { h } from "./dom.js";
import type { Formats } from "./format.js";
import { type Card, neighbourStage, overdue, type Stage } from "./model.js";
import type { Issue } from "./values.js";

/** What a card shows besides the lead: a write under way, or the server's refusal. */
export interface CardState {
  busy?: string;
  error?: string;
  editing?: boolean;
}

/** What a card needs from the board. */
export interface CardProps {
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

export const DRAG_TYPE = "application/x-moco-lead";

/** The fields a card shows in their own place; issues on any other field are listed below them. */
const PLACED = new Set(["name", "money", "currency", "reminder_date"]);
const issuesOf = (c: Card, ...fields: string[]) => c.issues.filter((i) => fields.includes(i.field));
/** A value MOCO sent that the view cannot read: shown as it came, marked. */
const invalid = (tag: "span" | "h3", cls: string, issues: Issue[]) =>
  h(tag, { class: `${cls} invalid` }, issues.map((i) => i.text).join("; "));

/** How a card names its lead in labels: by name, or by id when the name is unreadable. */
export const label = (c: Card) => c.name || `lead ${c.id}`;

/** Enter opens the details; Alt+→ / Alt+← move the card to the next or previous stage. */
function onKey(c: Card, p: CardProps, movable: boolean) {
  return (event: Event) => {
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
}

function stageSelect(c: Card, p: CardProps, movable: boolean) {
  return h(
    "select",
    {
      class: "stage-select",
      "aria-label": `Stage of ${label(c)}`,
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
}

function reminderForm(c: Card, p: CardProps, state: CardState) {
  const dateInput = h("input", {
    type: "date",
    class: "reminder-input",
    "aria-label": `Reminder date of ${label(c)}`,
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
  return h(
    "div",
    { class: "reminder-form" },
    dateInput,
    h(
      "button",
      { type: "button", disabled: !!state.busy, "data-focus": `save-${c.id}`, onclick: save },
      "Save date",
    ),
  );
}

function editor(c: Card, p: CardProps, state: CardState, movable: boolean) {
  return h(
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
    h("label", { class: "field" }, h("span", {}, "Stage"), stageSelect(c, p, movable)),
    h("div", { class: "field" }, h("span", {}, "Reminder"), reminderForm(c, p, state)),
  );
}

/** Name, company, owner, amount, reminder, marks: what the card says about the lead. */
function facts(c: Card, p: CardProps, late: boolean) {
  const name = issuesOf(c, "name");
  const amount = issuesOf(c, "money", "currency");
  const reminder = issuesOf(c, "reminder_date");
  const others = c.issues.filter((i) => !PLACED.has(i.field));
  return [
    name.length > 0 ? invalid("h3", "card-name", name) : h("h3", { class: "card-name" }, c.name),
    c.company ? h("p", { class: "card-company" }, c.company) : null,
    h(
      "p",
      { class: "card-line" },
      h("span", { class: "card-owner" }, c.owner ?? "No owner"),
      amount.length > 0 || c.money === null || c.currency === null
        ? invalid("span", "card-amount", amount)
        : h("span", { class: "card-amount" }, p.fmt.money(c.money, c.currency)),
    ),
    h(
      "p",
      { class: "card-line" },
      reminder.length > 0
        ? invalid("span", "card-reminder", reminder)
        : h(
            "span",
            { class: "card-reminder" },
            c.reminder ? `Reminder ${p.fmt.date(c.reminder)}` : "No reminder",
          ),
      late ? h("span", { class: "badge overdue", role: "note" }, "Overdue") : null,
      c.status !== null && c.status !== "pending"
        ? h("span", { class: `badge status-${c.status}` }, c.status)
        : null,
    ),
    others.length > 0
      ? h(
          "ul",
          { class: "card-issues", "aria-label": "Unreadable values" },
          others.map((i) => h("li", { class: "invalid" }, i.text)),
        )
      : null,
  ];
}

export function card(c: Card, p: CardProps): HTMLElement {
  const state = p.cardState.get(c.id) ?? {};
  const late = overdue(c, p.today);
  const movable = p.stages.length > 0 && !state.busy;
  const flags = `${late ? " is-overdue" : ""}${state.error ? " has-error" : ""}${c.issues.length > 0 ? " has-invalid" : ""}`;
  return h(
    "article",
    {
      class: `card${flags}`,
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
      onkeydown: onKey(c, p, movable),
    },
    facts(c, p, late),
    h(
      "div",
      { class: "card-actions" },
      editor(c, p, state, movable),
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
