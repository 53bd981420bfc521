// Step 03: the view counter on the session manager, with sessions kept in files. One file per session
// under DATA_DIR/sessions, so a restart forgets no one; sessions expire when idle and at a hard limit.
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { join } from "node:path";
import { loadOrCreateSecret, resolveSecrets } from "../../src/config/secret-file.ts";
import { requestPath } from "../../src/http/dispatch.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { sendText } from "../../src/http/respond.ts";
import { FileStore } from "../../src/session/file-store.ts";
import { createSessionManager } from "../../src/session/manager.ts";
import type { StepOptions } from "../step-options.ts";

// Config: how long a session lives (the cookie itself is now the session manager's job).
const idleTimeoutSeconds = 30 * 60; // Idle this long, and the session is over (OWASP: 15–30 minutes).
const absoluteTimeoutSeconds = 8 * 60 * 60; // However active, a session ends after a working day.

export function createServer(options: StepOptions): Server {
  // SESSION_SECRET="new,old" rotates; unset, a random secret is generated once in the data folder.
  const secrets = resolveSecrets(options.env.SESSION_SECRET, options.dataDir, "session-secret", options.log);

  // Building blocks: a store with one file per session, and the manager that does the rest.
  const store = new FileStore({
    dir: join(options.dataDir, "sessions"),
    nameKey: loadOrCreateSecret(options.dataDir, "file-name-key", options.log), // Keys the file names.
    now: options.now,
    log: options.log,
  });
  const sessions = createSessionManager<{ views?: number }>({
    store,
    secrets,
    idleTimeoutSeconds,
    absoluteTimeoutSeconds,
    now: options.now,
  });

  /** Counts one view for this browser and returns the new count. */
  function countView(req: IncomingMessage, res: ServerResponse): Promise<number> {
    // Loads the session (or starts one), runs the callback, saves the change, sets the cookie.
    return sessions.withSession(req, res, (session) => {
      session.data.views = (session.data.views ?? 0) + 1;
      return session.data.views;
    });
  }

  // Routes: one page; any other path is 404, any other method on it 405.
  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req.url); // "/?x=1" → "/"; also the absolute form, "http://host/"
    if (path !== "/") return sendText(res, 404, "Not Found");
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendText(res, 405, "Method Not Allowed", { Allow: "GET, HEAD" });
    }
    sendText(res, 200, `Views: ${await countView(req, res)}`);
  }

  // The error boundary turns anything a handler throws into a 500 instead of a crashed process
  // (or the store's 503 when session files cannot be written).
  const server = createHttpServer(withErrorBoundary(handleRequest));
  server.on("close", () => void store.close()); // Stops the store's timer that removes expired files.
  return server;
}
