// The OAuth 2.0 client a server calls, one method per moment of a provider session:
// startSignIn (authorization URL + state + PKCE), finishSignIn (callback checks, code exchange,
// who signed in), refreshIfNeeded (before the access token expires, rotation kept), signOut
// (revocation). Each step is a pure builder plus a parser in its own file; this file only wires them
// to the injected fetch, timeout and clock (RFC 6749 §4.1, RFC 7636, RFC 7009, RFC 9207, RFC 9700).
// Every method returns an OAuthResult: a failed sign-in is a value with a stable `code`, a safe
// `publicMessage` and an `httpStatus`, never an exception. Bad options throw a TypeError at creation.
import { createAuthorizationRequest, type AuthorizationRequest, type PendingAuthorization } from "./authorization-request.ts";
import { validateCallback } from "./callback.ts";
import type { OAuthResult } from "./errors.ts";
import { sendOAuthRequest, type HttpClientOptions } from "./http-client.ts";
import type { OAuthProvider } from "./providers.ts";
import { refreshIfNeeded } from "./refresh.ts";
import { revokeGrant } from "./revoke.ts";
import { buildAuthorizationCodeRequest } from "./token-request.ts";
import { parseTokenResponse, type OAuthTokens } from "./token-response.ts";
import { fetchUser, type OAuthUser } from "./userinfo.ts";

export interface OAuthClientOptions extends HttpClientOptions {
  now?: () => number;
  /** Refresh when the access token expires within this many seconds. */
  refreshMarginSeconds?: number;
}

export interface SignedIn {
  tokens: OAuthTokens;
  user: OAuthUser;
}

export interface OAuthClient {
  readonly provider: OAuthProvider;
  /** Redirect the browser to `url` (303); keep `pending` in the server-side session. */
  startSignIn(): AuthorizationRequest;
  /** `pending` must already be deleted from the session (single use), whatever the outcome. */
  finishSignIn(query: URLSearchParams, pending: PendingAuthorization | null | undefined): Promise<OAuthResult<SignedIn>>;
  /** Call inside the session lock; save `tokens` when `refreshed`. Refused (OAuthTokenError): sign out; down: don't. */
  refreshIfNeeded(tokens: OAuthTokens): Promise<OAuthResult<{ tokens: OAuthTokens; refreshed: boolean }>>;
  /** Revoke at the provider; destroy the local session afterwards whatever this returns. */
  signOut(tokens: OAuthTokens | null | undefined): Promise<OAuthResult<{ revoked: boolean }>>;
}

const maxTimerMs = 2 ** 31 - 1; // setTimeout's limit: a longer delay silently becomes 1 ms

export function createOAuthClient(provider: OAuthProvider, options: OAuthClientOptions = {}): OAuthClient {
  const check = (name: keyof OAuthClientOptions, valid: (value: number) => boolean, rule: string) => {
    const value = options[name];
    if (value !== undefined && !(typeof value === "number" && Number.isInteger(value) && valid(value))) {
      throw new TypeError(`oauth "${name}" is invalid: must be a whole number ${rule}`);
    }
  };
  check("timeoutMs", (ms) => ms >= 1 && ms <= maxTimerMs, `of milliseconds from 1 to ${maxTimerMs}`);
  check("maxResponseBytes", (bytes) => bytes >= 1, "of bytes above 0");
  check("refreshMarginSeconds", (seconds) => seconds >= 0, "of seconds, 0 or more");
  const now = options.now ?? Date.now;
  const http: HttpClientOptions = { fetch: options.fetch, timeoutMs: options.timeoutMs, maxResponseBytes: options.maxResponseBytes };
  return {
    provider,
    startSignIn: () => createAuthorizationRequest(provider, { now }),
    async finishSignIn(query, pending) {
      const callback = validateCallback(query, pending, { now });
      if (!callback.ok) return callback;
      const tokens = await exchangeAuthorizationCode(provider, callback.value.code, callback.value.pending, { ...http, now });
      if (!tokens.ok) return tokens;
      const user = await fetchUser(provider, tokens.value, http);
      if (!user.ok) {
        // Nobody will ever use these tokens: revoke them rather than leave a live grant behind.
        await revokeGrant(provider, tokens.value, http);
        return user;
      }
      return { ok: true, value: { tokens: tokens.value, user: user.value } };
    },
    refreshIfNeeded: (tokens) => refreshIfNeeded(provider, tokens, { ...http, now, marginSeconds: options.refreshMarginSeconds }),
    async signOut(tokens) {
      if (!tokens) return { ok: true, value: { revoked: false } };
      return revokeGrant(provider, tokens, http);
    },
  };
}

/** The code exchange alone (RFC 6749 §4.1.3–4.1.4), for callers that validated the callback themselves. */
export async function exchangeAuthorizationCode(
  provider: OAuthProvider,
  code: string,
  pending: PendingAuthorization,
  options: HttpClientOptions & { now?: () => number } = {},
): Promise<OAuthResult<OAuthTokens>> {
  const request = buildAuthorizationCodeRequest(provider, {
    code,
    codeVerifier: pending.codeVerifier,
    redirectUri: pending.redirectUri,
  });
  const sent = await sendOAuthRequest(request, options);
  if (!sent.ok) return sent;
  return parseTokenResponse(sent.value, { dialect: provider.dialect, now: options.now });
}
