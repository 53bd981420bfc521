// Step 09: sign in with OAuth 2.0: step 07's login system plus "Sign in with <provider>". GET /sign-in
// sends the browser to the provider with a fresh state and PKCE challenge kept in the session (R22);
// GET /authenticate checks the answer, swaps the code for tokens and starts a new session (R05) that
// keeps the tokens server-side, sealed, for the tutorial's 30 days (R24); GET / refreshes the access
// token before it expires; POST /sign-out revokes the grant at the provider, then ends the session
// (R25). PROVIDER=local (the default) runs a bundled demo provider next to the app: start(), below.
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LoginResult, verifyLogin } from "../../src/auth/login.ts";
import { LoginThrottle } from "../../src/auth/login-throttle.ts";
import { requireLogin } from "../../src/auth/require-login.ts";
import { safeReturnTo } from "../../src/auth/safe-return-to.ts";
import { readIntegerSetting } from "../../src/config/integer-setting.ts";
import { readScryptParamsSetting } from "../../src/config/scrypt-setting.ts";
import { loadOrCreateSecret, resolveSecrets } from "../../src/config/secret-file.ts";
import { readTrustProxySetting } from "../../src/config/trust-proxy.ts";
import { checkNewPassword, hashPassword } from "../../src/crypto/password.ts";
import { createSealer } from "../../src/crypto/seal.ts";
import { createCsrfToken, csrfTokensMatch } from "../../src/csrf/csrf-token.ts";
import { checkRequestOrigin } from "../../src/csrf/fetch-metadata.ts";
import { readForm } from "../../src/http/body.ts";
import { clientAddress } from "../../src/http/client-address.ts";
import { dispatch, type RouteHandler } from "../../src/http/dispatch.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import type { SafeHtml } from "../../src/http/html.ts";
import { HttpError } from "../../src/http/http-error.ts";
import { closeGracefully, listen } from "../../src/http/listen.ts";
import { requestIsHttps, requestOrigin } from "../../src/http/request-origin.ts";
import { redirect, sendHtml, sendText } from "../../src/http/respond.ts";
import { Router } from "../../src/http/router.ts";
import { serveStaticFile } from "../../src/http/static-file.ts";
import type { PendingAuthorization } from "../../src/oauth/authorization-request.ts";
import { createOAuthClient, type OAuthClient } from "../../src/oauth/client.ts";
import { oauthSettingsFrom, providerFromSettings, readConfigValues } from "../../src/oauth/config.ts";
import { OAuthTokenError } from "../../src/oauth/errors.ts";
import type { FetchFunction } from "../../src/oauth/http-client.ts";
import { createLocalProvider } from "../../src/oauth/local-provider/create-local-provider.ts";
import type { OAuthTokens } from "../../src/oauth/token-response.ts";
import { FileStore } from "../../src/session/file-store.ts";
import { createSessionManager, type Session } from "../../src/session/manager.ts";
import { UserStore } from "../../src/users/user-store.ts";
import { validateUsername } from "../../src/users/username.ts";
import type { RunningStep } from "../run.ts";
import type { StepOptions } from "../step-options.ts";
import { homePage, passwordPage, registerPage } from "../07-forms/pages.ts";
import { loginPage, providerHomePage, signInFailedPage } from "./pages.ts";

// Config: the tutorial's session lifetime, and where the provider sends the browser back to.
const sessionLifetimeSeconds = 30 * 24 * 60 * 60; // The tutorial's 30 days: one sign-in a month.
const callbackPath = "/authenticate"; // The path of REDIRECT_URI, as in the tutorial.
const publicDir = fileURLToPath(new URL("../07-forms/public/", import.meta.url)); // step 07's style.css
const stylesheetMaxAgeSeconds = 60 * 60; // Browsers reuse it for an hour, then revalidate (ETag).
const forbidden = "Forbidden: this form came from another site, or has expired. Reload the page and try again.";
const passwordsDiffer = "The passwords do not match.";
const wrongPassword = "Your current password is incorrect.";
const reservedPrefix = "oauth:"; // User IDs of provider sign-ins start with it; no password account may.
const noReferrer = { "Referrer-Policy": "no-referrer" }; // The callback URL holds a code: never pass it on.

