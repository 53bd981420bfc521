// Who signed in: the username from the token response where the provider puts it there (ArcGIS
// `username`), else from the userinfo endpoint (OpenID Connect Core §5.3: GET with
// `Authorization: Bearer`, RFC 6750 §2.1), taking `preferred_username`, else `name`, else `sub`.
// `subject` is the stable identifier to key local data on (`sub` when given): a display name can
// change or be reused by someone else, a subject cannot (OIDC Core §5.7).
// Pitfall prevented: provider-chosen text is only data here (the app escapes it when rendering),
// and a control character or a 10 kB "name" is refused rather than stored.
// Returns OAuthResult<OAuthUser>; a provider that never says who signed in → OAuthProtocolError.
import { OAuthProtocolError, type OAuthResult } from "./errors.ts";
import { sendOAuthRequest, type HttpClientOptions } from "./http-client.ts";
import type { OAuthProvider } from "./providers.ts";
import type { OAuthHttpRequest } from "./token-request.ts";
import { readProviderJson, type OAuthTokens } from "./token-response.ts";

export interface OAuthUser {
  username: string;
  subject: string;
}

const maxNameLength = 256;

/** username: preferred_username, else name, else sub; subject: sub, else the username. Null if none usable. */
export function userFromClaims(claims: Record<string, unknown>): OAuthUser | null {
  const username = cleanName(claims.preferred_username) ?? cleanName(claims.name) ?? cleanName(claims.sub);
  if (username === null) return null;
  return { username, subject: cleanName(claims.sub) ?? username };
}

export function buildUserinfoRequest(provider: OAuthProvider, accessToken: string): OAuthHttpRequest | null {
  if (provider.userinfoEndpoint === null) return null;
  return {
    url: provider.userinfoEndpoint,
    method: "GET",
    headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" },
    body: null,
  };
}

export async function fetchUser(
  provider: OAuthProvider,
  tokens: OAuthTokens,
  options: HttpClientOptions = {},
): Promise<OAuthResult<OAuthUser>> {
  const fromToken = cleanName(tokens.username);
  if (fromToken !== null) return { ok: true, value: { username: fromToken, subject: fromToken } };
  const request = buildUserinfoRequest(provider, tokens.accessToken);
  if (request === null) {
    const detail = "the token response has no username and no userinfo endpoint is configured (set USERINFO_ENDPOINT)";
    return { ok: false, error: new OAuthProtocolError("malformed_response", detail) };
  }
  const sent = await sendOAuthRequest(request, options);
  if (!sent.ok) return sent;
  const json = readProviderJson(sent.value, "userinfo");
  if (!json.ok) return json;
  const user = userFromClaims(json.value);
  if (user === null) {
    return { ok: false, error: new OAuthProtocolError("malformed_response", "userinfo has no preferred_username, name or sub") };
  }
  return { ok: true, value: user };
}

function cleanName(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const name = value.normalize("NFC").trim();
  if (name === "" || name.length > maxNameLength || /[\u0000-\u001f\u007f-\u009f]/.test(name)) return null;
  return name;
}
