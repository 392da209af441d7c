import { createHash } from "node:crypto";
import type { ServerResponse } from "node:http";

/**
 * The sign-in and consent pages: server-rendered, no script, no third-party asset, one inline
 * stylesheet allowed by its hash. Every value that did not come from this file (client names,
 * what MOCO said, the user's own input) goes through esc().
 */

const STYLE = `
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1d2430;margin:0}
main{max-width:30rem;margin:3rem auto;background:#fff;border:1px solid #d9dde3;border-radius:10px;padding:2rem}
h1{font-size:1.35rem;margin:0 0 1rem}
p{margin:.6rem 0}
label{display:block;font-weight:600;margin:1rem 0 .3rem}
input[type=text],input[type=password]{box-sizing:border-box;width:100%;padding:.55rem .6rem;font:inherit;border:1px solid #aeb5bf;border-radius:6px}
.row{display:flex;align-items:center;gap:.4rem}.row input{flex:1}
.hint{color:#58606c;font-size:.9rem}
.error{background:#fdecec;border:1px solid #e5a3a3;color:#8a1f1f;border-radius:6px;padding:.6rem .8rem}
.who{background:#eef6ee;border:1px solid #a9cfa9;border-radius:6px;padding:.6rem .8rem}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;margin-top:1.4rem}
button{font:inherit;padding:.55rem 1rem;border-radius:6px;border:1px solid #1f5fbf;background:#1f5fbf;color:#fff;cursor:pointer}
button.plain{background:#fff;color:#1f5fbf}
code{background:#f0f1f3;padding:0 .25rem;border-radius:4px}
`;
const STYLE_HASH = createHash("sha256").update(STYLE, "utf8").digest("base64");

export function esc(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}

export interface PageOptions {
  /** Origins a form on this page may submit to or be redirected to after submitting (CSP form-action). */
  formTargets?: readonly string[];
  setCookie?: string;
  status?: number;
}

export function sendPage(res: ServerResponse, title: string, body: string, options: PageOptions = {}): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
  // Chromium applies form-action to the redirect after a submission too, so the client's origin is listed.
  const formAction = ["'self'", ...(options.formTargets ?? [])].join(" ");
  const headers: Record<string, string | number> = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": Buffer.byteLength(html),
    "Content-Security-Policy": `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
  };
  if (options.setCookie) headers["Set-Cookie"] = options.setCookie;
  res.writeHead(options.status ?? 200, headers);
  res.end(html);
}

export interface SignInView {
  clientName: string;
  redirectHost: string;
  request: string;
  csrf: string;
  /** A fixed account (one allowed subdomain, or the test-only loopback URL): no input field. */
  fixedAccount: string | undefined;
  subdomain: string;
  error: string | undefined;
}

export function signInPage(v: SignInView): string {
  const account = v.fixedAccount
    ? `<p>MOCO account: <strong>${esc(v.fixedAccount)}</strong></p>`
    : `<label for="subdomain">Your MOCO subdomain</label>
<div class="row"><input id="subdomain" name="subdomain" type="text" required maxlength="63" autocomplete="organization" value="${esc(v.subdomain)}" placeholder="acme"><span>.mocoapp.com</span></div>`;
  return `<h1>Connect ${esc(v.clientName)} to your MOCO leads</h1>
<p><strong>${esc(v.clientName)}</strong> (returns to <code>${esc(v.redirectHost)}</code>) asks to work with the leads of your MOCO account, as you.</p>
${v.error ? `<p class="error" role="alert">${esc(v.error)}</p>` : ""}
<form method="post" action="/oauth/sign-in">
<input type="hidden" name="request" value="${esc(v.request)}">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
${account}
<label for="api_key">Your personal MOCO API key</label>
<input id="api_key" name="api_key" type="password" required maxlength="200" autocomplete="off" spellcheck="false">
<p class="hint">In MOCO: click your picture at the top right → Profile → Integrations, and copy the API key. It is checked with MOCO now and kept encrypted on this server; it never goes to ${esc(v.clientName)}.</p>
<div class="actions"><button type="submit" name="action" value="sign-in">Check key and continue</button>
<button class="plain" type="submit" name="action" value="cancel" formnovalidate>Cancel</button></div>
</form>`;
}

export interface ConsentView {
  clientName: string;
  redirectHost: string;
  person: string;
  account: string;
  pending: string;
  csrf: string;
  /** Whether the person may grant writes (the server or the client's scope may allow reads only). */
  writable: boolean;
}

export function consentPage(v: ConsentView): string {
  const write = v.writable
    ? `<button type="submit" name="decision" value="write">Allow read and write</button>
<button type="submit" name="decision" value="read">Allow read-only</button>`
    : `<button type="submit" name="decision" value="read">Allow read-only</button>`;
  return `<h1>Allow ${esc(v.clientName)}?</h1>
<p class="who">MOCO says this key belongs to <strong>${esc(v.person)}</strong> at <strong>${esc(v.account)}</strong>.</p>
<p><strong>${esc(v.clientName)}</strong> (returns to <code>${esc(v.redirectHost)}</code>) will see and search your leads${v.writable ? " and, if you allow writing, create, change and delete them" : ""}, with your MOCO permissions.</p>
<p class="hint">“Read-only” registers no tool that writes. MOCO does not tell whether a key itself is read-only; if yours is, MOCO refuses writes either way. You can disconnect at any time in the assistant's connector settings.</p>
<form method="post" action="/oauth/consent">
<input type="hidden" name="pending" value="${esc(v.pending)}">
<input type="hidden" name="csrf" value="${esc(v.csrf)}">
<div class="actions">${write}
<button class="plain" type="submit" name="decision" value="deny">Deny</button></div>
</form>`;
}

export function messagePage(heading: string, text: string): string {
  return `<h1>${esc(heading)}</h1><p>${esc(text)}</p>`;
}
