/// <reference lib="dom" />
import { guarded, h, svg } from "./dom.js";
import type { CurrencyForecast, MonthPoint } from "./forecast-model.js";
import type { Formats } from "./format.js";

/**
 * Weighted value per month, one chart per currency (amounts in different currencies share no axis),
 * each with a table of the same figures beside it: the table is the chart's text alternative, and
 * the SVG names itself and summarises its bars for screen readers.
 */
const W = 560;
const H = 220;
const PAD = { top: 12, right: 8, bottom: 40, left: 64 };

/** A month the chart can draw: one that exists, with a readable weighted value. */
const charted = (m: MonthPoint): m is MonthPoint & { weighted: number } => m.weighted !== null;

function chart(f: CurrencyForecast, fmt: Formats, id: string) {
  const months = f.months.filter(charted);
  const max = Math.max(0, ...months.map((m) => m.weighted));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = months.length > 0 ? plotW / months.length : plotW;
  const barW = Math.max(2, Math.min(48, slot * 0.7));
  const y = (v: number) => PAD.top + plotH - (max > 0 ? (v / max) * plotH : 0);
  const every = Math.max(1, Math.ceil(months.length / 12)); // at most 12 month labels
  const ticks = max > 0 ? [0, max / 2, max] : [0];
  const summary = months.map((m) => `${fmt.month(m.month)}: ${fmt.money(m.weighted, f.currency)}`).join("; ");
  return svg(
    "svg",
    {
      class: "chart",
      viewBox: `0 0 ${W} ${H}`,
      role: "img",
      "aria-labelledby": `${id}-title ${id}-desc`,
      preserveAspectRatio: "xMidYMid meet",
    },
    svg("title", { id: `${id}-title` }, `Weighted forecast in ${f.currency} by month`),
    svg("desc", { id: `${id}-desc` }, summary || "No dated leads."),
    ticks.map((t) =>
      svg(
        "g",
        { class: "tick" },
        svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(t), y2: y(t) }),
        svg("text", { x: PAD.left - 6, y: y(t) + 4, "text-anchor": "end" }, fmt.compact(t)),
      ),
    ),
    months.map((m, i) => {
      const x = PAD.left + i * slot + (slot - barW) / 2;
      return svg(
        "g",
        { class: "bar", "data-month": m.month },
        svg("rect", { x, y: y(m.weighted), width: barW, height: Math.max(0, y(0) - y(m.weighted)), rx: 2 }),
        i % every === 0
          ? svg(
              "text",
              { x: x + barW / 2, y: H - PAD.bottom + 16, "text-anchor": "middle" },
              fmt.month(m.month),
            )
          : null,
      );
    }),
  );
}

/** A figure of a group, or its raw value named as unreadable. */
function cell(p: MonthPoint, field: "count" | "total" | "weighted", show: (n: number) => string) {
  const value = p[field];
  if (value !== null) return h("td", { class: field === "weighted" ? "weighted" : undefined }, show(value));
  const issue = p.issues.find((i) => i.field === field || i.field === "group");
  return h("td", { class: "invalid" }, issue?.text ?? `${field} unreadable`);
}

function row(label: string, p: MonthPoint, currency: string, fmt: Formats) {
  return h(
    "tr",
    { "data-month": p.month, class: p.issues.length > 0 ? "invalid" : undefined },
    h("th", { scope: "row" }, label),
    cell(p, "count", fmt.count),
    cell(p, "total", (n) => fmt.money(n, currency)),
    cell(p, "weighted", (n) => fmt.money(n, currency)),
  );
}

/** A row that failed to draw still takes its place, saying why. */
const safeRow = (label: () => string, p: MonthPoint, currency: string, fmt: Formats) =>
  guarded(
    () => row(label(), p, currency, fmt),
    (message) =>
      h(
        "tr",
        { class: "invalid" },
        h("td", { colspan: 4 }, `The group ${p.month} could not be shown: ${message}`),
      ),
  );

/** What the chart leaves out and why: groups of no month, months without a readable weighted value. */
function note(f: CurrencyForecast, fmt: Formats) {
  const left = [
    ...f.unreadable.map((p) => p.issues.map((i) => i.text).join(", ")),
    ...f.months
      .filter((m) => !charted(m))
      .map((m) => `${m.issues.map((i) => i.text).join(", ")} (${fmt.month(m.month)})`),
  ];
  if (left.length === 0) return null;
  return h("p", { class: "forecast-note invalid", role: "note" }, `Not in the chart: ${left.join("; ")}.`);
}

function table(f: CurrencyForecast, fmt: Formats) {
  return h(
    "table",
    { class: "forecast-table" },
    h("caption", {}, `${f.currency}: weighted value by month`),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Month"),
        h("th", { scope: "col" }, "Leads"),
        h("th", { scope: "col" }, "Value"),
        h("th", { scope: "col" }, "Weighted"),
      ),
    ),
    h(
      "tbody",
      {},
      f.months.map((m) => safeRow(() => fmt.month(m.month), m, f.currency, fmt)),
      f.unreadable.map((m) => safeRow(() => m.issues.map((i) => i.text).join(", "), m, f.currency, fmt)),
      f.undated ? safeRow(() => "No date", f.undated, f.currency, fmt) : null,
    ),
  );
}

export function forecast(list: CurrencyForecast[], fmt: Formats): HTMLElement {
  if (list.length === 0) return h("p", { class: "empty" }, "No leads match these filters.");
  return h(
    "div",
    { class: "forecast" },
    list.map((f, i) =>
      h(
        "section",
        { class: "forecast-currency", "data-currency": f.currency, "aria-labelledby": `fc-${i}` },
        h("h2", { id: `fc-${i}` }, f.currency),
        h(
          "div",
          { class: "forecast-body" },
          h(
            "figure",
            {},
            guarded(
              () => chart(f, fmt, `chart-${i}`),
              (message) =>
                h("p", { class: "invalid", role: "alert" }, `The chart could not be drawn: ${message}`),
            ),
            note(f, fmt),
          ),
          table(f, fmt),
        ),
      ),
    ),
  );
}
