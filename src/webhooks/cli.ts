import { apiPath, MocoClient } from "../moco/client.js";
import { RateLimiter } from "../moco/rate-limit.js";
import { baseUrlFrom } from "../web/base-url.js";

/**
 * `moco-leads-mcp webhooks`: MOCO's webhooks for leads and their notes, for the account of
 * MOCO_API_KEY and MOCO_SUBDOMAIN (or MOCO_BASE_URL).
 *   webhooks register URL   a hook per target (Deal, Comment) and event (create, update, delete) → URL
 *   webhooks list           every hook of the account; ours (pointing at a /webhooks/moco) marked
 *   webhooks remove [URL]   deletes the Deal and Comment hooks pointing at URL (default: at any /webhooks/moco)
 * Prints to stdout (this is not the MCP server). The secret for MOCO_WEBHOOK_SECRET is shown in MOCO's
 * webhook overview; the API does not give it.
 */
const USAGE =
  "usage: moco-leads-mcp webhooks register URL | list | remove [URL]   (MOCO_API_KEY, MOCO_SUBDOMAIN)\n";
export const TARGETS = ["Deal", "Comment"] as const;
export const EVENTS = ["create", "update", "delete"] as const;
const OURS = /\/webhooks\/moco$/;

interface Hook {
  id: number;
  target: string;
  event: string;
  hook: string;
  disabled?: boolean;
}

export async function webhooksCommand(
  args: string[],
  env: Record<string, string | undefined>,
  userAgent: string,
): Promise<number> {
  const [verb, url, ...rest] = args;
  const wantsUrl = verb === "register" || (verb === "remove" && url !== undefined);
  if (!["register", "list", "remove"].includes(verb ?? "") || rest.length > 0 || (verb === "list" && url)) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (wantsUrl && !/^https?:\/\/\S+\/webhooks\/moco$/.test(url ?? "")) {
    process.stderr.write(
      "moco-leads-mcp: the URL must be this server's public address ending in /webhooks/moco\n",
    );
    return 2;
  }
  const problems: string[] = [];
  const baseUrl = baseUrlFrom(env, problems);
  const apiKey = env.MOCO_API_KEY?.trim();
  if (!apiKey) problems.push("MOCO_API_KEY is required");
  if (!baseUrl || !apiKey || problems.length > 0) {
    process.stderr.write(
      `moco-leads-mcp: ${problems.join("; ") || "MOCO_SUBDOMAIN or MOCO_BASE_URL is required"}\n`,
    );
    return 1;
  }
  const moco = new MocoClient({
    baseUrl,
    apiKey,
    userAgent,
    requestTimeoutMs: 15_000,
    budget: new RateLimiter({ limit: 60, windowMs: 120_000 }),
  });
  try {
    const hooks = (await moco.get(apiPath("account", "web_hooks"))).data as Hook[];
    if (verb === "list") return list(hooks);
    if (verb === "register") return await register(moco, hooks, url as string);
    return await remove(moco, hooks, url);
  } catch (error) {
    process.stderr.write(`moco-leads-mcp: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await moco.close();
  }
}

const line = (h: Hook) =>
  `${h.id}\t${h.target}\t${h.event}\t${h.hook}${h.disabled ? "\t(disabled)" : ""}${OURS.test(h.hook) ? "\t(ours)" : ""}\n`;

function list(hooks: Hook[]): number {
  if (hooks.length === 0) process.stdout.write("No webhooks in this account.\n");
  for (const h of hooks) process.stdout.write(line(h));
  return 0;
}

async function register(moco: MocoClient, hooks: Hook[], url: string): Promise<number> {
  for (const target of TARGETS)
    for (const event of EVENTS) {
      const known = hooks.find((h) => h.target === target && h.event === event && h.hook === url);
      if (known) {
        process.stdout.write(`already registered: ${line(known)}`);
        continue;
      }
      const made = (await moco.post(apiPath("account", "web_hooks"), { target, event, hook: url }))
        .data as Hook;
      process.stdout.write(`registered: ${line(made)}`);
    }
  process.stdout.write("Set MOCO_WEBHOOK_SECRET to the secret MOCO shows in its webhook overview.\n");
  return 0;
}

async function remove(moco: MocoClient, hooks: Hook[], url: string | undefined): Promise<number> {
  const ours = hooks.filter(
    (h) => (TARGETS as readonly string[]).includes(h.target) && (url ? h.hook === url : OURS.test(h.hook)),
  );
  if (ours.length === 0) process.stdout.write("No webhooks of ours to remove.\n");
  for (const h of ours) {
    await moco.delete(apiPath("account", "web_hooks", h.id));
    process.stdout.write(`removed: ${line(h)}`);
  }
  return 0;
}
