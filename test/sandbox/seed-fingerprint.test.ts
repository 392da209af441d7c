import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { seed } from "../../src/sandbox/seed.js";

/**
 * The seeded account, pinned: a SHA-256 of everything `seed` returns (users, companies, people, stages,
 * custom fields, tags, leads, notes, the profile), for several days and lead counts. A refactoring of
 * the seed must leave these unchanged; a deliberate change to the seeded data updates them here.
 */
const fingerprint = (today: string, leads: number) =>
  createHash("sha256")
    .update(JSON.stringify(seed(today, leads)))
    .digest("hex");

describe("the seeded data's fingerprint", () => {
  it.for([
    ["2026-03-02", 264, "55ed2aac8c36af07cefc475f115f36cfb7c5eb2e4b5236bb4fdcbecf6a337241"],
    ["2025-07-01", 264, "5dd504797ba253691991d4b54c8b679e3a024f1b920b0858d1f2693772a10b67"],
    ["2026-03-02", 7, "9b44f54042feaee8ac12fa471aa57236f9340f9a2a291dc405634e6eaf0ac8b8"],
    ["2026-11-25", 2500, "519bf02962f7a88d7e6050768662560b5f91c2c98062d3adc19949283c8bfebb"],
  ] as const)("today %s, %i leads: unchanged", ([today, leads, hash]) => {
    expect(fingerprint(today, leads)).toBe(hash);
  });
});
