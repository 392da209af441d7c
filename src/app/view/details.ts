/// <reference lib="dom" />
import { type Child, h } from "./dom.js";
import type { Formats } from "./format.js";
import { isCalendarDate, isObject, type Json, num, rawText } from "./values.js";

/** A lead's details as get_lead returned them, every value as text; one the view cannot read, as it came. */
const present = (v: unknown) => v !== undefined && v !== null && v !== "";
const text = (v: unknown) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

function value(v: unknown): string {
  if (Array.isArray(v)) return v.map(value).join(", ");
  if (isObject(v)) return text(v.name) || [text(v.firstname), text(v.lastname)].join(" ").trim();
  return text(v);
}

export function detailsBody(lead: Json, fmt: Formats): Child[] {
  const money =
    num(lead.money) !== null
      ? fmt.money(lead.money as number, text(lead.currency))
      : present(lead.money)
        ? `amount unreadable: ${rawText(lead.money)}`
        : "";
  const day = (v: unknown) =>
    isCalendarDate(v) ? fmt.date(v) : present(v) ? `date unreadable: ${rawText(v)}` : "";
  const category = isObject(lead.category) ? lead.category : null;
  const period = [day(lead.service_period_from), day(lead.service_period_to)].filter(Boolean).join(" – ");
  const rows: [string, string][] = [
    ["Status", text(lead.status)],
    ["Stage", category ? `${text(category.name)} (${fmt.percent(Number(category.probability))})` : ""],
    ["Value", money],
    ["Owner", value(lead.user)],
    ["Company", value(lead.company)],
    ["Contact person", value(lead.person)],
    ["Reminder", day(lead.reminder_date)],
    ["Closed on", day(lead.closed_on)],
    ["Service period", period],
    ["Tags", value(lead.tags)],
  ];
  const custom = isObject(lead.custom_properties) ? Object.entries(lead.custom_properties) : [];
  for (const [name, v] of custom) rows.push([name, value(v)]);
  return [
    h(
      "dl",
      { class: "details-list" },
      rows.filter(([, v]) => v !== "").map(([k, v]) => h("div", {}, h("dt", {}, k), h("dd", {}, v))),
    ),
    text(lead.info)
      ? h("div", { class: "details-info" }, h("h3", {}, "Info"), h("p", {}, text(lead.info)))
      : null,
  ];
}
