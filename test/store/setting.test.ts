import { describe, expect, it } from "vitest";
import { describeLocation, resolveStoreSetting } from "../../src/store/index.js";
import { DEFAULT_POOL_MAX, DEFAULT_SCHEMA, postgresProblem } from "../../src/store/postgres/setting.js";

describe("store setting (MOCO_STORE) for PostgreSQL", () => {
  it("postgres:// and postgresql:// name a PostgreSQL store with the default schema and pool", () => {
    for (const url of ["postgres://db.example.com/moco", " postgresql://u@db.example.com:6543/moco "]) {
      expect(resolveStoreSetting(url)).toEqual({
        kind: "postgres",
        url: url.trim(),
        schema: DEFAULT_SCHEMA,
        poolMax: DEFAULT_POOL_MAX,
      });
    }
    expect(resolveStoreSetting("POSTGRES://h/d")).toMatchObject({ kind: "postgres", url: "postgres://h/d" });
    expect(DEFAULT_SCHEMA).toBe("moco_leads");
  });

  it("takes schema and pool_max out of the URL and leaves the driver's own parameters", () => {
    expect(resolveStoreSetting("postgres://h/db?sslmode=require&schema=team_a&pool_max=3")).toEqual({
      kind: "postgres",
      url: "postgres://h/db?sslmode=require",
      schema: "team_a",
      poolMax: 3,
    });
  });

  it("describes where it is without the password or any parameter", () => {
    const setting = resolveStoreSetting(
      "postgres://moco:s3cr%40t@db.example.com:5432/leads?password=p2&schema=team_a",
    );
    const text = describeLocation(setting);
    expect(text).toBe('postgres://moco@db.example.com:5432/leads, schema "team_a"');
    expect(text).not.toMatch(/s3cr|p2/);
  });

  it("says what is wrong with a schema name or pool size", () => {
    const at = (query: string) => postgresProblem(resolveStoreSetting(`postgres://h/d?${query}`) as never);
    expect(at("schema=ok_1")).toBeUndefined();
    expect(at("schema=1bad")).toMatch(/not a name/);
    expect(at(`schema=${"a".repeat(64)}`)).toMatch(/at most 63/);
    expect(at("pool_max=0")).toMatch(/pool_max/);
    expect(at("pool_max=2.5")).toMatch(/pool_max/);
    expect(at("pool_max=1000")).toBeUndefined();
  });

  it("refuses any other scheme with one line naming the ones it knows; paths stay paths", () => {
    for (const value of ["mysql://h/db", "redis://h", "https://h/x"]) {
      expect(() => resolveStoreSetting(value)).toThrow(/URLs are not served/);
    }
    expect(() => resolveStoreSetting("mysql://h/db")).toThrow(
      'MOCO_STORE: "mysql:" URLs are not served; it takes a postgres:// or postgresql:// URL, a file path, a file:// URL, "memory" or "off" (unset: a file in your data directory)',
    );
    expect(resolveStoreSetting("/tmp/postgres.sqlite")).toEqual({
      kind: "file",
      path: "/tmp/postgres.sqlite",
    });
    expect(resolveStoreSetting("C:\\data\\store.sqlite", {}, "win32").kind).toBe("file");
  });
});
