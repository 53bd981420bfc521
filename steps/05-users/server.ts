// Step 05: users and logout. Views are counted per user, not per browser, in a users file that
// survives restarts; logging in gives the browser a new session naming the user, and logging out
// destroys it. Deliberately trusting: anyone can log in as anyone (step 06 adds passwords).
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { join } from "node:path";
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
      const { username } = await readForm(req); // 415, 413 or 400 unless it is a small, valid form
      const problem = validateUsername(username);
      if (problem !== null) return sendHtml(res, 400, registerPage(problem));
      const created = await users.create({ name: username! });
      if (!created.ok) return sendHtml(res, 409, registerPage("That username is taken."));
      await logIn(req, res, created.user.name);
      redirect(res, "/");
    })
    .add("GET", "/login", (_req, res) => sendHtml(res, 200, loginPage()))
    .add("POST", "/login", async (req, res) => {
      const { username } = await readForm(req);
      const user = await users.find(username ?? ""); // Knowing a name is enough: step 06 fixes this.
      if (user === null) return sendHtml(res, 401, loginPage("No user by that name."));
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
