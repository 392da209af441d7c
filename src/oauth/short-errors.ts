import type { ServerResponse } from "node:http";

/**
 * The SDK's handlers put zod's issue list (a multi-line JSON dump) into error_description when a
 * parameter is malformed (code_challenge_method=plain, a missing client_id, …). A client shows that
 * text to a person: it becomes one short sentence naming the parameters and what they must be.
 */
export function shortDescription(description: string): string {
  let issues: unknown;
  try {
    issues = JSON.parse(description);
  } catch {
    return description;
  }
  if (!Array.isArray(issues) || issues.length === 0) return description;
  const parts = issues.map((issue: { path?: unknown; message?: unknown }) => {
    const name = Array.isArray(issue?.path) && issue.path.length > 0 ? issue.path.join(".") : "the request";
    const message = typeof issue?.message === "string" ? issue.message.replace(/^Invalid input: /, "") : "";
    if (/received undefined/.test(message)) return `${name} (missing)`;
    return message ? `${name} (${message.split("\n")[0]})` : name;
  });
  return `Invalid parameter${parts.length > 1 ? "s" : ""}: ${parts.join(", ")}.`;
}

/** Rewrites an error redirect's error_description (Location) before it is sent. */
function shortLocation(location: string): string {
  try {
    const url = new URL(location);
    const description = url.searchParams.get("error_description");
    if (description === null) return location;
    const short = shortDescription(description);
    if (short === description) return location;
    url.searchParams.set("error_description", short);
    return url.href;
  } catch {
    return location;
  }
}

/** Rewrites a JSON error body's error_description; undefined when there is nothing to shorten. */
function shortBody(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { error_description?: unknown };
    if (typeof json?.error_description !== "string") return undefined;
    const short = shortDescription(json.error_description);
    return short === json.error_description
      ? undefined
      : JSON.stringify({ ...json, error_description: short });
  } catch {
    return undefined;
  }
}

/**
 * Makes every error the SDK writes on `res` carry a short error_description: in the Location of a
 * redirect back to the client, and in a JSON error body.
 */
export function shortenErrors(res: ServerResponse): void {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) =>
    setHeader(
      name,
      name.toLowerCase() === "location" && typeof value === "string" ? shortLocation(value) : value,
    );
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const [chunk] = args;
    if (res.statusCode >= 400 && !res.headersSent && (typeof chunk === "string" || Buffer.isBuffer(chunk))) {
      const short = shortBody(chunk.toString());
      if (short !== undefined) {
        setHeader("Content-Length", Buffer.byteLength(short));
        return end(short, ...args.slice(1).filter((a) => typeof a === "function"));
      }
    }
    return end(...args);
  }) as ServerResponse["end"];
}
