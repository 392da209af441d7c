import { describe, expect, it } from "vitest";
import { type StageKey, stageOrder } from "../../src/leads/stages.js";

/** The one pipeline order of stages: by probability, then name, then id. */
const ROWS: [name: string, stages: StageKey[], want: string[]][] = [
  [
    "by win probability, lowest first",
    [
      { id: 1, name: "Zusage", probability: 90 },
      { id: 2, name: "Kontakt", probability: 1 },
      { id: 3, name: "Angebot", probability: 30 },
    ],
    ["Kontakt", "Angebot", "Zusage"],
  ],
  [
    "equal probability: by name",
    [
      { id: 1, name: "Offerte", probability: 30 },
      { id: 2, name: "Angebot", probability: 30 },
    ],
    ["Angebot", "Offerte"],
  ],
  [
    "equal probability and name: by id",
    [
      { id: 9, name: "Angebot", probability: 30 },
      { id: 4, name: "Angebot", probability: 30 },
    ],
    ["Angebot#4", "Angebot#9"],
  ],
  [
    "stages without id (a summary's by_stage) order by probability and name",
    [
      { name: "Zusage", probability: 30 },
      { name: "(no stage)", probability: 0 },
      { name: "Angebot", probability: 30 },
    ],
    ["(no stage)", "Angebot", "Zusage"],
  ],
];

describe("stageOrder", () => {
  it("has rows", () => expect(ROWS.length).toBeGreaterThan(0));
  for (const [name, stages, want] of ROWS) {
    it(name, () => {
      const shown = (s: StageKey) => (want.some((w) => w.includes("#")) ? `${s.name}#${s.id}` : s.name);
      expect([...stages].sort(stageOrder).map(shown)).toEqual(want);
    });
  }
});
