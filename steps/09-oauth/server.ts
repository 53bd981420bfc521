// Step 09: sign in with OAuth 2.0: step 07's login system plus "Sign in with <provider>". GET /sign-in
// sends the browser to the provider with a fresh state and PKCE challenge kept in the session (R22);
// GET /authenticate checks the answer, swaps the code for tokens and starts a new session (R05) that
// keeps the tokens server-side, sealed, for the tutorial's 30 days (R24); GET / refreshes the access
// token before it expires; POST /sign-out revokes the grant at the provider, then ends the session
// (R25). PROVIDER=local (the default) runs a bundled demo provider next to the app: see start.ts.
import type { Server } from "node:http";
import { join } from "node:path";
import { LoginThrottle } from "../../src/auth/login-throttle.ts";
import { requireLogin } from "../../src/auth/require-login.ts";
import { safeReturnTo } from "../../src/auth/safe-return-to.ts";
import { readScryptParamsSetting } from "../../src/config/scrypt-setting.ts";
import { readTrustProxySetting } from "../../src/config/trust-proxy.ts";
import { createCsrfToken } from "../../src/csrf/csrf-token.ts";
import { createFormHandler, csrfTokenOf, type PageReply } from "../../src/csrf/form-handler.ts";
import { requestQuery, type RouteHandler } from "../../src/http/dispatch.ts";
import { requestIsHttps } from "../../src/http/request-origin.ts";
import { Router } from "../../src/http/router.ts";
import type { PendingAuthorization } from "../../src/oauth/authorization-request.ts";
import { createOAuthClient, type OAuthClient } from "../../src/oauth/client.ts";
import { providerFromSettings } from "../../src/oauth/config.ts";
import { OAuthTokenError } from "../../src/oauth/errors.ts";
import type { OAuthTokens } from "../../src/oauth/token-response.ts";
import type { Session } from "../../src/session/manager.ts";
import { createSealedFileSessions } from "../../src/session/sealed-file-sessions.ts";
import { UserStore } from "../../src/users/user-store.ts";
import type { RunningStep } from "../run.ts";
import { type AccountSessionData, addAccountRoutes, homeRoute, startSignedInSession } from "../07-forms/routes.ts";
import { createFormServer } from "../07-forms/server.ts";
import { loginPage, providerHomePage, signInFailedPage } from "./pages.ts";
import { callbackPath, type OAuthStepOptions, ownUrl, readSettings, startWithLocalProvider } from "./start.ts";

// Config: the tutorial's session lifetime, and what marks a provider sign-in.
const sessionLifetimeSeconds = 30 * 24 * 60 * 60; // The tutorial's 30 days: one sign-in a month.
const anonymousIdleTimeoutSeconds = 30 * 60; // Step 07's: a visitor's form or sign-in in progress, not a month's file.
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
/** Besides step 07's CSRF token and notice: a sign-in in progress, and a provider sign-in. */
type SessionData = AccountSessionData & { signIn?: { pending: PendingAuthorization; returnTo: string }; provider?: ProviderSession };

