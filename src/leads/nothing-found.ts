import { dealTags } from "../moco/reference.js";
import type { ScanResult } from "../moco/scan.js";
import { scanLeads } from "../moco/scan.js";
import type { Lead } from "../moco/schemas.js";
import { fold, quoted } from "../text.js";
import type { LeadsContext } from "./context.js";
import { type LeadFilterArgs, queriesOf } from "./filters.js";

/**
 * Why a selection came back empty, when the data can tell: tags no lead carries (a typo such as
 * "Wichtgi"), or a text value of a custom field typed otherwise than the leads hold it. Each is a
 * sentence for the reply, undefined when nothing points to a cause.
 */
/** Tags in a sentence: MOCO's text, quoted. */
const list = (tags: string[]) => tags.map((t) => quoted(t, 60)).join(", ");

/**
 * When an empty answer comes from asked tags no lead carries (a typo such as "Wichtgi" returns 0 with
 * no word otherwise): which, and the tags in use. From the mirror, every lead tells; from a live scan,
 * only that MOCO selected none at all, and its list of lead tags names the ones there are.
 */
export async function unknownTags(
  args: Pick<LeadFilterArgs, "tags">,
  scan: ScanResult,
  all: readonly Lead[] | undefined,
  ctx: LeadsContext,
): Promise<string | undefined> {
  if (!args.tags || args.tags.length === 0) return undefined;
  if (all) {
    const uses = new Map<string, { tag: string; count: number }>();
    for (const lead of all) {
      for (const tag of lead.tags) {
        const use = uses.get(tag.toLowerCase()) ?? { tag, count: 0 };
        use.count++;
        uses.set(tag.toLowerCase(), use);
      }
    }
    const missing = args.tags.filter((t) => !uses.has(t.toLowerCase()));
    if (missing.length === 0) return undefined;
    const top = [...uses.values()]
      .sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag))
      .slice(0, 10);
    const inUse =
      top.length === 0
        ? "no lead has a tag"
        : `tags in use (most used first): ${list(top.map((u) => u.tag))}`;
    return `No lead carries ${missing.length === 1 ? "the tag" : "the tags"} ${list(missing)}; ${inUse}.`;
  }
  if (scan.scanned > 0) return undefined; // leads with those tags exist; other filters left none
  return noSuchTags(args.tags, ctx);
}

/**
 * MOCO selected no lead for asked tags: the ones the account has no such lead tag for (a typo), with
 * the account's lead tags (one cached request); undefined when every asked tag exists (then the other
 * filters left nothing, and a tag hint would mislead).
 */
export async function noSuchTags(
  tags: string[],
  ctx: Pick<LeadsContext, "moco" | "call">,
): Promise<string | undefined> {
  const known = await dealTags(ctx.moco, ctx.call).catch(() => undefined);
  if (!known) return undefined;
  const have = new Set(known.tags.map((t) => t.toLowerCase()));
  // A list cut short cannot prove a tag missing.
  const missing = known.complete ? tags.filter((t) => !have.has(t.trim().toLowerCase())) : [];
  if (missing.length === 0) return undefined;
  const shown = known.tags.slice(0, 10);
  const more = known.tags.length > shown.length ? `, … (${known.tags.length} in all)` : "";
  return (
    `MOCO has no lead tag ${list(missing)}; ` +
    `${shown.length === 0 ? "the account has no lead tags" : `the account's lead tags: ${list(shown)}${more}`}.`
  );
}

/** Values in a sentence: MOCO's text, quoted, with how many leads hold each. */
const counted = (vs: [string, number][]) =>
  vs.map(([v, n]) => `${quoted(v, 60)} (${n} lead${n === 1 ? "" : "s"})`).join(", ");

/**
 * A text value of a custom field without options that no lead holds: the values the leads do hold
 * that come close (the same up to case and accents, or one beginning the other), or that none does.
 * `all` are the leads to look in (the mirror's); without them, MOCO is read for the leads the other
 * filters select (within the scan's page cap).
 */
export async function closeCustomValues(
  args: LeadFilterArgs,
  fields: readonly string[],
  all: readonly Lead[] | undefined,
  ctx: Pick<LeadsContext, "moco" | "call" | "maxScanPages">,
): Promise<string | undefined> {
  const asked = fields.flatMap((f) => {
    const want = args.custom_properties?.[f];
    return typeof want === "string" ? [[f, want] as const] : [];
  });
  if (asked.length === 0) return undefined;
  const leads =
    all ??
    (
      await scanLeads(ctx.moco, queriesOf({ ...args, custom_properties: undefined }), {
        ...ctx.call,
        maxPages: ctx.maxScanPages,
      })
    ).leads;
  const sentences: string[] = [];
  for (const [field, want] of asked) {
    const held = new Map<string, number>();
    for (const l of leads) {
      const v = l.custom_properties[field];
      if (typeof v === "string" && v !== "") held.set(v, (held.get(v) ?? 0) + 1);
    }
    if (held.has(want)) continue; // leads hold it: the other filters left none
    const w = fold(want);
    const close = [...held]
      .filter(([v]) => {
        const f = fold(v);
        return f === w || (w.length >= 2 && f.startsWith(w)) || (f.length >= 2 && w.startsWith(f));
      })
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, 5);
    const what = `No lead holds ${quoted(field, 60)} = ${quoted(want, 60)} (MOCO matches it exactly)`;
    sentences.push(
      close.length > 0
        ? `${what}; close values the leads hold: ${counted(close)}.`
        : `${what}; no close value among the ${held.size} different values the leads read hold.`,
    );
  }
  return sentences.length > 0 ? sentences.join(" ") : undefined;
}

/**
 * For a "no" filter of a yes/no field, how many of `all` (the mirror's leads) have the field unset:
 * those are not matched, though MOCO's interface shows them unticked. One phrase per such field.
 */
export function unsetCounts(args: LeadFilterArgs, all: readonly Lead[] | undefined): string[] {
  if (!all) return [];
  return Object.entries(args.custom_properties ?? {})
    .filter(([, v]) => v === false)
    .map(([field]) => {
      const n = all.filter((l) => {
        const v = l.custom_properties[field];
        return v === undefined || v === null || v === "";
      }).length;
      return `${n} of the ${all.length} leads in the mirror have ${field} unset`;
    });
}
