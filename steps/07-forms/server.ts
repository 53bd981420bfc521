// Step 07: forms, hardened: the login system to copy. POSTs from other sites are refused (R18) and
// every form carries the session's CSRF token (R19); pages behind login send visitors to log in and
// back (R21); failed logins are throttled (R17); a password change signs out every other session
// (R05); over HTTPS the cookie is `__Host-sid; Secure` (R03). The account routes are in routes.ts,
// the HTML in pages.ts.
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { join } from "node:path";
import { LoginThrottle } from "../../src/auth/login-throttle.ts";
import { requireLogin } from "../../src/auth/require-login.ts";
import { readScryptParamsSetting } from "../../src/config/scrypt-setting.ts";
import { readTrustProxySetting } from "../../src/config/trust-proxy.ts";
import { checkRequestOrigin } from "../../src/csrf/fetch-metadata.ts";
import { createFormHandler, forbiddenMessage } from "../../src/csrf/form-handler.ts";
import { dispatch, type RouteHandler } from "../../src/http/dispatch.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { requestIsHttps, requestOrigin } from "../../src/http/request-origin.ts";
import { sendText } from "../../src/http/respond.ts";
import { Router } from "../../src/http/router.ts";
import { setStrictTransportSecurity } from "../../src/http/security-headers.ts";
import type { FileStore } from "../../src/session/file-store.ts";
import { createSealedFileSessions } from "../../src/session/sealed-file-sessions.ts";
import { UserStore } from "../../src/users/user-store.ts";
import type { StepOptions } from "../step-options.ts";
import { type AccountSessionData, addAccountRoutes, homeRoute } from "./routes.ts";

// Config: how long a session lives (the cookie itself is now the session manager's job).
const idleTimeoutSeconds = 30 * 60; // Idle this long, and the session is over (OWASP: 15–30 minutes).
const absoluteTimeoutSeconds = 8 * 60 * 60; // However active, a session ends after a working day.

export async function createServer(options: StepOptions): Promise<Server> {
  // OWASP's scrypt cost (N=2^17) unless a test asks for cheap hashes (refused outside node --test).
  const scryptParams = readScryptParamsSetting(options.env.SCRYPT_PARAMS);
  // TRUST_PROXY=1 only behind your own reverse proxy: then its X-Forwarded-Proto/-For are believed.
  const trustProxy = readTrustProxySetting(options.env.TRUST_PROXY);

  // Building blocks: step 04's sealed session files (SESSION_SECRET, ENCRYPTION_KEY) and the manager.
  const { store, sessions } = createSealedFileSessions<AccountSessionData>({
    dataDir: options.dataDir, settings: options.env, now: options.now, log: options.log,
    idleTimeoutSeconds, absoluteTimeoutSeconds,
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

  // Routes: dispatch() answers 404 for unknown paths and 405 (with Allow) for other methods.
  const router = new Router<RouteHandler<void>>()
    .add("GET", "/", handle(requireLogin(homeRoute(users)))); // visitors go to /login and come back (R21)
  addAccountRoutes(router, { handle, sessions, users, throttle, registrationThrottle, scryptParams, trustProxy });
  return createFormServer(router, { trustProxy, store });
}

/**
 * The server around the routes: a POST another site made the browser send is refused before its body
 * is read (R18), and the error boundary turns anything a handler throws into a 500 instead of a
 * crashed process (or the 4xx/503 a building block asked for: a bad form, a forged POST, a full disk).
 */
export function createFormServer(router: Router<RouteHandler<void>>, options: { trustProxy: boolean; store: FileStore }): Server {
  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setStrictTransportSecurity(res, requestIsHttps(req, { trustProxy: options.trustProxy })); // HTTPS only from now on
    const origin = checkRequestOrigin(req, { appOrigin: requestOrigin(req, { trustProxy: options.trustProxy }) });
    if (!origin.ok) return sendText(res, 403, forbiddenMessage);
    await dispatch(router, req, res, undefined);
  }
  const server = createHttpServer(withErrorBoundary(handleRequest));
  server.on("close", () => void options.store.close()); // Stops the store's timer that removes expired files.
  return server;
}
