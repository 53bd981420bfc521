// OAuth settings from `config.json` (the ArcGIS tutorial's file: CLIENT_ID, REDIRECT_URI, ... plus
// PROVIDER and endpoint keys) and environment variables, which win over the file (so a deployment can
// override a checked-in file). PROVIDER: local (default) | arcgis | custom.
// Pitfall prevented: a missing or mistyped setting surfacing as a confusing provider error page on the
// first sign-in. Instead start-up stops with a TypeError naming the key and how to fix it. Values are
// never echoed for CLIENT_SECRET.
import fs from "node:fs";
import path from "node:path";
import {
  arcgisOnlinePortalUrl,
  arcgisPortalUrlProblem,
  arcgisProvider,
  customProvider,
  endpointUrlProblem,
  issuerUrlProblem,
  localProvider,
  type OAuthProvider,
} from "./providers.ts";

export type OAuthSettings =
  | { provider: "local"; clientId: string; clientSecret: string | null; redirectUri: string | null }
  | { provider: "arcgis"; clientId: string; clientSecret: string | null; redirectUri: string; portalUrl: string }
  | {
      provider: "custom";
      clientId: string;
      clientSecret: string | null;
      tokenEndpointAuthMethod: "client_secret_basic" | "client_secret_post";
      redirectUri: string;
      authorizationEndpoint: string;
      tokenEndpoint: string;
      revocationEndpoint: string | null;
      userinfoEndpoint: string | null;
      scope: string;
      issuer: string | null;
    };

export const localDemoClientId = "local-demo-app";
const where = "set it in config.json or as an environment variable";

/** config.json in `folder` (absent: {}) overlaid with `env`; empty values count as unset. */
export function readConfigValues(options: {
  env: Record<string, string | undefined>;
  folder?: string;
}): Record<string, string> {
  const values: Record<string, string> = Object.create(null);
  if (options.folder !== undefined) Object.assign(values, readConfigFile(path.join(options.folder, "config.json")));
  for (const [key, value] of Object.entries(options.env)) {
    if (value !== undefined && value.trim() !== "") values[key] = value.trim();
  }
  return values;
}

function readConfigFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new TypeError(`config file "${file}" cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TypeError(`config file "${file}" is invalid: must be JSON like {"CLIENT_ID": "...", "REDIRECT_URI": "..."}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new TypeError(`config file "${file}" is invalid: must be one JSON object of "KEY": "value" pairs`);
  }
  const values: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== "string") throw new TypeError(`setting "${key}" in "${file}" is invalid: must be a string in quotes`);
    if (value.trim() !== "") values[key] = value.trim();
  }
  return values;
}

export function oauthSettingsFrom(values: Record<string, string | undefined>): OAuthSettings {
  const provider = values.PROVIDER ?? "local";
  const clientSecret = values.CLIENT_SECRET ?? null;
  if (provider === "local") {
    const clientId = values.CLIENT_ID ?? localDemoClientId;
    return { provider, clientId, clientSecret, redirectUri: optionalUrl(values, "REDIRECT_URI") };
  }
  if (provider === "arcgis") {
    const clientId = required(values, "CLIENT_ID", 'the "Client ID" of your app at https://developers.arcgis.com/applications');
    const redirectHint = "e.g. http://localhost:3000/authenticate, registered with your ArcGIS app";
    const redirectUri = requiredUrl(values, "REDIRECT_URI", redirectHint);
    const portal = values.ARCGIS_PORTAL_URL;
    const portalUrl = portal === undefined ? arcgisOnlinePortalUrl : checkUrl("ARCGIS_PORTAL_URL", portal, arcgisPortalUrlProblem);
    return { provider, clientId, clientSecret, redirectUri, portalUrl };
  }
  if (provider === "custom") {
    const method = values.TOKEN_ENDPOINT_AUTH_METHOD ?? "client_secret_basic";
    if (method !== "client_secret_basic" && method !== "client_secret_post") {
      throw new TypeError(
        `setting "TOKEN_ENDPOINT_AUTH_METHOD" is invalid: must be "client_secret_basic" or "client_secret_post", got "${method}"`,
      );
    }
    const discovery = "from your provider's documentation or its /.well-known/openid-configuration";
    return {
      provider,
      clientId: required(values, "CLIENT_ID", "the client ID your provider registered for this app"),
      clientSecret,
      tokenEndpointAuthMethod: method,
      redirectUri: requiredUrl(values, "REDIRECT_URI", "this app's callback URL, registered with your provider"),
      authorizationEndpoint: requiredUrl(values, "AUTHORIZATION_ENDPOINT", discovery),
      tokenEndpoint: requiredUrl(values, "TOKEN_ENDPOINT", discovery),
      revocationEndpoint: optionalUrl(values, "REVOCATION_ENDPOINT"),
      userinfoEndpoint: optionalUrl(values, "USERINFO_ENDPOINT"),
      scope: values.SCOPE ?? "",
      // Compared with `iss` in every callback (RFC 9207): a typo must stop start-up, not every sign-in.
      issuer: values.ISSUER === undefined ? null : checkUrl("ISSUER", values.ISSUER, issuerUrlProblem),
    };
  }
  throw new TypeError(`setting "PROVIDER" is invalid: must be "local", "arcgis" or "custom", got "${provider}"`);
}

/** The provider for these settings. `local` needs where the bundled provider and the app listen. */
export function providerFromSettings(
  settings: OAuthSettings,
  runtime: { localProviderUrl?: string; redirectUri?: string } = {},
): OAuthProvider {
  if (settings.provider === "arcgis") return arcgisProvider(settings);
  if (settings.provider === "custom") return customProvider(settings);
  const redirectUri = settings.redirectUri ?? runtime.redirectUri;
  if (runtime.localProviderUrl === undefined || redirectUri === undefined) {
    throw new TypeError('oauth "local" provider needs runtime.localProviderUrl and a redirect URI: start the local provider first');
  }
  const { clientId, clientSecret } = settings;
  return localProvider({ baseUrl: runtime.localProviderUrl, clientId, clientSecret, redirectUri });
}

function required(values: Record<string, string | undefined>, key: string, hint: string): string {
  const value = values[key];
  if (value === undefined) throw new TypeError(`setting "${key}" is missing: ${where} (${hint})`);
  return value;
}

function requiredUrl(values: Record<string, string | undefined>, key: string, hint: string): string {
  return checkUrl(key, required(values, key, hint));
}

function optionalUrl(values: Record<string, string | undefined>, key: string): string | null {
  const value = values[key];
  return value === undefined ? null : checkUrl(key, value);
}

function checkUrl(key: string, value: string, problemOf = endpointUrlProblem): string {
  const problem = problemOf(value);
  if (problem) throw new TypeError(`setting "${key}" is invalid: ${problem}`);
  return value;
}
