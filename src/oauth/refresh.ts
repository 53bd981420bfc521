// Keeps the provider's access token fresh: refresh shortly before it expires (RFC 6749 §6), and
// when the provider rotates the refresh token, the new one replaces the old at once (RFC 9700
// §4.14.2; a provider with reuse detection revokes everything if the old one is ever used again).
// ArcGIS access tokens live ~30 minutes; its `exchange_refresh_token` grant rotates (token-request.ts).
// A refresh answer without refresh_token keeps the old one (RFC 6749 §6: the server MAY rotate).
// Pitfall prevented: two concurrent requests refreshing with the same token trip reuse detection
// and sign the user out; call this inside the session's per-ID lock (SessionManager.withSession)
// and save the result before the lock is released.
// Returns OAuthResult. OAuthTokenError: refused; `invalid_grant` means the grant is gone, any other
// code may leave it alive (revoke it, then sign the user out). OAuthProtocolError: the provider is
// down, slow or failing (a 5xx): keep the user signed in and try again later.
import { OAuthTokenError, type OAuthResult } from "./errors.ts";
import { sendOAuthRequest, type HttpClientOptions } from "./http-client.ts";
import type { OAuthProvider } from "./providers.ts";
import { buildRefreshRequest } from "./token-request.ts";
import { parseTokenResponse, type OAuthTokens } from "./token-response.ts";

export const defaultRefreshMarginSeconds = 60; // a token that expires mid-request fails that request

/** True when the access token is expired or expires within `marginSeconds`. Unknown expiry: false. */
export function accessTokenNeedsRefresh(
  tokens: OAuthTokens,
  options: { now?: () => number; marginSeconds?: number } = {},
): boolean {
  if (tokens.expiresAtMs === null) return false;
  const now = (options.now ?? Date.now)();
  return tokens.expiresAtMs - now <= (options.marginSeconds ?? defaultRefreshMarginSeconds) * 1000;
}

export async function refreshTokens(
  provider: OAuthProvider,
  tokens: OAuthTokens,
  options: HttpClientOptions & { now?: () => number } = {},
): Promise<OAuthResult<OAuthTokens>> {
  if (tokens.refreshToken === null) {
    return { ok: false, error: new OAuthTokenError("token", "invalid_grant", "no refresh token was issued") };
  }
  const sent = await sendOAuthRequest(buildRefreshRequest(provider, tokens.refreshToken), options);
  if (!sent.ok) return sent;
  const parsed = parseTokenResponse(sent.value, { dialect: provider.dialect, now: options.now });
  if (!parsed.ok) return parsed;
  const fresh = parsed.value;
  const rotated = fresh.refreshToken !== null;
  return {
    ok: true,
    value: {
      ...fresh,
      refreshToken: rotated ? fresh.refreshToken : tokens.refreshToken,
      refreshTokenExpiresAtMs: rotated ? fresh.refreshTokenExpiresAtMs : tokens.refreshTokenExpiresAtMs,
      scope: fresh.scope ?? tokens.scope,
      username: fresh.username ?? tokens.username,
    },
  };
}

/** Refreshes only when needed: `refreshed` tells the caller to save the new tokens in the session. */
export async function refreshIfNeeded(
  provider: OAuthProvider,
  tokens: OAuthTokens,
  options: HttpClientOptions & { now?: () => number; marginSeconds?: number } = {},
): Promise<OAuthResult<{ tokens: OAuthTokens; refreshed: boolean }>> {
  if (!accessTokenNeedsRefresh(tokens, options)) return { ok: true, value: { tokens, refreshed: false } };
  const result = await refreshTokens(provider, tokens, options);
  return result.ok ? { ok: true, value: { tokens: result.value, refreshed: true } } : result;
}
