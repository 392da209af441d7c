/** What --help prints: every flag and every environment variable the server reads. */
export const HELP = `moco-leads-mcp — an MCP server for the leads (deals) of a MOCO account

Usage: moco-leads-mcp [options]

Options:
  --sandbox                 run against a built-in MOCO sandbox with demo data (no account needed)
  --read-only               register no tool that writes (env MOCO_READ_ONLY=true)
  --tools a,b               only register these tools (env MOCO_TOOLS)
  --deny-tools a,b          never register these tools (env MOCO_DENY_TOOLS)
  --transport stdio|http    default stdio
  --host H --port P         for --transport http (default 127.0.0.1:3000)
  --per-request-credentials for --transport http: take MOCO credentials from each request's headers
  --oauth --public-url URL  for --transport http: people connect with OAuth and their own MOCO key (docs/oauth.md)
  -h, --help                show this help

  moco-leads-mcp store [delete SCOPE]   show the lead store (path, size, scopes) or delete a scope's data
  moco-leads-mcp webhooks register URL|list|remove   MOCO's webhooks for leads and notes (docs/webhooks.md)

Environment:
  MOCO_API_KEY        your MOCO API key (MOCO: your profile → Integrations → API key)
  MOCO_SUBDOMAIN      your account's subdomain: "acme" or "acme.mocoapp.com"
  MOCO_BASE_URL       optional full API URL (…/api/v1), overrides MOCO_SUBDOMAIN
  MOCO_TIMEOUT_MS     deadline per MOCO request (default 15000)
  MOCO_TOOL_TIMEOUT_MS deadline per tool call, retries and rate waits included (default 60000)
  MOCO_SHUTDOWN_GRACE_MS at shutdown, time for requests in flight, then again for writes sent to MOCO (default 10000)
  MOCO_RATE_LIMIT     requests per 2 minutes your plan allows (default 120; 1200 on "unlimited")
  MOCO_MAX_SCAN_PAGES page cap for tools that scan many leads (default 20)
  MOCO_APPS           the pipeline view (MCP App): auto (clients that declare it; stdio), on, off
  MOCO_STORE          the lead mirror: a file path, "memory" or "off" (default: a file in your data directory)
  MOCO_STORE_FRESH_SECONDS  a read older than this syncs with MOCO first (default 30, at most 60)
  MOCO_STORE_RETENTION_DAYS history kept (default 400)
  MOCO_STORE_ANSWER_SECONDS the longest a call waits for a mirror sync; then it answers with what the mirror has, INCOMPLETE (default 25)
  MOCO_STORE_LEASE_SECONDS  a sync of a died instance sharing the store is taken over after this (default 60)
  MOCO_LOG_LEVEL      debug, info, warn or error (stderr; default info)
  MOCO_TODAY          the day counted as today, YYYY-MM-DD (demos and tests; default the server's date)
  NODE_DISABLE_COMPILE_CACHE=1  do not keep V8's compiled code between starts (default: kept in your cache directory)
  MCP_HTTP_TOKEN      bearer token clients must send over HTTP (required off loopback)
  MCP_ALLOWED_HOSTS / MCP_ALLOWED_ORIGINS  extra Host / Origin values to accept over HTTP
  MCP_HTTP_JSON_RESPONSE   answer each HTTP request with plain JSON instead of an SSE stream
  MCP_ALLOW_BASE_URL_HEADER  with --per-request-credentials, accept X-Moco-Base-Url (loopback only; tests)
  MCP_HTTP_HEADERS_TIMEOUT_MS / MCP_HTTP_REQUEST_TIMEOUT_MS  time to send headers / the whole request (10000 / 30000)
  MCP_HTTP_KEEP_ALIVE_TIMEOUT_MS  idle keep-alive connections close after this (default 5000)
  MCP_HTTP_MAX_CONNECTIONS / MCP_HTTP_MAX_CONNECTIONS_PER_ADDRESS  open connections in total / per client address (512 / 128)
  MCP_HTTP_MAX_PUBLIC_CONNECTIONS / MCP_HTTP_MAX_PUBLIC_CONNECTIONS_PER_ADDRESS  of those, connections without a valid token yet (a quarter of the total / 16)
  MCP_HTTP_PUBLIC_BODY_TIMEOUT_MS  time a request without a valid token has to send its body (default 5000)
  MCP_MAX_TENANTS / MCP_MAX_ACCOUNTS  per-request credentials or --oauth: distinct keys / MOCO accounts held at once (1000 / 100)
  MOCO_WEBHOOK_SECRET the secret MOCO shows for its webhooks (32 hex; comma-separated for several): with
                      --transport http, POST /webhooks/moco applies MOCO's changes at once, with who made them
  MCP_UPSTREAM_CONNECTIONS  per-request credentials or --oauth: sockets to MOCO, all accounts together (default 400)
`;
