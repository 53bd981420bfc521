// Step 02: the view counter with a signed session cookie. The cookie holds the ID plus an HMAC of it;
// a value or signature the browser altered fails verification and is treated as no cookie at all.
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { resolveSecrets } from "../../src/config/secret-file.ts";
import { parseCookies } from "../../src/cookies/parse.ts";
import { serializeCookie } from "../../src/cookies/serialize.ts";
import { sign, unsign } from "../../src/cookies/sign.ts";
import { requestPath } from "../../src/http/dispatch.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { sendText } from "../../src/http/respond.ts";
import { generateSessionId } from "../../src/session/session-id.ts";
import type { StepOptions } from "../step-options.ts";

// Config: the cookie that carries the session ID.
const cookieName = "sid";
const cookieOptions = {
  httpOnly: true, // Page scripts cannot read it, so an XSS bug cannot steal it.
  sameSite: "Lax", // Not sent with requests other sites start, except top-level GET navigations.
  path: "/", // Sent with every page of the site.
} as const;

export function createServer(options: StepOptions): Server {
  // SESSION_SECRET="new,old" rotates; unset, a random secret is generated once in the data folder.
  const secrets = resolveSecrets(options.env.SESSION_SECRET, options.dataDir, "session-secret", options.log);

  // Building blocks: the sessions, session ID → number of views. It only ever grows.
  const viewsBySessionId = new Map<string, number>();

  /** Counts one view for this browser and returns the new count. */
  function countView(req: IncomingMessage, res: ServerResponse): number {
    const cookie = parseCookies(req.headers.cookie)[cookieName];
    // unsign() gives the ID back only if the signature matches one of our secrets; else null.
    let sessionId = cookie === undefined ? null : unsign(cookie, secrets);
    if (sessionId === null || !viewsBySessionId.has(sessionId)) {
      // No cookie, a forged one, or an ID we no longer know: make a new one.
      sessionId = generateSessionId();
      res.setHeader("Set-Cookie", serializeCookie(cookieName, sign(sessionId, secrets[0]), cookieOptions));
    }
    const views = (viewsBySessionId.get(sessionId) ?? 0) + 1;
    viewsBySessionId.set(sessionId, views);
    return views;
  }

  // Routes: one page; any other path is 404, any other method on it 405.
  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = requestPath(req.url); // "/?x=1" → "/"; also the absolute form, "http://host/"
    if (path !== "/") return sendText(res, 404, "Not Found");
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendText(res, 405, "Method Not Allowed", { Allow: "GET, HEAD" });
    }
    sendText(res, 200, `Views: ${countView(req, res)}`);
  }

  // The error boundary turns anything a handler throws into a 500 instead of a crashed process.
  return createHttpServer(withErrorBoundary(handleRequest));
}
