import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuthorizationParams } from "@modelcontextprotocol/sdk/server/auth/provider.js";
import type { OAuthClientInformationFull } from "@modelcontextprotocol/sdk/shared/auth.js";
import { log } from "../log.js";
import type { Pool } from "../moco/client.js";
import type { ClientsStore } from "./clients.js";
import { type Keyring, randomToken, safeEqual, sha256 } from "./crypto.js";
import { canWrite, type Grants } from "./grants.js";
import { clientAddress, cookie, FormError, readForm, redirect } from "./http-util.js";
import type { Counter, Limits } from "./limits.js";
import { accountFor, checkKey, fixedAccount, type Person } from "./moco-check.js";
import { type Resolved, SCOPE_READ, SCOPE_WRITE } from "./options.js";
import { consentPage, messagePage, sendPage, signInPage } from "./pages.js";
import type { GrantStore } from "./store.js";

/**
 * The person's part: GET /authorize (via the SDK) shows the sign-in page; POST /oauth/sign-in
 * checks the MOCO key live and shows who it is; POST /oauth/consent turns a yes into a grant and
 * a code. The authorization request rides along sealed (it is no secret, but must not be
 * altered), a CSRF nonce binds each form to the browser that loaded it (cookie + field), and the
 * checked key waits for the consent answer server-side, sealed, for at most ten minutes.
 */

const FORM_LIMIT = 8 * 1024;

/** What GET /authorize asked for, as sealed into the sign-in form. */
interface AuthRequest {
  clientId: string;
  redirectUri: string;
  /** Whether /authorize named the redirect URI (then /token must repeat it); absent in older forms. */
  redirectUriSent?: boolean;
  codeChallenge: string;
  state: string | undefined;
  scopes: string[];
  resource: string;
  csrf: string;
  expiresAt: number;
}

export interface FlowDeps {
  store: GrantStore;
  keys: Keyring;
  grants: Grants;
  clients: () => ClientsStore;
  o: Resolved;
  subdomains: readonly string[];
  loopbackBaseUrl: string | undefined;
  readOnly: boolean;
  userAgent: string;
  requestTimeoutMs: number;
  pool: Pool;
  signInsPer15Minutes: number;
  /** Where sign-in attempts are counted (the grant store, shared by every instance). */
  limits: Limits;
  trustProxy: boolean | number | undefined;
}

export class SignInFlow {
  private readonly attempts: Counter;

  constructor(private readonly d: FlowDeps) {
    this.attempts = d.limits.counter("sign-in", d.signInsPer15Minutes, 15 * 60_000);
  }

  showSignIn(
    res: ServerResponse,
    client: OAuthClientInformationFull,
    params: AuthorizationParams,
    redirectUriSent: boolean,
  ): void {
    const csrf = randomToken("");
    const request: AuthRequest = {
      clientId: client.client_id,
      redirectUri: params.redirectUri,
      redirectUriSent,
      codeChallenge: params.codeChallenge,
      state: params.state,
      scopes: params.scopes ?? [],
      resource: this.d.o.resource,
      csrf,
      expiresAt: this.d.o.now() + this.d.o.pendingTtlMs,
    };
    this.renderSignIn(res, client, request, this.d.keys.seal(JSON.stringify(request), "authorize-request"), {
      setCookie: this.csrfCookie(csrf, Math.floor(this.d.o.pendingTtlMs / 1000)),
    });
  }

