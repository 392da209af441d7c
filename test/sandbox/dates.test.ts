import { describe, expect, it } from "vitest";
import { isLastOfMonth, isValidDate, monthEnd, parseTimestamp } from "../../src/sandbox/dates.js";

describe("sandbox date helpers", () => {
  it("accepts only real calendar days in YYYY-MM-DD", () => {
    expect(["2026-02-28", "2024-02-29"].every(isValidDate)).toBe(true);
    expect(["2026-02-29", "2026-2-1", "01.02.2026", "", 20260101].some(isValidDate)).toBe(false);
  });

  it("knows month ends, including leap years", () => {
    expect(isLastOfMonth("2024-02-29")).toBe(true);
    expect(isLastOfMonth("2025-02-28")).toBe(true);
    expect(isLastOfMonth("2024-02-28")).toBe(false);
    expect(monthEnd("2026-04-10")).toBe("2026-04-30");
  });

  it("reads timestamps without a zone as UTC and honours explicit offsets", () => {
    const utc = Date.UTC(2026, 0, 31, 14, 30, 0);
    expect(parseTimestamp("2026-01-31T14:30:00Z")).toBe(utc);
    expect(parseTimestamp("2026-01-31T14:30:00")).toBe(utc);
    expect(parseTimestamp("2026-01-31T15:30:00+01:00")).toBe(utc);
    expect(parseTimestamp("2026-01-31")).toBe(Date.UTC(2026, 0, 31));
    expect(parseTimestamp("yesterday")).toBeNaN();
  });
});
