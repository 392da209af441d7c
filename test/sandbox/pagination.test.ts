import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { allPages, call, list, TODAY } from "./helpers.js";

describe("sandbox pagination", () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ today: TODAY });
  });
  afterAll(() => sb.close());

  it("pages with X-Page, X-Per-Page, X-Total and a Link to the next page", async () => {
    const total = sb.store.deals.length;
    const first = await call(sb, "GET", "/deals");
    expect(first.headers["x-page"]).toBe("1");
    expect(first.headers["x-per-page"]).toBe("100");
    expect(first.headers["x-total"]).toBe(String(total));
    expect(list(first)).toHaveLength(100);
    expect(first.headers.link).toContain(`<${sb.url}/deals?page=2>; rel="next"`);
  });

  it("keeps the other parameters in the Link and omits rel=next on the last page", async () => {
    const page = await call(sb, "GET", "/deals?status=won&per_page=20&page=2");
    const won = sb.store.deals.filter((d) => d.status === "won").length;
    expect(page.headers["x-total"]).toBe(String(won));
    expect(page.headers.link).toContain(`<${sb.url}/deals?status=won&per_page=20&page=3>; rel="next"`);
    expect(page.headers.link).toContain('rel="prev"');
    const lastPage = Math.ceil(won / 20);
    const last = await call(sb, "GET", `/deals?status=won&per_page=20&page=${lastPage}`);
    expect(list(last)).toHaveLength(won - (lastPage - 1) * 20);
    expect(last.headers.link ?? "").not.toContain('rel="next"');
  });

  it("sends no Link header when everything fits on one page", async () => {
    const answer = await call(sb, "GET", "/contacts/people");
    expect(answer.headers.link).toBeUndefined();
    expect(answer.headers["x-total"]).toBe(String(sb.store.people.length));
  });

  it("clamps per_page to 100 and answers an empty page past the end", async () => {
    const big = await call(sb, "GET", "/deals?per_page=500");
    expect(big.headers["x-per-page"]).toBe("100");
    expect(list(big)).toHaveLength(100);
    const beyond = await call(sb, "GET", "/deals?page=99");
    expect(list(beyond)).toEqual([]);
    expect(beyond.headers["x-total"]).toBe(String(sb.store.deals.length));
  });

  it("following the next links yields every lead exactly once, ordered by id", async () => {
    const all = await allPages(sb, "/deals?per_page=50");
    const ids = all.map((d) => d.id as number);
    expect(ids).toHaveLength(sb.store.deals.length);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it("answers /deal_categories with an unpaged array and no pagination headers, as recorded", async () => {
    const answer = await call(sb, "GET", "/deal_categories");
    expect(list(answer)).toHaveLength(5);
    for (const header of ["x-page", "x-per-page", "x-total", "link"])
      expect(answer.headers[header]).toBeUndefined();
  });
});