export async function createServer(options: OAuthStepOptions): Promise<Server> {
  // A missing or invalid setting (config.json, then the environment) stops start-up, named.
  const { config, oauthSettings } = readSettings(options);
  if (oauthSettings.provider === "local" && options.localProviderUrl === undefined) {
    throw new TypeError('setting "PROVIDER" is "local" but the bundled provider is not running: start this step with `npm run step -- 9`');
  }
  // OWASP's scrypt cost (N=2^17) unless a test asks for cheap hashes (refused outside node --test).
  const scryptParams = readScryptParamsSetting(config.SCRYPT_PARAMS);
  // TRUST_PROXY=1 only behind your own reverse proxy: then its X-Forwarded-Proto/-For are believed.
  const trustProxy = readTrustProxySetting(config.TRUST_PROXY);
  const now = options.now ?? Date.now;

  // Building blocks: step 04's sealed session files, lasting 30 days, idle or not, once signed in.
  const { store, sessions } = createSealedFileSessions<SessionData>({
    dataDir: options.dataDir, settings: config, now: options.now, log: options.log,
    idleTimeoutSeconds: sessionLifetimeSeconds, absoluteTimeoutSeconds: sessionLifetimeSeconds, anonymousIdleTimeoutSeconds,
    isSecureRequest: (req) => requestIsHttps(req, { trustProxy }), // HTTPS: `__Host-sid`, Secure (R03)
  });
  // The accounts, in one JSON file written atomically. A damaged file stops start-up right here.
  const users = await UserStore.open(join(options.dataDir, "users", "users.json"), { now: options.now });
  // After 5 failures in a row for a username or a client address: 429 with Retry-After (R17).
  const throttle = new LoginThrottle({ now: options.now });
  // Registrations per client address: 10 in a row, then 1 s, 2 s, … at most a minute (offices share one).
  const registrationThrottle = new LoginThrottle({ lockAfterFailures: 10, maxDelaySeconds: 60, now: options.now });
  // Every page runs in its session, and a POST's form must carry the session's CSRF token (R19).
  const handle = createFormHandler(sessions);
  // The OAuth client, made on first use: with the bundled provider our redirect URI names our own
  // port, known only once the server listens (PORT=0 lets the system pick one).
  let client: OAuthClient | undefined;
  const oauth = (): OAuthClient => (client ??= createOAuthClient(
    providerFromSettings(oauthSettings, { localProviderUrl: options.localProviderUrl, redirectUri: ownUrl(server) + callbackPath }),
    { now: options.now, fetch: options.fetch, timeoutMs: options.providerTimeoutMs },
  ));

  /** Revokes the session's provider grant, if any (R25). A failure is logged: the caller goes on. */
  async function revokeGrant(session: Session<SessionData>): Promise<void> {
    const result = await oauth().signOut(session.data.provider?.tokens);
    if (!result.ok) options.log?.(`The provider did not confirm revoking the tokens: ${result.error.message}`);
  }

  /** The home page of a provider sign-in, after refreshing its access token if it expires soon. */
  async function providerHome(session: Session<SessionData>, signedIn: ProviderSession): Promise<PageReply> {
    // Inside this session's lock: two tabs never spend one rotating refresh token twice (R24).
    const fresh = await oauth().refreshIfNeeded(signedIn.tokens);
    if (!fresh.ok) {
      options.log?.(`Refreshing the access token failed: ${fresh.error.message}`);
      // Down, slow or failing (502/504, a 5xx): still signed in, try again later.
      if (!(fresh.error instanceof OAuthTokenError)) return { status: fresh.error.httpStatus, page: signInFailedPage(fresh.error.publicMessage) };
      // Refused: this sign-in is over. After invalid_grant the grant is gone (RFC 6749 §5.2); after any other
      // refusal (invalid_client, an ArcGIS code) the refresh token may still work: revoke it first (R25).
      if (fresh.error.code !== "invalid_grant") await revokeGrant(session);
      session.regenerate();
      session.userId = null;
      session.data = { csrfToken: createCsrfToken(), notice: `Your sign-in with ${signedIn.providerName} has ended. Please sign in again.` };
      return { redirect: "/login" };
    }
    if (fresh.value.refreshed) {
      signedIn.tokens = fresh.value.tokens; // saved at once: a rotated refresh token replaces the old one
      signedIn.refreshCount += 1;
    }
    const { tokens, ...who } = signedIn; // The page gets everything but the tokens themselves (R24).
    const fields = { ...who, accessTokenExpiresAtMs: tokens.expiresAtMs, hasRefreshToken: tokens.refreshToken !== null,
      refreshTokenExpiresAtMs: tokens.refreshTokenExpiresAtMs, scope: tokens.scope, sessionEndsAtMs: session.createdAtMs + sessionLifetimeSeconds * 1000 };
    return { status: 200, page: providerHomePage({ fields, csrfToken: csrfTokenOf(session) }) };
  }

  // Routes: step 07's, whose logins and logout also revoke a provider grant they end, and ours.
  const passwordHome = homeRoute(users);
  const router = new Router<RouteHandler<void>>()
    .add("GET", "/", handle(requireLogin((context) => {
      const { provider } = context.session.data;
      return provider ? providerHome(context.session, provider) : passwordHome(context);
    })));
  addAccountRoutes(router, {
    handle, sessions, users, throttle, registrationThrottle, scryptParams, trustProxy,
    beforeSessionEnds: revokeGrant, reservedNamePrefix: reservedPrefix,
    loginPage: (state) => loginPage({ ...state, providerName: oauth().provider.displayName }),
  });
  router
    // A GET, like the tutorial's: it changes nothing but this browser's own sign-in in progress
    // (the chapter explains why that is safe, and why a POST form could not redirect to the provider).
    .add("GET", "/sign-in", handle(({ req, session }) => {
      const { url, pending } = oauth().startSignIn(); // a fresh state and PKCE verifier (R22)
      session.data.signIn = { pending, returnTo: safeReturnTo(requestQuery(req.url).get("returnTo")) }; // kept server-side
      return { redirect: url };
    }))
    .add("GET", callbackPath, handle(async ({ req, session }) => {
      const signIn = session.data.signIn;
      delete session.data.signIn; // one callback per state, whatever happens next (R22)
      const result = await oauth().finishSignIn(requestQuery(req.url), signIn?.pending);
      if (!result.ok) {
        options.log?.(`Sign-in failed: ${result.error.message}`); // codes and tokens are never in it
        return { status: result.error.httpStatus, page: signInFailedPage(result.error.publicMessage), headers: noReferrer };
      }
      const { tokens, user } = result.value;
      const { displayName: providerName, kind } = oauth().provider;
      await revokeGrant(session); // A provider sign-in this replaces must not leave its tokens alive.
      startSignedInSession(session, `${reservedPrefix}${kind}:${user.subject}`); // step 07's: new session ID (R05)
      session.data.provider = { providerName, username: user.username, subject: user.subject, signedInAtMs: now(), refreshCount: 0, tokens };
      return { redirect: signIn?.returnTo ?? "/", headers: noReferrer };
    }))
    // The tutorial's name for step 07's POST /logout, which does the same: revoke first (R25), then end.
    .add("POST", "/sign-out", handle(async ({ session }) => {
      await revokeGrant(session); // whatever the provider answers, the user is signed out here
      session.destroy(); // deleted from the store, cookie cleared (R06)
      return { redirect: "/login" };
    }, { allowWithoutSession: true })); // without a session there is nothing to forge

  const server = createFormServer(router, { trustProxy, store }); // step 07's: origin check (R18), error boundary
  return server;
}

/** Starts the app; with PROVIDER=local (the default) the bundled demo provider first (start.ts). */
export function start(options: OAuthStepOptions & { port: number; host: string }): Promise<RunningStep> {
  return startWithLocalProvider(createServer, options);
}
