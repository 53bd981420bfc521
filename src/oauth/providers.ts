// Provider presets: everything the client needs to know about one OAuth 2.0 provider, as plain data.
// `arcgis` (ArcGIS Online / Enterprise portals), `local` (the bundled demo provider) and `custom` (any
// standard OAuth 2.0 / OpenID Connect provider, every endpoint given).
// Spec: RFC 6749 §3.1–3.2 (endpoints over TLS, no fragment), §3.1.2 (absolute redirect URI).
// Pitfall prevented: a typo'd or plain-http endpoint would send codes and secrets in clear text; it
// fails at start-up with a TypeError naming the option, never per request.
//
// ArcGIS facts used here, from the ArcGIS REST API reference (developers.arcgis.com/rest/users-groups-and-items/):
// - authorize.htm: GET https://www.arcgis.com/sharing/rest/oauth2/authorize; client_id, response_type,
//   redirect_uri required; PKCE code_challenge/code_challenge_method supported since March 2022;
//   `expiration` (minutes) sets the refresh token's lifetime in the authorization code flow
//   (Esri's own client, arcgis-rest-js `ArcGISIdentityManager.authorize`, defaults it to 20160 = 2 weeks).
// - token.htm: …/oauth2/token; grant_type authorization_code (client_id, code, redirect_uri, code_verifier),
//   refresh_token (client_id, refresh_token: a new access token only), exchange_refresh_token
//   (client_id, redirect_uri, refresh_token: a new access AND refresh token, the old one invalidated).
//   The response has access_token, expires_in, username, ssl, refresh_token, refresh_token_expires_in
//   and no token_type; errors may come as HTTP 200 with {"error": {"code", "message"}}.
// - revoke-token.htm: POST …/oauth2/revokeToken with auth_token, token_type_hint, client_id (not RFC 7009's `token`).

export type ProviderKind = "arcgis" | "local" | "custom";
export type TokenEndpointAuthMethod = "client_secret_basic" | "client_secret_post";

export interface OAuthProvider {
  kind: ProviderKind;
  displayName: string;
  clientId: string;
  /** Omit for a public client (PKCE only). */
  clientSecret: string | null;
  /** How the secret travels (RFC 6749 §2.3.1); ignored without a secret. */
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  redirectUri: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint: string | null;
  userinfoEndpoint: string | null;
  /** Space-separated (RFC 6749 §3.3); "" sends no scope. */
  scope: string;
  /** The provider's issuer identifier: checked against `iss` in the callback (RFC 9207). */
  issuer: string | null;
  /** The provider always sends `iss` (RFC 9207 §3 `authorization_response_iss_parameter_supported`). */
  issuerInCallback: boolean;
  /** Extra authorization request parameters (ArcGIS: `expiration`). */
  authorizationParams: Readonly<Record<string, string>>;
  /** "arcgis" switches on ArcGIS's grant, revocation and error conventions (see the header). */
  dialect: "standard" | "arcgis";
}

export const arcgisOnlinePortalUrl = "https://www.arcgis.com/sharing/rest";
const arcgisDefaultExpirationMinutes = 20160; // 2 weeks: the refresh token's lifetime, as Esri's client asks

export function arcgisProvider(options: {
  clientId: string;
  clientSecret?: string | null;
  redirectUri: string;
  /** ArcGIS Enterprise: "https://gis.example.com/portal/sharing/rest". */
  portalUrl?: string;
  expirationMinutes?: number;
}): OAuthProvider {
  const portalUrl = checkedUrl("portalUrl", options.portalUrl ?? arcgisOnlinePortalUrl, arcgisPortalUrlProblem).replace(/\/+$/, "");
  const expiration = options.expirationMinutes ?? arcgisDefaultExpirationMinutes;
  if (!Number.isInteger(expiration) || expiration < 1) {
    throw new TypeError('arcgis "expirationMinutes" is invalid: must be a whole number of minutes above 0');
  }
  return {
    kind: "arcgis",
    displayName: "ArcGIS",
    ...clientFields(options),
    tokenEndpointAuthMethod: "client_secret_post", // ArcGIS reads client_secret from the form body
    authorizationEndpoint: `${portalUrl}/oauth2/authorize`,
    tokenEndpoint: `${portalUrl}/oauth2/token`,
    revocationEndpoint: `${portalUrl}/oauth2/revokeToken`,
    userinfoEndpoint: null, // the username comes in the token response
    scope: "", // ArcGIS has no scopes for user sign-in
    issuer: null, // ArcGIS does not send `iss` (RFC 9207)
    issuerInCallback: false,
    authorizationParams: { expiration: String(expiration) },
    dialect: "arcgis",
  };
}

