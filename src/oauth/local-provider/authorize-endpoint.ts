// The local provider's authorization endpoint (RFC 6749 §4.1.1–4.1.2). GET checks the request and
// shows the approval page (HEAD: the same answer, nothing stored); POST (the page's form) approves or
// denies and answers 303 to the client (RFC 9700 §4.12: a 307 would resend the form to the client).
// Requests are refused in RFC order: an unknown client or a redirect_uri that is not an exact
// registered string gets an error page and is never redirected (§4.1.2.1, RFC 9700 §4.1.3);
// everything else goes back as `error=` with `state` and `iss` (RFC 9207). PKCE: a challenge is
// required (unless the client opted out), S256 only. CSRF on the form (OWASP CSRF CS): `request_id`
// is a single-use ticket stored server-side with the browser's cookie value (SameSite=Lax: a
// cross-site POST does not carry it), plus a Fetch Metadata / Origin check. Pages are unframeable
// (RFC 9700 §4.16: X-Frame-Options, frame-ancestors) and no CORS header is ever sent. Malformed input
// → 400 page or error redirect; never a throw.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseCookies } from "../../cookies/parse.ts";
import { serializeCookie } from "../../cookies/serialize.ts";
import { randomToken } from "../../crypto/random.ts";
import { csrfTokensMatch } from "../../csrf/csrf-token.ts";
import { readForm } from "../../http/body.ts";
import { requestQuery } from "../../http/dispatch.ts";
import type { SafeHtml } from "../../http/html.ts";
import { redirect, sendHtml } from "../../http/respond.ts";
import { cleanUsername, validateUsername } from "../../users/username.ts";
import { isWellFormedS256Challenge } from "../pkce.ts";
import { approvalPage, errorPage } from "./authorize-page.ts";
import type { LocalProviderContext } from "./create-local-provider.ts";

const requestLifetimeSeconds = 10 * 60; // time to read the page and decide
const maxPendingRequests = 10_000; // bounds memory under a flood of GET /authorize
const browserCookieName = "local_provider_browser";
// What randomToken(32) makes: 43 base64url characters. A cookie the browser sends back is reused only
// in that form; anything else (forged, 4 kB long, percent-encoded) gets a new one, since writing an
// arbitrary value back would make serializeCookie throw (RFC 6265 §6.1 size limit) or echo junk.
const browserIdRegExp = /^[A-Za-z0-9_-]{43}$/;
const supportedScopes = new Set(["profile"]);
const noStore = { "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" };

interface PendingApproval {
  clientId: string;
  redirectUri: string;
  state: string | null;
  codeChallenge: string | null;
  scope: string;
  browser: string;
  expiresAtMs: number;
}

