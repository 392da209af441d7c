/// <reference lib="dom" />
import { h } from "./dom.js";
import { type Filters, otherFilters, show, withForm, without } from "./filters.js";
import { STATUSES } from "./model.js";

function option(value: string, label: string, current: unknown) {
  return h("option", { value, selected: value === (current ?? "") }, label);
}

/** The filter bar: the opening call's filters, editable; `apply` gets the new set. */
export function filtersBar(f: Filters, apply: (next: Filters) => void): HTMLElement {
  const tags = Array.isArray(f.moco.tags) ? f.moco.tags.join(", ") : "";
  const chips = otherFilters(f).map(([group, key, value]) =>
    h(
      "li",
      { class: "chip" },
      h("span", {}, `${key}: ${show(value)}`),
      h(
        "button",
        {
          type: "button",
          "aria-label": `Remove filter ${key}`,
          onclick: () => apply(without(f, group, key)),
        },
        "×",
      ),
    ),
  );
  // Hosts sandbox the view without allow-forms, which blocks form submission (the submit event never
  // fires): Apply is a plain button, and Enter in a field does the same.
  const submit = () => {
    const value = (name: string) => (form.querySelector(`[name="${name}"]`) as HTMLInputElement).value;
    const next = withForm(f, {
      status: value("status"),
      tags: value("tags"),
      query: value("query"),
      monthBasis: value("month_basis"),
      from: value("from"),
      to: value("to"),
    });
    apply(next);
  };
  const form = h(
    "div",
    {
      class: "filters",
      role: "search",
      "aria-label": "Filters",
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === "Enter" && (e.target as HTMLElement).tagName === "INPUT") {
          e.preventDefault();
          submit();
        }
      },
    },
    h(
      "label",
      {},
      h("span", {}, "Status"),
      h(
        "select",
        { name: "status" },
        option("", "Any", f.moco.status),
        STATUSES.map((s) => option(s, s, f.moco.status)),
      ),
    ),
    h(
      "label",
      {},
      h("span", {}, "Tags"),
      h("input", { name: "tags", value: tags, placeholder: "comma-separated", size: 14 }),
    ),
    h(
      "label",
      {},
      h("span", {}, "Search (board)"),
      h("input", { name: "query", type: "search", value: String(f.moco.query ?? ""), size: 14 }),
    ),
    h(
      "label",
      {},
      h("span", {}, "Months by"),
      h(
        "select",
        { name: "month_basis" },
        option("", "reminder date", f.forecast.month_basis),
        option("closed_on", "closing date", f.forecast.month_basis),
        option("service_period", "service period", f.forecast.month_basis),
      ),
    ),
    h(
      "label",
      {},
      h("span", {}, "From"),
      h("input", { name: "from", type: "month", value: String(f.forecast.from ?? "") }),
    ),
    h(
      "label",
      {},
      h("span", {}, "To"),
      h("input", { name: "to", type: "month", value: String(f.forecast.to ?? "") }),
    ),
    h("button", { type: "button", class: "primary", onclick: submit }, "Apply"),
    chips.length > 0 ? h("ul", { class: "chips", "aria-label": "Other filters" }, chips) : null,
  );
  return form;
}
