// Step 07's account routes, the part to copy: register, log in, change password, log out, the home
// page's view counter and the stylesheet the pages link to. Each runs through `handle`
// (src/csrf/form-handler.ts): inside the session, a POST only with the session's CSRF token (R19).
// Logging in replaces the session (R05, R19); failed logins are throttled (R17) and answer the same
// for a wrong name and a wrong password (R15); a password change signs out every other session (R05).
// Step 09 adds its OAuth routes next to these, with the options marked "step 09" below.
import type { IncomingMessage } from "node:http";
import { fileURLToPath } from "node:url";
import { addressThrottleKey, type LoginResult, verifyLogin } from "../../src/auth/login.ts";
import type { LoginThrottle } from "../../src/auth/login-throttle.ts";
import { requireLogin } from "../../src/auth/require-login.ts";
import { safeReturnTo } from "../../src/auth/safe-return-to.ts";
import type { ScryptParams } from "../../src/crypto/keys.ts";
import { checkNewPassword, hashPassword } from "../../src/crypto/password.ts";
import { createCsrfToken } from "../../src/csrf/csrf-token.ts";
import { csrfTokenOf, type FormContext, type FormHandler, type PageReply } from "../../src/csrf/form-handler.ts";
import { clientAddress } from "../../src/http/client-address.ts";
import { requestQuery, type RouteHandler } from "../../src/http/dispatch.ts";
import type { SafeHtml } from "../../src/http/html.ts";
import type { Router } from "../../src/http/router.ts";
import { serveStaticFile } from "../../src/http/static-file.ts";
import type { Session, SessionManager } from "../../src/session/manager.ts";
import type { CreateUserResult, UserStore } from "../../src/users/user-store.ts";
import { validateUsername } from "../../src/users/username.ts";
import { homePage, loginPage, type LoginPageState, passwordPage, registerPage } from "./pages.ts";

const publicDir = fileURLToPath(new URL("public/", import.meta.url)); // style.css
const stylesheetMaxAgeSeconds = 60 * 60; // Browsers reuse it for an hour, then revalidate (ETag).
const passwordsDiffer = "The passwords do not match.";
const wrongPassword = "Your current password is incorrect.";

/** Besides the user: the CSRF token, and a notice to show once on the next page. */
export type AccountSessionData = { csrfToken?: string; notice?: string };

export interface AccountRoutesOptions<D extends AccountSessionData> {
  handle: FormHandler<D>;
  sessions: SessionManager<D>;
  users: UserStore;
  throttle: LoginThrottle;
  /** Counts every registration per client address (each costs a hash and says whether a name is taken). */
  registrationThrottle: LoginThrottle;
  scryptParams: ScryptParams;
  trustProxy: boolean;
  /** Step 09: runs before a login replaces a session or a logout ends it (to revoke a provider grant). */
  beforeSessionEnds?: (session: Session<D>) => Promise<void>;
  /** Step 09: a login page with "Sign in with <provider>"; default step 07's. */
  loginPage?: (state: LoginPageState) => SafeHtml;
  /** Step 09: a prefix no new username may start with (its provider user IDs, "oauth:"). */
  reservedNamePrefix?: string;
}

/** New ID, new token, nothing else kept: the pre-session is replaced, not upgraded (R05, R19). */
export function startSignedInSession(session: Session<AccountSessionData>, userId: string, notice?: string): void {
  session.regenerate({ restartLifetime: true }); // the absolute timeout counts from the login (R08)
  session.userId = userId;
  session.data = { csrfToken: createCsrfToken() };
  if (notice !== undefined) session.data.notice = notice;
}

/** The notice for this page, removed from the session: it is shown once. */
export function takeNotice(session: Session<AccountSessionData>): string | undefined {
  const { notice } = session.data;
  delete session.data.notice;
  return notice;
}

/** GET / behind requireLogin: counts a view for the user, once per request, and shows it. */
export function homeRoute(users: UserStore) {
  return async ({ session, userId }: FormContext<AccountSessionData> & { userId: string }): Promise<PageReply> => {
    const user = await users.update(userId, (current) => ({ views: current.views + 1 })); // in the file's write queue
    if (user === null) return { redirect: "/login" };
    return { status: 200, page: homePage({ name: user.name, views: user.views, csrfToken: csrfTokenOf(session), notice: takeNotice(session) }) };
  };
}

