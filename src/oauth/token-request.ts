// Builds (does not send) the POSTs to the token endpoint: the authorization code grant
// (RFC 6749 §4.1.3 + RFC 7636 §4.5 code_verifier) and the refresh (RFC 6749 §6). Form-encoded body
// (RFC 6749 Appendix B), `Accept: application/json`. Client authentication (RFC 6749 §2.3.1): with a
// secret, HTTP Basic or `client_secret` in the body (one method only, §2.3); without one, `client_id`
// in the body (a public client, PKCE-protected).
// ArcGIS (token.htm): client_id always in the body; refresh uses `exchange_refresh_token` with
// `redirect_uri`, which also rotates the refresh token (the plain `refresh_token` grant would renew only
// the access token, and an unrotated refresh token is what RFC 9700 §4.14.2 warns against).
// Pitfall prevented: Basic credentials must be form-encoded before base64 (§2.3.1), or a secret
// containing ":" or "%" fails to authenticate.
import type { OAuthProvider } from "./providers.ts";

export interface OAuthHttpRequest {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body: string | null;
}

export function buildAuthorizationCodeRequest(
  provider: OAuthProvider,
  grant: { code: string; codeVerifier: string; redirectUri?: string },
): OAuthHttpRequest {
  return buildFormPost(provider, provider.tokenEndpoint, {
    grant_type: "authorization_code",
    code: grant.code,
    // Must be identical to the one in the authorization request (RFC 6749 §4.1.3).
    redirect_uri: grant.redirectUri ?? provider.redirectUri,
    code_verifier: grant.codeVerifier,
  });
}

export function buildRefreshRequest(provider: OAuthProvider, refreshToken: string): OAuthHttpRequest {
  if (provider.dialect === "arcgis") {
    return buildFormPost(provider, provider.tokenEndpoint, {
      grant_type: "exchange_refresh_token",
      refresh_token: refreshToken,
      redirect_uri: provider.redirectUri,
    });
  }
  return buildFormPost(provider, provider.tokenEndpoint, { grant_type: "refresh_token", refresh_token: refreshToken });
}

/** A form POST authenticated as the client; shared with revocation (RFC 7009 §2.1 uses the same rules). */
export function buildFormPost(
  provider: OAuthProvider,
  url: string,
  fields: Record<string, string>,
): OAuthHttpRequest {
  const form = new URLSearchParams(fields);
  const headers: Record<string, string> = {
    "Content-Type": "application/x-www-form-urlencoded",
    Accept: "application/json",
  };
  const useBasic =
    provider.clientSecret !== null && provider.tokenEndpointAuthMethod === "client_secret_basic" && provider.dialect !== "arcgis";
  if (useBasic) {
    const credentials = `${formEncode(provider.clientId)}:${formEncode(provider.clientSecret ?? "")}`;
    headers.Authorization = `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
  } else {
    form.set("client_id", provider.clientId);
    if (provider.clientSecret !== null) form.set("client_secret", provider.clientSecret);
  }
  if (provider.dialect === "arcgis") form.set("f", "json"); // ArcGIS common parameter: answer in JSON
  return { url, method: "POST", headers, body: form.toString() };
}

// application/x-www-form-urlencoded encoding of one value (the WHATWG form serializer).
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
