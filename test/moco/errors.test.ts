import { describe, expect, it } from "vitest";
import { errorFromResponse, kindForStatus, parseErrorBody } from "../../src/moco/errors.js";
import { parseRetryAfter } from "../../src/moco/retry-policy.js";

describe("MOCO error bodies", () => {
  it("maps each status to its kind", () => {
    expect([400, 401, 403, 404, 409, 422, 429, 500, 502, 503].map(kindForStatus)).toEqual([
      "bad_request",
      "auth",
      "forbidden",
      "not_found",
      "bad_request",
      "validation",
      "rate_limited",
      "server",
      "server",
      "server",
    ]);
  });

  it("reads an empty body (403/404) without inventing detail", () => {
    const e = errorFromResponse(404, "");
    expect(e.kind).toBe("not_found");
    expect(e.message).toBe("Not found in MOCO (404)");
    expect(e.fields).toEqual({});
  });

  it("reads {message}", () => {
    expect(errorFromResponse(401, '{"message":"Unauthorized"}').message).toBe(
      "MOCO rejected the API key (401): Unauthorized",
    );
  });

  it("reads {error} (invalid status on /deals)", () => {
    const e = errorFromResponse(400, `{"error":"'foo' is not a valid status"}`);
    expect(e.kind).toBe("bad_request");
    expect(e.message).toContain("'foo' is not a valid status");
  });

  it("reads {errors:[…]}", () => {
    expect(errorFromResponse(422, '{"errors":["Name can\'t be blank"]}').message).toContain(
      "Name can't be blank",
    );
    expect(errorFromResponse(403, '{"errors":["Access denied"]}').message).toContain("Access denied");
  });

  it("reads {errors:{field:[…]}} into fields", () => {
    const e = errorFromResponse(422, '{"errors":{"name":["can\'t be blank"],"money":["is not a number"]}}');
    expect(e.fields).toEqual({ name: ["can't be blank"], money: ["is not a number"] });
    expect(e.message).toContain("name: can't be blank");
    expect(e.message).toContain("money: is not a number");
  });

  it("reads a bare German field map verbatim", () => {
    const e = errorFromResponse(422, '{"task_id":["ist nicht gültig"],"name":["muss ausgefüllt werden"]}');
    expect(e.kind).toBe("validation");
    expect(e.fields).toEqual({ task_id: ["ist nicht gültig"], name: ["muss ausgefüllt werden"] });
    expect(e.message).toBe(
      "MOCO rejected the data (422): task_id: ist nicht gültig; name: muss ausgefüllt werden",
    );
  });

  it("ignores non-JSON bodies such as proxy HTML", () => {
    const e = errorFromResponse(502, "<html><body>Bad Gateway</body></html>");
    expect(e.kind).toBe("server");
    expect(e.message).toBe("MOCO had an internal error (502)");
  });

  it("reads {message:'Invalid payload'} on 422", () => {
    expect(parseErrorBody('{"message":"Invalid payload"}').summary).toEqual(["Invalid payload"]);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("7")).toBe(7);
    const now = Date.parse("2026-11-25T10:00:00Z");
    expect(parseRetryAfter("Wed, 25 Nov 2026 10:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it("keeps Retry-After on a 429", () => {
    expect(errorFromResponse(429, '{"message":"Too many requests"}', "3").retryAfterSeconds).toBe(3);
  });
});
