/// <reference lib="dom" />
import { type CardProps, card, DRAG_TYPE } from "./card.js";
import { guarded, h } from "./dom.js";
import type { Formats } from "./format.js";
import type { Column, CurrencyTotal, Unreadable } from "./model.js";

export interface BoardProps extends CardProps {
  columns: Column[];
  /** Entries of the result that are no lead at all. */
  unreadable: Unreadable[];
}

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
      col.uncounted > 0
        ? h(
            "p",
            { class: "column-uncounted invalid" },
            `${p.fmt.count(col.uncounted)} ${col.uncounted === 1 ? "lead" : "leads"} not in the totals: unreadable values`,
          )
        : null,
    ),
    h(
      "div",
      { class: "cards", "data-scroll": `cards-${id ?? "none"}` },
      col.cards.map((c) =>
        guarded(
          () => card(c, p),
          (message) =>
            h(
              "article",
              { class: "card has-invalid", "data-lead-id": c.id },
              h(
                "p",
                { class: "card-error invalid", role: "alert" },
                `Lead ${c.id} could not be shown: ${message}`,
              ),
            ),
        ),
      ),
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
    p.columns.map((col) =>
      guarded(
        () => column(col, p),
        (message) =>
          h(
            "section",
            { class: "column" },
            h(
              "p",
              { class: "card-error invalid", role: "alert" },
              `The column ${col.stage?.name ?? "No stage"} could not be shown: ${message}`,
            ),
          ),
      ),
    ),
    unreadableList(p.unreadable, p.fmt),
  );
}

/** Entries of the result that are no lead: listed with what they hold, so nothing goes missing unseen. */
function unreadableList(list: Unreadable[], fmt: Formats) {
  if (list.length === 0) return null;
  const n = list.length;
  return h(
    "section",
    { class: "unreadable-leads", role: "note", "aria-labelledby": "unreadable-title" },
    h(
      "h2",
      { id: "unreadable-title" },
      `${fmt.count(n)} ${n === 1 ? "entry" : "entries"} of the result could not be read as leads`,
    ),
    h(
      "ul",
      {},
      list.map((u) => h("li", { class: "invalid" }, `entry ${u.entry}: ${u.text}`)),
    ),
  );
}
