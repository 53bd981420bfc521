// Strict parsing of what the provider's endpoints answer (RFC 6749 §5.1 success, §5.2 error).
// `readProviderJson` turns any answer into a JSON object or a typed error: an RFC 6749 §5.2 `error`
// string, or ArcGIS's `{"error": {"code", "message"}}` object, which ArcGIS may send with HTTP 200, so
// the status alone never means success. A provider failing or busy (HTTP 5xx, 429 or 408 whatever its
// body, `server_error` or `temporarily_unavailable`, ArcGIS's code 500 or more, 429 or 408) has refused
// nothing: that is an OAuthProtocolError (502), so an outage never reads as "this grant is gone, sign
// the user out".
// `parseTokenResponse` then requires a usable access token:
// printable, Bearer (RFC 6749 §7.1; ArcGIS omits token_type), `expires_in` a number of seconds (at
// most 10 years is believed), and keeps the ArcGIS extras `refresh_token_expires_in` and `username`.
// Pitfall prevented: trusting a 200 blindly (ArcGIS errors), or storing `undefined` as a token.
// Returns OAuthResult: OAuthTokenError when the provider said no, OAuthProtocolError for anything else.
import { cleanProviderText, OAuthProtocolError, OAuthTokenError, type OAuthResult } from "./errors.ts";
import type { HttpResponseText } from "./http-client.ts";

/** What the app keeps in its server-side session. Never send any of it to the browser. */
export interface OAuthTokens {
  accessToken: string;
  tokenType: "Bearer";
  /** null: the provider did not say (RFC 6749 §5.1 `expires_in` is only RECOMMENDED). */
  expiresAtMs: number | null;
  refreshToken: string | null;
  refreshTokenExpiresAtMs: number | null;
  scope: string | null;
  /** Set when the provider names the user in the token response (ArcGIS). */
  username: string | null;
}

// Printable ASCII without spaces, bounded: a token goes into an Authorization header later, so a
// CR/LF or a megabyte of junk from a broken provider must not get that far.
const tokenRegExp = /^[\x21-\x7e]{1,8192}$/;

// RFC 6749 §4.1.2.1 defines these two for the authorization endpoint; a token or revocation endpoint
// that sends them is saying the same: it failed, try again later.
const providerFailureCodes = new Set(["server_error", "temporarily_unavailable"]);

// An HTTP status (or ArcGIS's `code`, which is one) that says "failing or busy, try again later": a
// 5xx, 429 (too many requests, RFC 6585 §4) or 408 (it gave up waiting). RFC 6749 §5.2 refusals come
// with 400 or 401.
function isProviderFailureStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

export function readProviderJson(response: HttpResponseText, endpoint: string): OAuthResult<Record<string, unknown>> {
  const ok2xx = response.status >= 200 && response.status < 300;
  // Whatever the body says (503 {"error":"temporarily_unavailable"}, RFC 7009 §2.2.1's 503).
  if (isProviderFailureStatus(response.status)) {
    return fail(new OAuthProtocolError("http_status", `${endpoint} answered HTTP ${response.status}`));
  }
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    const code = ok2xx ? "not_json" : "http_status";
    return { ok: false, error: new OAuthProtocolError(code, `${endpoint} answered HTTP ${response.status} without JSON`) };
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return fail(new OAuthProtocolError("malformed_response", `${endpoint} answered JSON that is not an object`));
  }
  const record = body as Record<string, unknown>;
  const error = record.error;
  let refusal: { code: string; description: string | null; failed: boolean } | null = null;
  if (typeof error === "string") {
    const code = cleanProviderText(error) ?? "unknown";
    refusal = { code, description: cleanProviderText(record.error_description), failed: providerFailureCodes.has(code) };
  } else if (typeof error === "object" && error !== null) {
    // ArcGIS: {"error": {"code": 400, "error": "invalid_request", "message": "...", "details": []}}; its
    // `code` is an HTTP status, and 500 or more is the portal failing (sent with HTTP 200 all the same).
    const arcgis = error as Record<string, unknown>;
    const code = typeof arcgis.error === "string" ? arcgis.error : typeof arcgis.code === "number" ? String(arcgis.code) : "unknown";
    const cleanCode = cleanProviderText(code) ?? "unknown";
    const description = cleanProviderText(arcgis.error_description) ?? cleanProviderText(arcgis.message);
    const failed = (typeof arcgis.code === "number" && isProviderFailureStatus(arcgis.code)) || providerFailureCodes.has(cleanCode);
    refusal = { code: cleanCode, description, failed };
  }
  if (refusal?.failed) {
    return fail(new OAuthProtocolError("provider_failure", `${endpoint} reported a failure of its own: ${refusal.code}`));
  }
  if (refusal) return fail(new OAuthTokenError(endpoint, refusal.code, refusal.description));
  if (!ok2xx) return fail(new OAuthProtocolError("http_status", `${endpoint} answered HTTP ${response.status}`));
  return { ok: true, value: record };
}

export function parseTokenResponse(
  response: HttpResponseText,
  options: { dialect: "standard" | "arcgis"; now?: () => number },
): OAuthResult<OAuthTokens> {
  const json = readProviderJson(response, "token");
  if (!json.ok) return json;
  const body = json.value;
  const now = (options.now ?? Date.now)();
  const malformed = (what: string) => fail(new OAuthProtocolError("malformed_response", `token response ${what}`));

  if (typeof body.access_token !== "string" || !tokenRegExp.test(body.access_token)) {
    return malformed("has no usable access_token");
  }
  if (body.token_type === undefined) {
    if (options.dialect !== "arcgis") return malformed("has no token_type (RFC 6749 §5.1)");
  } else if (typeof body.token_type !== "string" || body.token_type.toLowerCase() !== "bearer") {
    return malformed("has a token_type other than Bearer");
  }
  const expiresIn = seconds(body.expires_in);
  if (expiresIn === "invalid") return malformed("has an expires_in that is not a number of seconds");
  const refreshExpiresIn = seconds(body.refresh_token_expires_in);
  if (refreshExpiresIn === "invalid") return malformed("has an invalid refresh_token_expires_in");
  const refreshToken = body.refresh_token ?? null;
  if (refreshToken !== null && (typeof refreshToken !== "string" || !tokenRegExp.test(refreshToken))) {
    return malformed("has an unusable refresh_token");
  }
  if (body.scope !== undefined && typeof body.scope !== "string") return malformed("has a scope that is not a string");
  if (body.username !== undefined && (typeof body.username !== "string" || body.username.trim() === "")) {
    return malformed("has an invalid username");
  }
  return {
    ok: true,
    value: {
      accessToken: body.access_token,
      tokenType: "Bearer",
      expiresAtMs: expiresIn === null ? null : now + expiresIn * 1000,
      refreshToken,
      refreshTokenExpiresAtMs: refreshExpiresIn === null ? null : now + refreshExpiresIn * 1000,
      scope: body.scope ?? null,
      username: body.username ?? null,
    },
  };
}

// A lifetime is capped: `expires_in: 1e306` would make the expiry Infinity (stored as JSON null,
// "unknown") or a time past year 275760 that `new Date(ms).toISOString()` throws on. Refreshing a
// "10-year" token after 10 years changes nothing for anyone.
const maxLifetimeSeconds = 10 * 365 * 24 * 3600;

function seconds(value: unknown): number | null | "invalid" {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return "invalid";
  return Math.min(value, maxLifetimeSeconds);
}

function fail(error: OAuthProtocolError | OAuthTokenError): { ok: false; error: OAuthProtocolError | OAuthTokenError } {
  return { ok: false, error };
}
