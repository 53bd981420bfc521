// Step 09's settings and start-up. Settings: DATA_DIR/config.json with the tutorial's keys (CLIENT_ID,
// REDIRECT_URI, SESSION_SECRET, ...), overridden by environment variables; a missing or invalid one
// stops start-up with a TypeError naming it. Start-up: with PROVIDER=local (the default) the bundled
// demo provider starts first, on its own port (LOCAL_PROVIDER_PORT, default PORT + 1), then the app.
// Our redirect URI contains our port, so it is registered with the provider, as an exact string
// (RFC 9700 §4.1.3), once the app listens.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readIntegerSetting } from "../../src/config/integer-setting.ts";
import { closeGracefully, listen } from "../../src/http/listen.ts";
import { oauthSettingsFrom, readConfigValues } from "../../src/oauth/config.ts";
import type { FetchFunction } from "../../src/oauth/http-client.ts";
import { createLocalProvider } from "../../src/oauth/local-provider/create-local-provider.ts";
import type { RunningStep } from "../run.ts";
import type { StepOptions } from "../step-options.ts";

export const callbackPath = "/authenticate"; // The path of REDIRECT_URI, as in the tutorial.

/** What start() and tests add to every step's options. */
export interface OAuthStepOptions extends StepOptions {
  /** PROVIDER=local: where the bundled provider listens. start() starts it and fills this in. */
  localProviderUrl?: string;
  /** Requests to the provider: tests inject a recording or failing fetch, and a short timeout. */
  fetch?: FetchFunction;
  providerTimeoutMs?: number;
}

/** config.json in the data folder, overridden by the environment, and the OAuth settings in it. */
export function readSettings(options: StepOptions) {
  const config = readConfigValues({ env: options.env, folder: options.dataDir });
  const oauthSettings = oauthSettingsFrom(config);
  if (oauthSettings.redirectUri !== null && new URL(oauthSettings.redirectUri).pathname !== callbackPath) {
    throw new TypeError(`setting "REDIRECT_URI" is invalid: its path must be ${callbackPath}, this app's callback, got "${oauthSettings.redirectUri}"`);
  }
  return { config, oauthSettings };
}

/** http://host:port of a listening server; a wildcard address becomes localhost, which browsers can open. */
export function ownUrl(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  const host = address === "0.0.0.0" || address === "::" ? "localhost" : address.includes(":") ? `[${address}]` : address;
  return `http://${host}:${port}`;
}

/** Starts the app that `createServer` builds, after the bundled provider when PROVIDER=local. */
export async function startWithLocalProvider(
  createServer: (options: OAuthStepOptions) => Promise<Server>,
  options: OAuthStepOptions & { port: number; host: string },
): Promise<RunningStep> {
  const { config, oauthSettings } = readSettings(options);
  if (oauthSettings.provider !== "local") {
    const server = await createServer(options);
    const url = await listen(server, options);
    return { lines: [`Listening on ${url}`, ...redirectHint(url, oauthSettings.redirectUri)], close: () => closeGracefully(server) };
  }
  const { clientId, clientSecret } = oauthSettings;
  const provider = createLocalProvider({
    clients: [{ clientId, redirectUris: [], ...(clientSecret === null ? {} : { clientSecret }) }],
    now: options.now,
    log: options.log,
  });
  const providerPort = readIntegerSetting("LOCAL_PROVIDER_PORT", config.LOCAL_PROVIDER_PORT, {
    defaultValue: options.port === 0 || options.port === 65535 ? 0 : options.port + 1, min: 0, max: 65535,
  });
  await listen(provider.server, { port: providerPort, host: options.host });
  const servers: Server[] = [provider.server];
  const close = async () => void (await Promise.all(servers.map((server) => closeGracefully(server))));
  try {
    const server = await createServer({ ...options, localProviderUrl: provider.issuer() });
    servers.push(server);
    const url = await listen(server, options);
    provider.registerRedirectUri(clientId, oauthSettings.redirectUri ?? ownUrl(server) + callbackPath);
    const providerLine = `Local OAuth provider (a demo: no passwords) on ${provider.issuer()}`;
    return { lines: [`Listening on ${url}`, providerLine, ...redirectHint(url, oauthSettings.redirectUri)], close };
  } catch (error) {
    await close();
    throw error;
  }
}

// The provider sends the browser back to REDIRECT_URI, and the cookie that carries the sign-in's state
// belongs to that host: a sign-in started at http://127.0.0.1:3000 and finished at
// http://localhost:3000 finds no sign-in in progress. Say so at start-up, not after a failed sign-in.
function redirectHint(url: string, redirectUri: string | null): string[] {
  if (redirectUri === null) return [];
  const redirectOrigin = new URL(redirectUri).origin;
  if (redirectOrigin === new URL(url).origin) return [];
  return [`Open ${redirectOrigin}/ to sign in: the provider sends browsers back to REDIRECT_URI, and the sign-in cookie belongs to that address`];
}
