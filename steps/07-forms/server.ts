// Step 07: forms, hardened: the login system to copy. POSTs from other sites are refused (R18) and
// every form carries the session's CSRF token (R19); pages behind login send visitors to log in and
// back (R21); failed logins are throttled (R17); a password change signs out every other session
// (R05); over HTTPS the cookie is `__Host-sid; Secure` (R03). The HTML is in pages.ts.
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LoginResult, verifyLogin } from "../../src/auth/login.ts";
import { LoginThrottle } from "../../src/auth/login-throttle.ts";
import { requireLogin } from "../../src/auth/require-login.ts";
import { safeReturnTo } from "../../src/auth/safe-return-to.ts";
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
import { requestIsHttps, requestOrigin } from "../../src/http/request-origin.ts";
import { redirect, sendHtml, sendText } from "../../src/http/respond.ts";
import { Router } from "../../src/http/router.ts";
import { serveStaticFile } from "../../src/http/static-file.ts";
import { FileStore } from "../../src/session/file-store.ts";
import { createSessionManager, type Session } from "../../src/session/manager.ts";
import { UserStore } from "../../src/users/user-store.ts";
import { validateUsername } from "../../src/users/username.ts";
import type { StepOptions } from "../step-options.ts";
import { homePage, loginPage, passwordPage, registerPage } from "./pages.ts";

// Config: how long a session lives (the cookie itself is now the session manager's job).
const idleTimeoutSeconds = 30 * 60; // Idle this long, and the session is over (OWASP: 15–30 minutes).
const absoluteTimeoutSeconds = 8 * 60 * 60; // However active, a session ends after a working day.
const publicDir = fileURLToPath(new URL("public/", import.meta.url)); // style.css
const stylesheetMaxAgeSeconds = 60 * 60; // Browsers reuse it for an hour, then revalidate (ETag).
const forbidden = "Forbidden: this form came from another site, or has expired. Reload the page and try again.";
const passwordsDiffer = "The passwords do not match.";
const wrongPassword = "Your current password is incorrect.";

/** Besides the user: the CSRF token, and a notice to show once on the next page. */
type SessionData = { csrfToken?: string; notice?: string };
/** What a route decided, sent once its session has been saved. */
type Reply = { redirect: string } | { status: number; page: SafeHtml; headers?: Record<string, string> };
type Context = { req: IncomingMessage; session: Session<SessionData>; form: Record<string, string> };

export async function createServer(options: StepOptions): Promise<Server> {
  // SESSION_SECRET="new,old" rotates; unset, a random secret is generated once in the data folder.
  const secrets = resolveSecrets(options.env.SESSION_SECRET, options.dataDir, "session-secret", options.log);
  // ENCRYPTION_KEY="new,old" likewise: the first key seals, every key still opens older files.
  const encryptionKeys = resolveSecrets(
    options.env.ENCRYPTION_KEY, options.dataDir, "encryption-key", options.log, "ENCRYPTION_KEY",
  );
  // OWASP's scrypt cost (N=2^17) unless a test asks for cheap hashes (refused outside node --test).
  const scryptParams = readScryptParamsSetting(options.env.SCRYPT_PARAMS);
  // TRUST_PROXY=1 only behind your own reverse proxy: then its X-Forwarded-Proto/-For are believed.
  const trustProxy = readTrustProxySetting(options.env.TRUST_PROXY);

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
    idleTimeoutSeconds,
    absoluteTimeoutSeconds,
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
      if ("redirect" in reply) redirect(res, reply.redirect);
      else sendHtml(res, reply.status, reply.page, reply.headers);
    };
  }

  /** The session's CSRF token, made on first use: so GET /login starts a pre-session. */
  const tokenOf = (session: Session<SessionData>) => (session.data.csrfToken ??= createCsrfToken());

  /** New ID, new token, nothing else kept: the pre-session is replaced, not upgraded (R05, R19). */
  function logIn(session: Session<SessionData>, name: string, notice?: string): void {
    session.regenerate();
    session.userId = name;
    session.data = { csrfToken: createCsrfToken() };
    if (notice !== undefined) session.data.notice = notice;
  }

  // Routes: dispatch() answers 404 for unknown paths and 405 (with Allow) for other methods.
  const router = new Router<RouteHandler<void>>()
    .add("GET", "/", handle(requireLogin(async ({ session, userId }) => {
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
      const problem = validateUsername(username) ?? checkNewPassword(password) ??
        (confirm === password ? null : passwordsDiffer);
      if (problem !== null) return { status: 400, page: page(problem) };
      const passwordHash = await hashPassword(password, scryptParams);
      const created = await users.create({ name: username, passwordHash });
      if (!created.ok) return { status: 409, page: page("That username is taken.") };
      logIn(session, created.user.name);
      return { redirect: "/" };
    }))
    .add("GET", "/login", handle(({ req, session }) => {
      const returnTo = safeReturnTo(new URLSearchParams(req.url?.split("?")[1]).get("returnTo"));
      return { status: 200, page: loginPage({ csrfToken: tokenOf(session), returnTo }) };
    }))
    .add("POST", "/login", handle(async ({ req, session, form }) => {
      const { username = "", password, returnTo } = form;
      const result = await checkPassword(req, username, password);
      if (result.ok) {
        logIn(session, result.user.name);
        return { redirect: safeReturnTo(returnTo) }; // only a path on this site (R21)
      }
      const error = result.message; // the same 401 and words for a wrong name and a wrong password (R15)
      const page = loginPage({ csrfToken: tokenOf(session), returnTo: safeReturnTo(returnTo), username, error });
      return { status: result.status, page, headers: retryAfter(result) }; // or 429 when throttled (R17)
    }))
    .add("GET", "/password", handle(requireLogin(({ session, userId }) =>
      ({ status: 200, page: passwordPage({ name: userId, csrfToken: tokenOf(session) }) }))))
    .add("POST", "/password", handle(requireLogin(async ({ req, session, form, userId }) => {
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
      logIn(session, userId, "Password changed. Every other session was signed out.");
      return { redirect: "/" };
    })))
    .add("POST", "/logout", async (req, res) => {
      const { csrf } = await readForm(req);
      await sessions.withSession(req, res, (session) => {
        // Without a session there is nothing to forge; with one, only our own page may end it.
        if (!session.isNew && !csrfTokensMatch(session.data.csrfToken, csrf)) throw new HttpError(403, forbidden);
        session.destroy(); // deleted from the store, cookie cleared (R06)
      });
      redirect(res, "/login");
    });

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

/** Retry-After on a 429, so browsers and scripts know how long to wait (RFC 9110 §10.2.3). */
function retryAfter(result: LoginResult): Record<string, string> | undefined {
  return !result.ok && result.status === 429 ? { "Retry-After": String(result.retryAfterSeconds) } : undefined;
}
