import type { Compared, MoveReason, PastOptions } from "../leads/changes.js";
import { GRANULARITY_NOTE } from "../leads/history.js";
import { quoted } from "../text.js";
import { changeLines } from "./changes.js";
import { money } from "./lines.js";

/**
 * The pipeline at a past day as the model reads it: why each lead moved the weighted value, and the
 * sentences that say what a past or compared summary is.
 */
const WHY: Record<Exclude<MoveReason["kind"], "changed">, string> = {
  created: "created",
  deleted: "deleted",
  joined: "now matches the filters",
  left: "no longer matches the filters",
};

/** Why a lead moved the value, in words: how it came or went, or its first three weighing changes. */
export const whyText = (why: MoveReason): string =>
  why.kind === "changed" ? changeLines(why.changes).slice(0, 3).join("; ") || "changed" : WHY[why.kind];

export type ComparedData = ReturnType<typeof comparedData>[number];

/** The comparison as structured data: each mover's reason in words. */
export const comparedData = (compared: readonly Compared[]) =>
  compared.map((c) => ({ ...c, movers: c.movers.map((m) => ({ ...m, why: whyText(m.why) })) }));

/** The sentence that says what a past or compared summary is. */
export function pastNote(when: PastOptions, compared: readonly ComparedData[] | undefined): string[] {
  const lines: string[] = [];
  if (when.asOf) lines.push(`As of the end of ${when.asOf} (UTC), rebuilt from the lead history.`);
  if (compared) {
    const against = when.asOf ? `the end of ${when.asOf}` : "now";
    const parts = compared.map((c) => {
      const movers = c.movers
        .map(
          (m) =>
            `lead ${m.id} ${quoted(m.name)} ${money(m.was, c.currency)} → ${money(m.now, c.currency)} (${m.why})`,
        )
        .join(", ");
      return `${c.currency} weighted ${money(c.was, c.currency)} → ${money(c.now, c.currency)}${movers ? `; moved most: ${movers}` : ""}`;
    });
    lines.push(
      `Compared with the end of ${when.compareTo} (UTC) against ${against}: ${parts.join(". ") || "no weighted value then or now"}.`,
    );
  }
  if (lines.length > 0) lines.push(GRANULARITY_NOTE);
  return lines;
}