  async handleSignIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await this.form(req, res);
    if (!form) return;
    const sealed = form.get("request") ?? "";
    const request = this.openRequest(sealed);
    if (!request)
      return this.fail(res, 400, "This sign-in page has expired", "Start again from your assistant.");
    if (!this.csrfOk(req, form, request.csrf)) return this.csrfFail(res);
    const client = await this.d.clients().getClient(request.clientId);
    if (!client) return this.fail(res, 400, "Unknown client", "This client is no longer registered here.");
    if (form.get("action") === "cancel") return this.deny(res, request);
    if (!(await this.attempts(clientAddress(req, this.d.trustProxy))).allowed) {
      return this.fail(
        res,
        429,
        "Too many attempts",
        "Too many sign-in attempts from here. Wait 15 minutes.",
      );
    }
    const again = (status: number, error: string) =>
      this.renderSignIn(res, client, request, sealed, {
        status,
        error,
        subdomain: form.get("subdomain") ?? "",
      });
    const account = accountFor(form.get("subdomain")?.trim(), this.d.subdomains, this.d.loopbackBaseUrl);
    if (!account.ok) return again(400, account.message);
    const apiKey = form.get("api_key")?.trim() ?? "";
    const checked = await checkKey(account.baseUrl, apiKey, this.d);
    if (!checked.ok) return again(401, checked.message);
    const pending = randomToken("");
    const hash = sha256(pending);
    // The person's name and e-mail are for this page only: the store keeps the account.
    const subject = JSON.stringify({ account: account.label });
    await this.d.store.putPending({
      hash,
      csrfHash: sha256(request.csrf),
      // The nonce itself stays out of the store; its hash is enough to check the consent form.
      request: JSON.stringify({ ...request, csrf: "" }),
      baseUrl: account.baseUrl,
      keySealed: this.d.keys.seal(apiKey, `pending:${hash}`),
      subject,
      expiresAt: this.d.o.now() + this.d.o.pendingTtlMs,
    });
    const view = {
      clientName: clientName(client),
      redirectHost: new URL(request.redirectUri).host,
      person: describe(checked.person),
      account: account.label,
      pending,
      csrf: request.csrf,
      writable: this.writable(request),
    };
    sendPage(res, `Allow ${view.clientName}?`, consentPage(view), {
      formTargets: [new URL(request.redirectUri).origin],
    });
  }

  async handleConsent(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await this.form(req, res);
    if (!form) return;
    const csrf = form.get("csrf") ?? "";
    if (!this.csrfOk(req, form, csrf)) return this.csrfFail(res);
    const taken = await this.d.store.takePending(sha256(form.get("pending") ?? ""));
    if (!taken || taken.expiresAt <= this.d.o.now()) {
      return this.fail(res, 400, "This page has expired", "Start again from your assistant.");
    }
    if (!safeEqual(taken.csrfHash, sha256(csrf))) return this.csrfFail(res);
    const request: AuthRequest = { ...(JSON.parse(taken.request) as AuthRequest), csrf };
    const decision = form.get("decision");
    if (decision !== "read" && decision !== "write") return this.deny(res, request);
    const apiKey = this.d.keys.open(taken.keySealed, `pending:${taken.hash}`);
    if (apiKey === undefined)
      return this.fail(res, 400, "This page has expired", "Start again from your assistant.");
    const scope =
      decision === "write" && this.writable(request) ? `${SCOPE_READ} ${SCOPE_WRITE}` : SCOPE_READ;
    const code = await this.d.grants.create({
      clientId: request.clientId,
      baseUrl: taken.baseUrl,
      apiKey,
      subject: taken.subject,
      scope,
      resource: request.resource,
      redirectUri: request.redirectUri,
      redirectUriRequired: request.redirectUriSent ?? true,
      codeChallenge: request.codeChallenge,
    });
    const account = (JSON.parse(taken.subject) as { account?: string }).account ?? "?";
    log(
      "info",
      `oauth: consent for client ${request.clientId.slice(0, 8)} at ${account} (${canWrite(scope) ? "read and write" : "read-only"})`,
    );
    const target = new URL(request.redirectUri);
    target.searchParams.set("code", code);
    if (request.state !== undefined) target.searchParams.set("state", request.state);
    redirect(res, target.href, this.csrfCookie(csrf, 0));
  }

  private writable(request: AuthRequest): boolean {
    return !this.d.readOnly && (request.scopes.length === 0 || request.scopes.includes(SCOPE_WRITE));
  }

  private renderSignIn(
    res: ServerResponse,
    client: OAuthClientInformationFull,
    request: AuthRequest,
    sealed: string,
    extra: { setCookie?: string; status?: number; error?: string; subdomain?: string },
  ): void {
    const name = clientName(client);
    const body = signInPage({
      clientName: name,
      redirectHost: new URL(request.redirectUri).host,
      request: sealed,
      csrf: request.csrf,
      fixedAccount: fixedAccount(this.d.subdomains, this.d.loopbackBaseUrl),
      subdomain: extra.subdomain ?? "",
      error: extra.error,
    });
    sendPage(res, `Connect ${name} to MOCO`, body, {
      status: extra.status,
      setCookie: extra.setCookie,
      formTargets: [new URL(request.redirectUri).origin],
    });
  }

  private openRequest(sealed: string): AuthRequest | undefined {
    const text = sealed.length < 4096 ? this.d.keys.open(sealed, "authorize-request") : undefined;
    if (text === undefined) return undefined;
    const request = JSON.parse(text) as AuthRequest;
    return request.expiresAt > this.d.o.now() ? request : undefined;
  }

  /** One cookie per flow (named after its nonce), so two sign-ins in two tabs do not clash. */
  private csrfCookie(csrf: string, maxAge: number): string {
    const name = `mlm_csrf_${sha256(csrf).slice(0, 12)}`;
    const secure = this.d.o.secure ? "; Secure" : "";
    return `${name}=${maxAge > 0 ? csrf : ""}; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure}`;
  }

  private csrfOk(req: IncomingMessage, form: Map<string, string>, expected: string): boolean {
    const sent = form.get("csrf");
    if (!sent || !expected || !safeEqual(sent, expected)) return false;
    const fromCookie = cookie(req, `mlm_csrf_${sha256(sent).slice(0, 12)}`);
    return fromCookie !== undefined && safeEqual(fromCookie, sent);
  }

  private csrfFail(res: ServerResponse): void {
    this.fail(
      res,
      403,
      "This form could not be verified",
      "This browser did not send back the sign-in page's security cookie (CSRF check): cookies may be blocked for this site, or the page is older than ten minutes. Start again from your assistant.",
    );
  }

  private deny(res: ServerResponse, request: AuthRequest): void {
    const target = new URL(request.redirectUri);
    target.searchParams.set("error", "access_denied");
    target.searchParams.set("error_description", "The person declined");
    if (request.state !== undefined) target.searchParams.set("state", request.state);
    redirect(res, target.href, this.csrfCookie(request.csrf, 0));
  }

  private async form(req: IncomingMessage, res: ServerResponse): Promise<Map<string, string> | undefined> {
    try {
      return await readForm(req, FORM_LIMIT);
    } catch (error) {
      if (!(error instanceof FormError)) throw error;
      if (error.status === 413) res.setHeader("Connection", "close");
      this.fail(res, error.status, "The form was refused", error.message);
      return undefined;
    }
  }

  private fail(res: ServerResponse, status: number, heading: string, text: string): void {
    sendPage(res, heading, messagePage(heading, text), { status });
  }
}

function clientName(client: OAuthClientInformationFull): string {
  const name = client.client_name?.replace(/[\p{Cc}\p{Cf}]/gu, "").trim();
  return name ? name.slice(0, 100) : "An unnamed client";
}

function describe(person: Person): string {
  return person.email ? `${person.name} (${person.email})` : person.name;
}