/** The bundled demo provider at `baseUrl` (see ./local-provider/). It always sends `iss`. */
export function localProvider(options: {
  baseUrl: string;
  clientId: string;
  clientSecret?: string | null;
  redirectUri: string;
  scope?: string;
}): OAuthProvider {
  const baseUrl = checkedUrl("baseUrl", options.baseUrl).replace(/\/+$/, "");
  return {
    kind: "local",
    displayName: "the local demo provider",
    ...clientFields(options),
    tokenEndpointAuthMethod: "client_secret_basic",
    authorizationEndpoint: `${baseUrl}/authorize`,
    tokenEndpoint: `${baseUrl}/token`,
    revocationEndpoint: `${baseUrl}/revoke`,
    userinfoEndpoint: `${baseUrl}/userinfo`,
    scope: options.scope ?? "profile",
    issuer: baseUrl,
    issuerInCallback: true,
    authorizationParams: {},
    dialect: "standard",
  };
}

export function customProvider(options: {
  displayName?: string;
  clientId: string;
  clientSecret?: string | null;
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod;
  redirectUri: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  revocationEndpoint?: string | null;
  userinfoEndpoint?: string | null;
  scope?: string;
  issuer?: string | null;
}): OAuthProvider {
  const optional = (name: string, value: string | null | undefined) => (value ? checkedUrl(name, value) : null);
  return {
    kind: "custom",
    displayName: options.displayName ?? "your provider",
    ...clientFields(options),
    // client_secret_basic: the method every server MUST support (RFC 6749 §2.3.1).
    tokenEndpointAuthMethod: options.tokenEndpointAuthMethod ?? "client_secret_basic",
    authorizationEndpoint: checkedUrl("authorizationEndpoint", options.authorizationEndpoint),
    tokenEndpoint: checkedUrl("tokenEndpoint", options.tokenEndpoint),
    revocationEndpoint: optional("revocationEndpoint", options.revocationEndpoint),
    userinfoEndpoint: optional("userinfoEndpoint", options.userinfoEndpoint),
    scope: options.scope?.trim() ?? "",
    issuer: options.issuer ? checkedUrl("issuer", options.issuer, issuerUrlProblem) : null,
    issuerInCallback: false, // unknown without discovery: `iss` is checked when it is sent
    authorizationParams: {},
    dialect: "standard",
  };
}

function clientFields(options: { clientId: string; clientSecret?: string | null; redirectUri: string }) {
  if (typeof options.clientId !== "string" || options.clientId.trim() === "") {
    throw new TypeError('oauth "clientId" is invalid: must be the client ID your provider registered for this app');
  }
  return {
    clientId: options.clientId.trim(),
    clientSecret: options.clientSecret || null,
    redirectUri: checkedUrl("redirectUri", options.redirectUri),
  };
}

function checkedUrl(name: string, value: string, problemOf = endpointUrlProblem): string {
  const problem = problemOf(value);
  if (problem) throw new TypeError(`oauth "${name}" is invalid: ${problem}`);
  return value;
}

/** Why `value` cannot be an ArcGIS portal's REST root (the endpoints are appended to it), or null. */
export function arcgisPortalUrlProblem(value: unknown): string | null {
  const problem = endpointUrlProblem(value);
  if (problem) return problem;
  if (!(value as string).includes("?") && /\/sharing\/rest\/*$/i.test(new URL(value as string).pathname)) return null;
  const example = "https://gis.example.com/portal/sharing/rest";
  return `must be the portal's REST root, ending in /sharing/rest (e.g. "${example}"), got "${value as string}"`;
}

/** Why `value` cannot be an issuer identifier (RFC 8414 §2: an endpoint-like URL without a query), or null. */
export function issuerUrlProblem(value: unknown): string | null {
  const problem = endpointUrlProblem(value);
  if (problem || !(value as string).includes("?")) return problem;
  return `must not contain a query "?..." (RFC 8414 §2, RFC 9207 §2), got "${value as string}"`;
}

/**
 * Why `value` cannot be an OAuth endpoint or redirect URI, or null when it can: an absolute https URL
 * (http only for localhost, RFC 8252 §7.3), no fragment (RFC 6749 §3.1, §3.1.2), no user:password.
 */
export function endpointUrlProblem(value: unknown): string | null {
  if (typeof value !== "string" || !URL.canParse(value)) {
    return `must be an absolute URL such as "https://example.com/oauth2/token", got ${JSON.stringify(value)}`;
  }
  const url = new URL(value);
  // First, and without the value: the messages below quote it, and this one would quote a password.
  if (url.username !== "" || url.password !== "") return "must not contain a user name or password";
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    return `must use https:// (http:// only for localhost) so codes and tokens are not sent in clear text (RFC 6749 §3.1), got "${value}"`;
  }
  if (url.hash !== "" || value.includes("#")) return `must not contain a fragment "#..." (RFC 6749 §3.1.2), got "${value}"`;
  return null;
}
