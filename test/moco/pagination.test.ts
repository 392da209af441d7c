import { describe, expect, it } from "vitest";
import { apiPath, parsePage } from "../../src/moco/client.js";
import { nextPage } from "../../src/moco/pages.js";

const headers = (h: Record<string, string>) => (name: string) => h[name];

describe("pagination headers", () => {
  it("reads all headers and the next link", () => {
    const page = parsePage(
      headers({
        "x-page": "2",
        "x-per-page": "25",
        "x-total": "262",
        link: '<https://acme.mocoapp.com/api/v1/deals?page=1&per_page=25>; rel="prev", <https://acme.mocoapp.com/api/v1/deals?page=3&per_page=25>; rel="next"',
      }),
    );
    expect(page).toEqual({ page: 2, perPage: 25, total: 262, nextPage: 3 });
  });

  it("treats a Link header without rel=next as the last page", () => {
    const page = parsePage(
      headers({
        "x-page": "11",
        "x-per-page": "25",
        "x-total": "262",
        link: '<https://x/deals?page=10>; rel="prev"',
      }),
    );
    expect(page.nextPage).toBeNull();
  });

  it("falls back to X-Total when Link is missing", () => {
    const info = (page: string) =>
      parsePage(headers({ "x-page": page, "x-per-page": "100", "x-total": "101" }));
    expect(nextPage(1, 100, info("1"), 100)).toBe(2);
    expect(nextPage(2, 1, info("2"), 100)).toBeNull();
  });

  const cases: [string, number, number, Record<string, string>, number | null][] = [
    ["a next link", 1, 100, { link: '<https://x/deals?page=2>; rel="next"' }, 2],
    ["a next link to the same page", 3, 100, { link: '<https://x/deals?page=3>; rel="next"' }, null],
    [
      "a next link to the same page, X-Total says more",
      3,
      100,
      { link: '<https://x/deals?page=3>; rel="next"', "x-total": "500" },
      4,
    ],
    ["a next link backwards", 3, 100, { link: '<https://x/deals?page=1>; rel="next"' }, null],
    ["an empty page despite a next link", 1, 0, { link: '<https://x/deals?page=2>; rel="next"' }, null],
    ["no headers, a full page", 1, 100, {}, 2],
    ["no headers, a short page", 1, 99, {}, null],
    ["X-Total reached", 2, 100, { "x-total": "200" }, null],
  ];
  it.each(cases)("the next page after %s", (_, page, count, h, expected) => {
    expect(nextPage(page, count, parsePage(headers(h)), 100)).toBe(expected);
  });

  it("copes with no headers at all (as /deal_categories answers)", () => {
    expect(parsePage(headers({}))).toEqual({ page: null, perPage: null, total: null, nextPage: null });
  });

  it("ignores garbage values", () => {
    expect(parsePage(headers({ "x-page": "abc", "x-total": "-3" }))).toEqual({
      page: null,
      perPage: null,
      total: null,
      nextPage: null,
    });
  });
});

describe("apiPath", () => {
  it("builds paths from fixed segments and positive ids", () => {
    expect(apiPath("deals", 42)).toBe("/deals/42");
    expect(apiPath("contacts", "people")).toBe("/contacts/people");
  });

  it("refuses anything that could change the path shape", () => {
    expect(() => apiPath("deals", 0)).toThrow();
    expect(() => apiPath("deals", -1)).toThrow();
    expect(() => apiPath("deals", 1.5)).toThrow();
    expect(() => apiPath("deals", Number.MAX_SAFE_INTEGER + 2)).toThrow();
    expect(() => apiPath("..")).toThrow();
    expect(() => apiPath("deals/../users")).toThrow();
    expect(() => apiPath("deals?x=1")).toThrow();
  });
});