/** Who signed in at the provider, and its tokens: only ever in the sealed session file (R24). */
interface ProviderSession {
  providerName: string;
  username: string;
  subject: string;
  signedInAtMs: number;
  refreshCount: number;
  tokens: OAuthTokens;
}
/** Besides the user: the CSRF token, a notice to show once, a sign-in in progress, a provider sign-in. */
type SessionData = {
  csrfToken?: string;
  notice?: string;
  signIn?: { pending: PendingAuthorization; returnTo: string };
  provider?: ProviderSession;
};
/** What a route decided, sent once its session has been saved. */
type Reply = { redirect: string; headers?: Record<string, string> } | { status: number; page: SafeHtml; headers?: Record<string, string> };
type Context = { req: IncomingMessage; session: Session<SessionData>; form: Record<string, string> };

/** What start() and tests add to every step's options. */
export interface OAuthStepOptions extends StepOptions {
  /** PROVIDER=local: where the bundled provider listens. start() starts it and fills this in. */
  localProviderUrl?: string;
  /** Requests to the provider: tests inject a recording or failing fetch, and a short timeout. */
  fetch?: FetchFunction;
  providerTimeoutMs?: number;
}

export async function createServer(options: OAuthStepOptions): Promise<Server> {
  // DATA_DIR/config.json with the tutorial's keys (CLIENT_ID, REDIRECT_URI, SESSION_SECRET, ...),
  // overridden by environment variables. A missing or invalid key stops start-up, named.
  const { config, oauthSettings } = readSettings(options);
  if (oauthSettings.provider === "local" && options.localProviderUrl === undefined) {
    throw new TypeError('setting "PROVIDER" is "local" but the bundled provider is not running: start this step with `npm run step -- 9`');
  }
  // SESSION_SECRET="new,old" rotates; unset, a random secret is generated once in the data folder.
  const secrets = resolveSecrets(config.SESSION_SECRET, options.dataDir, "session-secret", options.log);
  // ENCRYPTION_KEY="new,old" likewise: the first key seals, every key still opens older files.
  const encryptionKeys = resolveSecrets(
    config.ENCRYPTION_KEY, options.dataDir, "encryption-key", options.log, "ENCRYPTION_KEY",
  );
  // OWASP's scrypt cost (N=2^17) unless a test asks for cheap hashes (refused outside node --test).
  const scryptParams = readScryptParamsSetting(config.SCRYPT_PARAMS);
  // TRUST_PROXY=1 only behind your own reverse proxy: then its X-Forwarded-Proto/-For are believed.
  const trustProxy = readTrustProxySetting(config.TRUST_PROXY);
  const now = options.now ?? Date.now;

  // Building blocks: a store with one sealed file per session, and the manager that does the rest.
  const store = new FileStore({
    dir: join(options.dataDir, "sessions"),
    nameKey: loadOrCreateSecret(options.dataDir, "file-name-key", options.log), // Keys the file names.
    sealer: createSealer(encryptionKeys, { purpose: "session-files" }), // Keys derived once, here.
    now: options.now,
    log: options.log,
  });
  const sessions = createSessionManager<SessionData>({
    store,
    secrets,
    idleTimeoutSeconds: sessionLifetimeSeconds,
    absoluteTimeoutSeconds: sessionLifetimeSeconds,
    now: options.now,
    isSecureRequest: (req) => requestIsHttps(req, { trustProxy }), // HTTPS: `__Host-sid`, Secure (R03)
  });
  // The accounts, in one JSON file written atomically. A damaged file stops start-up right here.
  const users = await UserStore.open(join(options.dataDir, "users", "users.json"), { now: options.now });
  // After 5 failures in a row for a username or a client address: 429 with Retry-After (R17).
  const throttle = new LoginThrottle({ now: options.now });
  const checkPassword = (req: IncomingMessage, username: unknown, password: unknown) => verifyLogin(
    { users, throttle, scryptParams }, { username, password, clientAddress: clientAddress(req, { trustProxy }) },
  );
  // The OAuth client, made on first use: with the bundled provider our redirect URI names our own
  // port, known only once the server listens (PORT=0 lets the system pick one).
  let client: OAuthClient | undefined;
  const oauth = (): OAuthClient => (client ??= createOAuthClient(
    providerFromSettings(oauthSettings, { localProviderUrl: options.localProviderUrl, redirectUri: ownUrl(server) + callbackPath }),
    { now: options.now, fetch: options.fetch, timeoutMs: options.providerTimeoutMs },
  ));

  /** Runs a route in the request's session. A POST's form must carry the session's token (R19). */
  function handle(route: (context: Context) => Reply | Promise<Reply>): RouteHandler<void> {
    return async (req, res) => {
      const form = req.method === "POST" ? await readForm(req) : {}; // 415, 413 or 400 unless a small form
      const reply = await sessions.withSession(req, res, (session) => {
        if (req.method === "POST" && !csrfTokensMatch(session.data.csrfToken, form.csrf)) {
          throw new HttpError(403, forbidden); // compared in constant time
        }
        return route({ req, session, form });
      });
      if ("redirect" in reply) redirect(res, reply.redirect, 303, reply.headers);
      else sendHtml(res, reply.status, reply.page, reply.headers);
    };
  }

  /** The session's CSRF token, made on first use: so GET /login starts a pre-session. */
  const tokenOf = (session: Session<SessionData>) => (session.data.csrfToken ??= createCsrfToken());

  /** Revokes the session's provider grant, if any (R25). A failure is logged: the caller goes on. */
  async function revokeGrant(session: Session<SessionData>): Promise<void> {
    const result = await oauth().signOut(session.data.provider?.tokens);
    if (!result.ok) options.log?.(`The provider did not confirm revoking the tokens: ${result.error.message}`);
  }

  /** New ID, new token, nothing else kept: the pre-session is replaced, not upgraded (R05, R19). */
  async function logIn(session: Session<SessionData>, userId: string, notice?: string): Promise<void> {
    await revokeGrant(session); // A provider sign-in this replaces must not leave its tokens alive.
    session.regenerate({ restartLifetime: true }); // A sign-in is new proof of who this is: 30 days from now.
    session.userId = userId;
    session.data = { csrfToken: createCsrfToken() };
    if (notice !== undefined) session.data.notice = notice;
  }

  /** The home page of a provider sign-in, after refreshing its access token if it expires soon. */
  async function providerHome(session: Session<SessionData>, signedIn: ProviderSession): Promise<Reply> {
    // Inside this session's lock: two tabs never spend one rotating refresh token twice (R24).
    const fresh = await oauth().refreshIfNeeded(signedIn.tokens);
    if (!fresh.ok) {
      options.log?.(`Refreshing the access token failed: ${fresh.error.message}`);
      // Down or slow (502/504): still signed in, try again later. Refused: the grant is gone, so is this sign-in.
      if (!(fresh.error instanceof OAuthTokenError)) return { status: fresh.error.httpStatus, page: signInFailedPage(fresh.error.publicMessage) };
      session.regenerate();
      session.userId = null;
      session.data = { csrfToken: createCsrfToken(), notice: `Your sign-in with ${signedIn.providerName} has ended. Please sign in again.` };
      return { redirect: "/login" };
    }
    if (fresh.value.refreshed) {
      signedIn.tokens = fresh.value.tokens; // saved at once: a rotated refresh token replaces the old one
      signedIn.refreshCount += 1;
    }
    const { providerName, username, subject, signedInAtMs, refreshCount, tokens } = signedIn;
    const fields = { // Everything but the tokens themselves (R24).
      providerName, username, subject, signedInAtMs, refreshCount, accessTokenExpiresAtMs: tokens.expiresAtMs,
      hasRefreshToken: tokens.refreshToken !== null, refreshTokenExpiresAtMs: tokens.refreshTokenExpiresAtMs,
      scope: tokens.scope, sessionEndsAtMs: session.createdAtMs + sessionLifetimeSeconds * 1000,
    };
    return { status: 200, page: providerHomePage({ fields, csrfToken: tokenOf(session) }) };
  }

  /** Ends the session: revokes at the provider first, then destroys it whatever the provider said (R25). */
  const signOut: RouteHandler<void> = async (req, res) => {
    const { csrf } = await readForm(req);
    await sessions.withSession(req, res, async (session) => {
      // Without a session there is nothing to forge; with one, only our own page may end it.
      if (!session.isNew && !csrfTokensMatch(session.data.csrfToken, csrf)) throw new HttpError(403, forbidden);
      await revokeGrant(session);
      session.destroy(); // deleted from the store, cookie cleared (R06)
    });
    redirect(res, "/login");
  };

  // Routes: dispatch() answers 404 for unknown paths and 405 (with Allow) for other methods.
  const router = new Router<RouteHandler<void>>()
    .add("GET", "/", handle(requireLogin(async ({ session, userId }) => {
      if (session.data.provider) return providerHome(session, session.data.provider);
      const user = await users.update(userId, (current) => ({ views: current.views + 1 })); // once per request
      if (user === null) return { redirect: "/login" };
      const { notice } = session.data;
      delete session.data.notice;
      return { status: 200, page: homePage({ name: user.name, views: user.views, csrfToken: tokenOf(session), notice }) };
    })))
    .add("GET", "/static/:file", (req, res, { file = "" }) => serveStaticFile(req, res, {
      root: publicDir, urlPath: encodeURIComponent(file), maxAgeSeconds: stylesheetMaxAgeSeconds, // no "..": 404
    }))
    .add("GET", "/register", handle(({ session }) => ({ status: 200, page: registerPage({ csrfToken: tokenOf(session) }) })))
    .add("POST", "/register", handle(async ({ session, form }) => {
      const { username = "", password = "", confirm } = form;
      const page = (error: string) => registerPage({ csrfToken: tokenOf(session), username, error }); // no password
      const reserved = username.trim().toLowerCase().startsWith(reservedPrefix) ? `Names starting with "${reservedPrefix}" are reserved.` : null;
      const problem = validateUsername(username) ?? reserved ?? checkNewPassword(password) ??
        (confirm === password ? null : passwordsDiffer);
      if (problem !== null) return { status: 400, page: page(problem) };
      const passwordHash = await hashPassword(password, scryptParams);
      const created = await users.create({ name: username, passwordHash });
      if (!created.ok) return { status: 409, page: page("That username is taken.") };
      await logIn(session, created.user.name);
      return { redirect: "/" };
    }))
    .add("GET", "/login", handle(({ req, session }) => {
      const returnTo = safeReturnTo(queryOf(req).get("returnTo"));
      const { notice } = session.data;
      delete session.data.notice;
      const providerName = oauth().provider.displayName;
      return { status: 200, page: loginPage({ csrfToken: tokenOf(session), returnTo, providerName, notice }) };
    }))
    .add("POST", "/login", handle(async ({ req, session, form }) => {
      const { username = "", password, returnTo } = form;
      const result = await checkPassword(req, username, password);
      if (result.ok) {
        await logIn(session, result.user.name);
        return { redirect: safeReturnTo(returnTo) }; // only a path on this site (R21)
      }
      const error = result.message; // the same 401 and words for a wrong name and a wrong password (R15)
      const providerName = oauth().provider.displayName;
      const page = loginPage({ csrfToken: tokenOf(session), returnTo: safeReturnTo(returnTo), providerName, username, error });
      return { status: result.status, page, headers: retryAfter(result) }; // or 429 when throttled (R17)
    }))
    // A GET, like the tutorial's: it changes nothing but this browser's own sign-in in progress
    // (the chapter explains why that is safe, and why a POST form could not redirect to the provider).
    .add("GET", "/sign-in", handle(({ req, session }) => {
      const { url, pending } = oauth().startSignIn(); // a fresh state and PKCE verifier (R22)
      session.data.signIn = { pending, returnTo: safeReturnTo(queryOf(req).get("returnTo")) }; // kept server-side
      return { redirect: url };
    }))
    .add("GET", callbackPath, handle(async ({ req, session }) => {
      const signIn = session.data.signIn;
      delete session.data.signIn; // one callback per state, whatever happens next (R22)
      const result = await oauth().finishSignIn(queryOf(req), signIn?.pending);
      if (!result.ok) {
        options.log?.(`Sign-in failed: ${result.error.message}`); // codes and tokens are never in it
        return { status: result.error.httpStatus, page: signInFailedPage(result.error.publicMessage), headers: noReferrer };
      }
      const { tokens, user } = result.value;
      const providerName = oauth().provider.displayName;
      await logIn(session, `${reservedPrefix}${oauth().provider.kind}:${user.subject}`); // new session ID (R05)
      session.data.provider = { providerName, username: user.username, subject: user.subject, signedInAtMs: now(), refreshCount: 0, tokens };
      return { redirect: signIn?.returnTo ?? "/", headers: noReferrer };
    }))
    .add("GET", "/password", handle(requireLogin(({ session, userId }) => session.data.provider
      ? { redirect: "/" } // Provider sign-ins have no password here.
      : { status: 200, page: passwordPage({ name: userId, csrfToken: tokenOf(session) }) })))
    .add("POST", "/password", handle(requireLogin(async ({ req, session, form, userId }) => {
      if (session.data.provider) return { redirect: "/" };
      const { current, password = "", confirm } = form;
      const page = (status: number, error: string, headers?: Record<string, string>) =>
        ({ status, page: passwordPage({ name: userId, csrfToken: tokenOf(session), error }), headers });
      const problem = checkNewPassword(password) ?? (confirm === password ? null : passwordsDiffer);
      if (problem !== null) return page(400, problem);
      const check = await checkPassword(req, userId, current); // throttled too: no guessing through this form
      if (!check.ok) {
        return page(check.status, check.status === 429 ? check.message : wrongPassword, retryAfter(check));
      }
      await users.update(userId, { passwordHash: await hashPassword(password, scryptParams) });
      await sessions.destroyAllForUser(userId, { except: session }); // every other browser is signed out
      await logIn(session, userId, "Password changed. Every other session was signed out.");
      return { redirect: "/" };
    })))
    .add("POST", "/logout", signOut)
    .add("POST", "/sign-out", signOut); // the tutorial's name; a POST with the CSRF token, not a GET

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A POST another site made the browser send is refused before its body is read (R18).
    const origin = checkRequestOrigin(req, { appOrigin: requestOrigin(req, { trustProxy }) });
    if (!origin.ok) return sendText(res, 403, forbidden);
    await dispatch(router, req, res, undefined);
  }

  // The error boundary turns anything a handler throws into a 500 instead of a crashed process
  // (or the 4xx/503 a building block asked for: a bad form, a forged POST, an unwritable store).
  const server = createHttpServer(withErrorBoundary(handleRequest));
  server.on("close", () => void store.close()); // Stops the store's timer that removes expired files.
  return server;
}