export function addAccountRoutes<D extends AccountSessionData>(router: Router<RouteHandler<void>>, options: AccountRoutesOptions<D>): void {
  const { handle, sessions, users, throttle, registrationThrottle, scryptParams, trustProxy, reservedNamePrefix } = options;
  const showLoginPage = options.loginPage ?? loginPage;
  const checkPassword = (req: IncomingMessage, username: unknown, password: unknown, throttleKey?: string) => verifyLogin(
    { users, throttle, scryptParams }, { username, password, clientAddress: clientAddress(req, { trustProxy }), throttleKey },
  );
  async function logIn(session: Session<D>, userId: string, notice?: string): Promise<void> {
    await options.beforeSessionEnds?.(session);
    startSignedInSession(session, userId, notice);
  }
  // Each registration costs a password hash (~0.5 s of a core) and says whether a name is taken, so
  // each counts against the client's address in registrationThrottle, successes too. Without it one
  // client could queue hashes without end, delaying every sign-in, and test names at full speed.
  const registrationKey = (req: IncomingMessage) => {
    const address = clientAddress(req, { trustProxy });
    return `register:${address === undefined ? "unknown" : addressThrottleKey(address)}`;
  };
  /** Only accounts with a password have one to change (step 09's provider sign-ins have none). */
  const hasPassword = async (userId: string) => typeof (await users.find(userId))?.passwordHash === "string";

  router
    .add("GET", "/static/:file", (req, res, { file = "" }) => serveStaticFile(req, res, {
      root: publicDir, urlPath: encodeURIComponent(file), maxAgeSeconds: stylesheetMaxAgeSeconds, // no "..": 404
    }))
    .add("GET", "/register", handle(({ session }) => ({ status: 200, page: registerPage({ csrfToken: csrfTokenOf(session) }) })))
    .add("POST", "/register", handle(async ({ req, session, form }) => {
      const { username = "", password = "", confirm } = form;
      const page = (error: string) => registerPage({ csrfToken: csrfTokenOf(session), username, error }); // no password
      const reserved = reservedNamePrefix !== undefined && username.trim().toLowerCase().startsWith(reservedNamePrefix);
      const problem = validateUsername(username) ?? (reserved ? `Names starting with "${reservedNamePrefix}" are reserved.` : null) ??
        checkNewPassword(password) ?? (confirm === password ? null : passwordsDiffer);
      if (problem !== null) return { status: 400, page: page(problem) };
      const key = registrationKey(req);
      const turn = await registrationThrottle.begin([key]); // attempts sent at once take turns, as logins do
      if (!turn.allowed) {
        const seconds = `${turn.retryAfterSeconds} second${turn.retryAfterSeconds === 1 ? "" : "s"}`;
        const error = `Too many registrations from your network. Try again in ${seconds}.`;
        return { status: 429, page: page(error), headers: { "Retry-After": String(turn.retryAfterSeconds) } };
      }
      const taken = { status: 409, page: page("That username is taken.") };
      let created: CreateUserResult;
      try {
        if ((await users.find(username)) !== null) return taken; // before hashing: the 409 says it anyway
        created = await users.create({ name: username, passwordHash: await hashPassword(password, scryptParams) });
      } finally {
        registrationThrottle.recordFailure(key); // every attempt counts, an account made or not
        turn.end();
      }
      if (!created.ok) return taken; // registered by someone else while we hashed
      await logIn(session, created.user.name);
      return { redirect: "/" };
    }))
    .add("GET", "/login", handle(({ req, session }) => {
      const returnTo = safeReturnTo(requestQuery(req.url).get("returnTo"));
      return { status: 200, page: showLoginPage({ csrfToken: csrfTokenOf(session), returnTo, notice: takeNotice(session) }) };
    }))
    .add("POST", "/login", handle(async ({ req, session, form }) => {
      const { username = "", password, returnTo } = form;
      const result = await checkPassword(req, username, password);
      if (result.ok) {
        await logIn(session, result.user.name);
        return { redirect: safeReturnTo(returnTo) }; // only a path on this site (R21)
      }
      const error = result.message; // the same 401 and words for a wrong name and a wrong password (R15)
      const page = showLoginPage({ csrfToken: csrfTokenOf(session), returnTo: safeReturnTo(returnTo), username, error });
      return { status: result.status, page, headers: retryAfter(result) }; // or 429 when throttled (R17)
    }))
    .add("GET", "/password", handle(requireLogin(async ({ session, userId }) => await hasPassword(userId)
      ? { status: 200, page: passwordPage({ name: userId, csrfToken: csrfTokenOf(session) }) }
      : { redirect: "/" })))
    .add("POST", "/password", handle(requireLogin(async ({ req, session, form, userId }) => {
      if (!(await hasPassword(userId))) return { redirect: "/" };
      const { current, password = "", confirm } = form;
      const page = (status: number, error: string, headers?: Record<string, string>) =>
        ({ status, page: passwordPage({ name: userId, csrfToken: csrfTokenOf(session), error }), headers });
      const problem = checkNewPassword(password) ?? (confirm === password ? null : passwordsDiffer);
      if (problem !== null) return page(400, problem);
      // Throttled too (no guessing through this form), per sign-in and address: not by the username,
      // whose lock anyone can renew with failed logins, which would keep its owner from changing it.
      const check = await checkPassword(req, userId, current, `password-change:${userId}:${session.createdAtMs}`);
      if (!check.ok) {
        return page(check.status, check.status === 429 ? check.message : wrongPassword, retryAfter(check));
      }
      await users.update(userId, { passwordHash: await hashPassword(password, scryptParams) });
      await sessions.destroyAllForUser(userId, { except: session }); // every other browser is signed out
      await logIn(session, userId, "Password changed. Every other session was signed out.");
      return { redirect: "/" };
    })))
    // Without a session there is nothing to forge; with one, only our own page may end it.
    .add("POST", "/logout", handle(async ({ session }) => {
      await options.beforeSessionEnds?.(session);
      session.destroy(); // deleted from the store, cookie cleared (R06)
      return { redirect: "/login" };
    }, { allowWithoutSession: true }));
}

/** Retry-After on a 429, so browsers and scripts know how long to wait (RFC 9110 §10.2.3). */
function retryAfter(result: LoginResult): Record<string, string> | undefined {
  return !result.ok && result.status === 429 ? { "Retry-After": String(result.retryAfterSeconds) } : undefined;
}
