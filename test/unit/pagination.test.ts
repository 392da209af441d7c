import { describe, expect, it } from "vitest";
import { apiPath, parsePage } from "../../src/moco/client.js";

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
    expect(parsePage(headers({ "x-page": "1", "x-per-page": "100", "x-total": "101" })).nextPage).toBe(2);
    expect(parsePage(headers({ "x-page": "2", "x-per-page": "100", "x-total": "101" })).nextPage).toBeNull();
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