/**
 * Starts the app; with PROVIDER=local (the default) first the bundled demo provider, on its own port
 * (LOCAL_PROVIDER_PORT, default PORT + 1). Our redirect URI contains our port, so it is registered
 * with the provider, as an exact string (RFC 9700 §4.1.3), once the app listens.
 */
export async function start(options: OAuthStepOptions & { port: number; host: string }): Promise<RunningStep> {
  const { config, oauthSettings } = readSettings(options);
  if (oauthSettings.provider !== "local") {
    const server = await createServer(options);
    const url = await listen(server, options);
    return { lines: [`Listening on ${url}`], close: () => closeGracefully(server) };
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
    return { lines: [`Listening on ${url}`, `Local OAuth provider (a demo: no passwords) on ${provider.issuer()}`], close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** config.json in the data folder, overridden by the environment, and the OAuth settings in it. */
function readSettings(options: StepOptions) {
  const config = readConfigValues({ env: options.env, folder: options.dataDir });
  const oauthSettings = oauthSettingsFrom(config);
  if (oauthSettings.redirectUri !== null && new URL(oauthSettings.redirectUri).pathname !== callbackPath) {
    throw new TypeError(`setting "REDIRECT_URI" is invalid: its path must be ${callbackPath}, this app's callback, got "${oauthSettings.redirectUri}"`);
  }
  return { config, oauthSettings };
}

/** http://host:port of a listening server; a wildcard address becomes localhost, which browsers can open. */
function ownUrl(server: Server): string {
  const { address, port } = server.address() as AddressInfo;
  const host = address === "0.0.0.0" || address === "::" ? "localhost" : address.includes(":") ? `[${address}]` : address;
  return `http://${host}:${port}`;
}

/** The query of a request target ("/path?a=1" → a=1). */
function queryOf(req: IncomingMessage): URLSearchParams {
  const target = req.url ?? "";
  return new URLSearchParams(target.includes("?") ? target.slice(target.indexOf("?") + 1) : "");
}

/** Retry-After on a 429, so browsers and scripts know how long to wait (RFC 9110 §10.2.3). */
function retryAfter(result: LoginResult): Record<string, string> | undefined {
  return !result.ok && result.status === 429 ? { "Retry-After": String(result.retryAfterSeconds) } : undefined;
}
