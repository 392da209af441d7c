import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { mcpOver } from "../moco/mcp-over.js";
import { TEST_KEY } from "./harness.js";
import { clientFor, startUpstream, type Upstream } from "./upstream.js";

/**
 * A MOCO that ignores the `ids` filter of GET /deals: a real sandbox behind a proxy that drops `ids`
 * from that query (and asks for page 1 of 100), so the answer holds leads that were not asked for and
 * may lack some that were. Everything else is passed through as it is, to the sandbox's real store.
 */
export interface IdsIgnored {
  sandbox: Sandbox;
  proxy: Upstream;
  call: Awaited<ReturnType<typeof mcpOver>>["call"];
  close(): Promise<void>;
}

export async function startIdsIgnored(): Promise<IdsIgnored> {
  const sandbox = await startSandbox({ apiKey: TEST_KEY });
  const target = new URL(sandbox.url);
  const proxy = await startUpstream(async (req, res, body) => {
    const url = new URL(req.url ?? "/", target);
    if (req.method === "GET" && url.pathname.endsWith("/deals") && url.searchParams.has("ids")) {
      url.searchParams.delete("ids");
      url.searchParams.set("page", "1");
      url.searchParams.set("per_page", "100");
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([k, v]) => typeof v === "string" && !["host", "content-length", "connection"].includes(k),
      ),
    ) as Record<string, string>;
    const answer = await fetch(`${target.origin}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: body === "" ? undefined : body,
    });
    const out: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (!["content-length", "content-encoding", "transfer-encoding", "connection"].includes(k)) out[k] = v;
    });
    res.writeHead(answer.status, out);
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  const moco = clientFor(proxy.url, { apiKey: TEST_KEY });
  const mcp = await mcpOver(moco, proxy.url);
  return {
    sandbox,
    proxy,
    call: mcp.call,
    async close() {
      await mcp.close();
      await moco.close();
      await proxy.close();
      await sandbox.close();
    },
  };
}
