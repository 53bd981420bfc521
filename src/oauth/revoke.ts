// Sign-out's provider half: revoke the grant, so a copy of the session's tokens is worthless.
// RFC 7009 §2.1: POST `token=` + `token_type_hint=`, client authentication as at the token endpoint;
// revoking a refresh token also revokes the access tokens of its grant (§2.1, SHOULD), so we revoke
// the refresh token when there is one, else the access token. 200 means done, even for an unknown
// token (§2.2). ArcGIS (revoke-token.htm): POST …/oauth2/revokeToken with `auth_token=`, `client_id`,
// answering {"success": true}; revoking a refresh token revokes its access tokens too.
// Pitfall prevented: the ArcGIS tutorial's sign-out left the tokens valid (Esri/arcgis-rest-js#800).
// The caller destroys the local session whatever this returns: a provider that is down or slow
// (OAuthProtocolError) must never keep a user signed in (R25).
import { OAuthProtocolError, type OAuthResult } from "./errors.ts";
import { sendOAuthRequest, type HttpClientOptions } from "./http-client.ts";
import type { OAuthProvider } from "./providers.ts";
import { buildFormPost, type OAuthHttpRequest } from "./token-request.ts";
import { readProviderJson, type OAuthTokens } from "./token-response.ts";

export type TokenTypeHint = "refresh_token" | "access_token";

/** The revocation request, or null when the provider has no revocation endpoint. */
export function buildRevocationRequest(
  provider: OAuthProvider,
  token: string,
  tokenTypeHint: TokenTypeHint,
): OAuthHttpRequest | null {
  if (provider.revocationEndpoint === null) return null;
  if (provider.dialect === "arcgis") {
    // Only what revoke-token.htm lists (plus f=json): the client secret is not needed here, so not sent.
    const form = new URLSearchParams({
      auth_token: token,
      token_type_hint: tokenTypeHint,
      client_id: provider.clientId,
      f: "json",
    });
    return {
      url: provider.revocationEndpoint,
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: form.toString(),
    };
  }
  return buildFormPost(provider, provider.revocationEndpoint, { token, token_type_hint: tokenTypeHint });
}

/** Revokes the session's grant. `revoked: false` means the provider has no revocation endpoint. */
export async function revokeGrant(
  provider: OAuthProvider,
  tokens: OAuthTokens,
  options: HttpClientOptions = {},
): Promise<OAuthResult<{ revoked: boolean }>> {
  const request =
    tokens.refreshToken !== null
      ? buildRevocationRequest(provider, tokens.refreshToken, "refresh_token")
      : buildRevocationRequest(provider, tokens.accessToken, "access_token");
  if (request === null) return { ok: true, value: { revoked: false } };
  const sent = await sendOAuthRequest(request, options);
  if (!sent.ok) return sent;
  const response = sent.value;
  if (provider.dialect === "arcgis") {
    const json = readProviderJson(response, "revocation");
    if (!json.ok) return json;
    if (json.value.success !== true) {
      return { ok: false, error: new OAuthProtocolError("malformed_response", 'revocation answer lacks "success": true') };
    }
    return { ok: true, value: { revoked: true } };
  }
  // 200 is success and its body is ignored (§2.2); some servers answer 204, which means the same.
  if (response.status >= 200 && response.status < 300) return { ok: true, value: { revoked: true } };
  // §2.2.1: an error body (unsupported_token_type, invalid_client, ...) or a 503 to retry later.
  const json = readProviderJson(response, "revocation");
  return json.ok ? { ok: false, error: new OAuthProtocolError("http_status", `revocation answered HTTP ${response.status}`) } : json;
}