export function createAuthorizeEndpoint(context: LocalProviderContext) {
  const pending = new Map<string, PendingApproval>();

  const sendPage = (res: ServerResponse, status: number, page: SafeHtml, formTarget?: string, cookie?: string) => {
    // form-action also governs where the form's 303 may lead: allow the client's origin (CSP Level 3).
    const formAction = formTarget ? `'self' ${formTarget}` : "'self'";
    const csp = `default-src 'none'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`;
    sendHtml(res, status, page, { ...noStore, "Content-Security-Policy": csp, ...(cookie ? { "Set-Cookie": cookie } : {}) });
  };

  type Destination = { redirectUri: string; state: string | null };
  const backToClient = (res: ServerResponse, request: Destination, params: Record<string, string>) => {
    const url = new URL(request.redirectUri); // its own query is kept (RFC 6749 §3.1.2)
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    if (request.state !== null) url.searchParams.set("state", request.state);
    url.searchParams.set("iss", context.issuer());
    redirect(res, url.href, 303, noStore);
  };

  function show(req: IncomingMessage, res: ServerResponse): void {
    // Not new URL(req.url, base): with a target in absolute form the base is ignored, and an authority
    // it can't parse ("http://a:b/authorize") would throw, a 500.
    const query = requestQuery(req.url);
    const names = ["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method"];
    if (names.some((name) => query.getAll(name).length > 1)) {
      return sendPage(res, 400, errorPage("A parameter appears twice in the sign-in request (RFC 6749 §3.1)."));
    }
    const client = context.clients.get(query.get("client_id") ?? undefined);
    if (!client) return sendPage(res, 400, errorPage("The app that sent you here is not registered with this provider."));
    const redirectUri = query.get("redirect_uri");
    if (redirectUri === null || !client.redirectUris.has(redirectUri)) {
      return sendPage(res, 400, errorPage("The app asked to send you back to an address it has not registered."));
    }
    const state = query.get("state");
    const request = { redirectUri, state };
    const refuse = (error: string, description: string) => backToClient(res, request, { error, error_description: description });
    if (query.get("response_type") !== "code") {
      return refuse("unsupported_response_type", "only response_type=code is supported");
    }
    if (state !== null && state.length > 1024) return refuse("invalid_request", "state is longer than 1024 characters");
    const codeChallenge = query.get("code_challenge");
    const method = query.get("code_challenge_method");
    if (codeChallenge === null) {
      if (method !== null) return refuse("invalid_request", "code_challenge_method without code_challenge");
      if (client.requirePkce) return refuse("invalid_request", "code_challenge is required (PKCE, RFC 7636)");
    } else {
      // A missing method means "plain" (RFC 7636 §4.3), which sends the secret itself: refused.
      if (method !== "S256") return refuse("invalid_request", "code_challenge_method must be S256");
      if (!isWellFormedS256Challenge(codeChallenge)) {
        return refuse("invalid_request", "code_challenge is not a base64url SHA-256");
      }
    }
    const scope = (query.get("scope") ?? "profile").split(" ").filter(Boolean);
    if (scope.some((item) => !supportedScopes.has(item))) {
      return refuse("invalid_scope", 'only the scope "profile" is supported');
    }

    const asked = { clientId: client.clientId, redirectUri, state, codeChallenge, scope: scope.join(" ") || "profile" };
    // HEAD (RFC 9110 §9.3.2): GET's status and headers, but a safe method creates nothing (§9.2.1): no
    // stored request and no cookie (a header made only for the content may be left out). Its page
    // carries a throwaway request_id that no form post will find.
    if (req.method === "HEAD") return showApproval(res, 200, randomToken(32), asked, {});

    const now = context.now();
    // Entries share one lifetime and are added in time order, so the oldest come first: stop at the
    // first one still live and within the limit. The work is what is dropped, not the map's size.
    for (const [id, entry] of pending) {
      if (entry.expiresAtMs > now && pending.size < maxPendingRequests) break;
      pending.delete(id);
    }
    const sent = parseCookies(req.headers.cookie)[browserCookieName];
    const browser = sent !== undefined && browserIdRegExp.test(sent) ? sent : randomToken(32);
    const requestId = randomToken(32);
    const approval: PendingApproval = { ...asked, browser, expiresAtMs: now + requestLifetimeSeconds * 1000 };
    pending.set(requestId, approval);
    const cookie = serializeCookie(browserCookieName, browser, {
      httpOnly: true,
      sameSite: "Lax",
      path: "/authorize",
      secure: context.issuer().startsWith("https:"),
    });
    showApproval(res, 200, requestId, approval, {}, cookie);
  }

  function showApproval(
    res: ServerResponse,
    status: number,
    requestId: string,
    approval: Pick<PendingApproval, "clientId" | "redirectUri" | "scope">,
    extra: { typedUsername?: string; error?: string },
    cookie?: string,
  ): void {
    const redirectOrigin = new URL(approval.redirectUri).origin;
    const { clientId, scope } = approval;
    const page = approvalPage({ requestId, clientId, redirectOrigin, scope, users: context.users, ...extra });
    sendPage(res, status, page, redirectOrigin, cookie);
  }

  async function decide(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Fetch Metadata first (the app on another port of 127.0.0.1 is "same-site": refused too), then Origin.
    const site = req.headers["sec-fetch-site"];
    const origin = req.headers.origin;
    const crossSite = site !== undefined && site !== "same-origin" && site !== "none";
    if (crossSite || (origin !== undefined && origin !== new URL(context.issuer()).origin)) {
      return sendPage(res, 403, errorPage("This form must be sent from the provider's own page."));
    }
    const form = await readForm(req); // malformed, too large, wrong type: HttpError → 400/413/415
    const requestId = form.request_id ?? "";
    const request = pending.get(requestId);
    if (!request || request.expiresAtMs <= context.now()) {
      return sendPage(res, 400, errorPage("This sign-in request expired or was already answered."));
    }
    if (!csrfTokensMatch(request.browser, parseCookies(req.headers.cookie)[browserCookieName])) {
      return sendPage(res, 403, errorPage("This form was not sent from the page the provider showed you."));
    }
    if (form.decision === "deny") {
      pending.delete(requestId);
      return backToClient(res, request, { error: "access_denied", error_description: "the user denied the request" });
    }
    const name = form.pick ?? form.typed_username ?? "";
    const problem = validateUsername(name);
    if (problem !== null) {
      return showApproval(res, 400, requestId, request, { typedUsername: form.typed_username, error: problem });
    }
    pending.delete(requestId); // single use: a second POST of the same form finds nothing
    const code = context.codes.issue({ ...request, username: cleanUsername(name) });
    backToClient(res, request, { code });
  }

  return { show, decide };
}
