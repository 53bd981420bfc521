// Step 06: passwords. Registering asks for a password twice; only its scrypt hash is stored. Logging
// in checks it, and a wrong name and a wrong password get the same 401 and the same message.
// Passwords travel only in POST bodies, never in URLs or logs.
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { join } from "node:path";
import { loginFailedMessage } from "../../src/auth/login.ts";
import { readScryptParamsSetting } from "../../src/config/scrypt-setting.ts";
import { checkNewPassword, hashPassword, verifyPassword } from "../../src/crypto/password.ts";
import { readForm } from "../../src/http/body.ts";
import { dispatch, type RouteHandler } from "../../src/http/dispatch.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { redirect, sendHtml } from "../../src/http/respond.ts";
import { Router } from "../../src/http/router.ts";
import { createSealedFileSessions } from "../../src/session/sealed-file-sessions.ts";
import { type User, UserStore } from "../../src/users/user-store.ts";
import { validateUsername } from "../../src/users/username.ts";
import type { StepOptions } from "../step-options.ts";
import { homePage, loginPage, registerPage } from "./pages.ts";

// Config: how long a session lives (the cookie itself is now the session manager's job).
const idleTimeoutSeconds = 30 * 60; // Idle this long, and the session is over (OWASP: 15–30 minutes).
const absoluteTimeoutSeconds = 8 * 60 * 60; // However active, a session ends after a working day.

export async function createServer(options: StepOptions): Promise<Server> {
  // OWASP's scrypt cost (N=2^17) unless a test asks for cheap hashes (refused outside node --test).
  const scryptParams = readScryptParamsSetting(options.env.SCRYPT_PARAMS);

  // Building blocks: step 04's sealed session files and session manager, set up in one call from
  // SESSION_SECRET and ENCRYPTION_KEY ("new,old" rotates; unset, generated once in the data folder).
  const { sessions, store } = createSealedFileSessions({
    dataDir: options.dataDir,
    settings: options.env,
    log: options.log,
    idleTimeoutSeconds,
    absoluteTimeoutSeconds,
    now: options.now,
  });
  // The accounts, in one JSON file written atomically. A damaged file stops start-up right here.
  const users = await UserStore.open(join(options.dataDir, "users", "users.json"), { now: options.now });

  /** Counts one view for the signed-in user and returns the updated user, or null when nobody is. */
  function countView(req: IncomingMessage, res: ServerResponse): Promise<User | null> {
    return sessions.withSession(req, res, async (session) => {
      if (session.userId === null) return null;
      // update() runs in the store's write queue: overlapping requests each count exactly once.
      return users.update(session.userId, (user) => ({ views: user.views + 1 }));
    });
  }

  /** Logs a user in: a fresh session ID that names the user; the old ID dies (session fixation, R05). */
  function logIn(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    return sessions.withSession(req, res, (session) => {
      session.regenerate();
      session.userId = name;
    });
  }

  // Routes: dispatch() answers 404 for unknown paths and 405 (with Allow) for other methods.
  const router = new Router<RouteHandler<void>>()
    .add("GET", "/", async (req, res) => {
      const user = await countView(req, res);
      if (user === null) return redirect(res, "/login"); // 303: "see the login page instead"
      sendHtml(res, 200, homePage(user.name, user.views));
    })
    .add("GET", "/register", (_req, res) => sendHtml(res, 200, registerPage()))
    .add("POST", "/register", async (req, res) => {
      const { username, password = "", confirm } = await readForm(req); // 415, 413 or 400 unless a small form
      // The browser may compare the two passwords too, but only this check counts.
      const problem = validateUsername(username) ?? checkNewPassword(password) ??
        (confirm === password ? null : "The passwords do not match.");
      if (problem !== null) return sendHtml(res, 400, registerPage(problem));
      // Async scrypt runs on libuv's thread pool: other requests are served meanwhile (R14).
      const passwordHash = await hashPassword(password, scryptParams);
      const created = await users.create({ name: username!, passwordHash });
      if (!created.ok) return sendHtml(res, 409, registerPage("That username is taken."));
      await logIn(req, res, created.user.name);
      redirect(res, "/");
    })
    .add("GET", "/login", (_req, res) => sendHtml(res, 200, loginPage()))
    .add("POST", "/login", async (req, res) => {
      const { username = "", password = "" } = await readForm(req);
      const user = await users.find(username);
      // An unknown name still costs one hash, and gets the same answer: no hint which names exist (R15).
      const valid = await verifyPassword(password, user?.passwordHash ?? null, scryptParams);
      if (user === null || !valid) return sendHtml(res, 401, loginPage(loginFailedMessage));
      await logIn(req, res, user.name);
      redirect(res, "/");
    })
    .add("POST", "/logout", async (req, res) => {
      // Deleted from the store and the cookie cleared (R06); harmless without a session.
      await sessions.withSession(req, res, (session) => session.destroy());
      redirect(res, "/login");
    });

  // The error boundary turns anything a handler throws into a 500 instead of a crashed process
  // (or the 4xx/503 a building block asked for: a bad form, an unwritable store).
  const server = createHttpServer(withErrorBoundary((req, res) => dispatch(router, req, res, undefined)));
  server.on("close", () => void store.close()); // Stops the store's timer that removes expired files.
  return server;
}
