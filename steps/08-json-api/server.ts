// Step 08: a JSON sign-in API with short sessions, for a front end that may live on another origin.
// POST /signin answers with a session cookie that lives two minutes, GET /welcome greets, POST /refresh
// swaps the session for a new one, POST /logout ends it. Same users and password hashing as step 07.
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { join } from "node:path";
import { verifyLogin } from "../../src/auth/login.ts";
import { LoginThrottle } from "../../src/auth/login-throttle.ts";
import { readIntegerSetting } from "../../src/config/integer-setting.ts";
import { readScryptParamsSetting } from "../../src/config/scrypt-setting.ts";
import { resolveSecrets } from "../../src/config/secret-file.ts";
import { readTrustProxySetting } from "../../src/config/trust-proxy.ts";
import { checkRequestOrigin } from "../../src/csrf/fetch-metadata.ts";
import { createDemoUsersIfEmpty, readDemoUsersSetting } from "../../src/demo/demo-users.ts";
import { prefersJson } from "../../src/http/accept.ts";
import { readJson } from "../../src/http/body.ts";
import { clientAddress } from "../../src/http/client-address.ts";
import { applyCors, createCorsPolicy, readCorsOrigins } from "../../src/http/cors.ts";
import { dispatch, type RouteHandler } from "../../src/http/dispatch.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { sendJsonError, withJsonErrors } from "../../src/http/json-errors.ts";
import { requestIsHttps, requestOrigin } from "../../src/http/request-origin.ts";
import { sendJson, sendNoContent, sendText } from "../../src/http/respond.ts";
import { Router } from "../../src/http/router.ts";
import { setStrictTransportSecurity } from "../../src/http/security-headers.ts";
import { createSessionManager } from "../../src/session/manager.ts";
import { MemoryStore } from "../../src/session/memory-store.ts";
import { UserStore } from "../../src/users/user-store.ts";
import type { StepOptions } from "../step-options.ts";

// Config: sessions are short, as in the tutorial, and /refresh renews them, but never past this.
const absoluteTimeoutSeconds = 8 * 60 * 60; // However often refreshed, a session ends after a working day.
const notSignedIn = "Not signed in, or the session has expired";

export async function createServer(options: StepOptions): Promise<Server> {
  const { env } = options;
  // How long a session lives after sign-in or refresh: the tutorial's 120 seconds unless configured.
  const lifetimeSeconds = readIntegerSetting("SESSION_LIFETIME_SECONDS", env.SESSION_LIFETIME_SECONDS, {
    defaultValue: 120, min: 10, max: absoluteTimeoutSeconds, unit: "seconds",
  });
  // SESSION_SECRET="new,old" rotates; unset, a random secret is generated once in the data folder.
  const secrets = resolveSecrets(env.SESSION_SECRET, options.dataDir, "session-secret", options.log);
  const trustProxy = readTrustProxySetting(env.TRUST_PROXY); // "1" only behind your own HTTPS proxy
  const scryptParams = readScryptParamsSetting(env.SCRYPT_PARAMS); // OWASP's; tests may ask for cheap ones
  // CORS_ORIGINS="https://app.example,http://localhost:5173": front ends that may call with cookies.
  const allowedOrigins = readCorsOrigins(env.CORS_ORIGINS);
  const cors = createCorsPolicy({ allowedOrigins, exposedHeaders: ["Retry-After"] });

  // Building blocks: sessions in memory (bounded, self-cleaning), the users file, a login throttle.
  const sessions = createSessionManager({
    store: new MemoryStore({ now: options.now }), // Two-minute sessions: a restart costs one sign-in.
    secrets,
    cookieName: "session_token", // The tutorial's name; `__Host-session_token` over HTTPS.
    idleTimeoutSeconds: lifetimeSeconds, // Only sign-in and /refresh restart it: /welcome just reads.
    absoluteTimeoutSeconds,
    touchIntervalSeconds: 1, // Unused: every write below also gives the session a new ID.
    isSecureRequest: (req) => requestIsHttps(req, { trustProxy }),
    now: options.now,
  });
  const users = await UserStore.open(join(options.dataDir, "users", "users.json"), { now: options.now });
  // DEMO_USERS=off skips this: user1/password1 and user2/password2, logged loudly as demo-only.
  if (readDemoUsersSetting(env.DEMO_USERS)) await createDemoUsersIfEmpty(users, { scryptParams, log: options.log });
  const throttle = new LoginThrottle({ now: options.now });

  // Routes: dispatch() answers 404 for unknown paths and 405 (with Allow) for other methods.
  const router = new Router<RouteHandler<void>>()
    .add("POST", "/signin", async (req, res) => {
      // readJson: 415 unless Content-Type is application/json (R20), 400 for malformed JSON.
      const credentials = parseCredentials(await readJson(req));
      if (credentials === null) return sendJsonError(res, 400, `Send a JSON object with "username" and "password" strings`);
      const address = clientAddress(req, { trustProxy });
      const result = await verifyLogin({ users, throttle, scryptParams }, { ...credentials, clientAddress: address });
      if (!result.ok) {
        // 401, the same for an unknown user and a wrong password (R15); or 429 when throttled (R17).
        const headers: Record<string, string> = {};
        if (result.status === 429) headers["Retry-After"] = String(result.retryAfterSeconds);
        return sendJsonError(res, result.status, result.message, headers);
      }
      await sessions.withSession(req, res, (session) => {
        session.regenerate({ restartLifetime: true }); // New ID at sign-in: defeats session fixation (R05).
        session.userId = result.user.name;
      });
      sendJson(res, 200, { username: result.user.name });
    })
    .add("GET", "/welcome", async (req, res) => {
      // peek() only reads: looking never extends a session. An expired record is deleted as it is read.
      const session = await sessions.peek(req);
      res.setHeader("Cache-Control", "no-store"); // The answer depends on the session (R09).
      if (session === null || session.userId === null) return sendJsonError(res, 401, notSignedIn);
      const message = `Welcome ${session.userId}!`;
      if (prefersJson(req.headers.accept)) sendJson(res, 200, { message, username: session.userId });
      else sendText(res, 200, message);
    })
    .add("POST", "/refresh", async (req, res) => {
      const username = await sessions.withSession(req, res, (session) => {
        if (session.userId === null) return null;
        // New ID; the old one is deleted now, so a replay of it gets 401. The lifetime starts over,
        // capped by the absolute timeout (R08).
        session.regenerate({ keepData: true });
        return session.userId;
      });
      if (username === null) return sendJsonError(res, 401, notSignedIn);
      sendJson(res, 200, { username });
    })
    .add("POST", "/logout", async (req, res) => {
      // Deleted from the store and the cookie cleared (R06); without a session, the same 204.
      await sessions.withSession(req, res, (session) => session.destroy());
      sendNoContent(res);
    });

  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setStrictTransportSecurity(res, requestIsHttps(req, { trustProxy })); // HTTPS only from now on
    // CORS: preflights from allowed origins are answered here; their other requests get the headers.
    if (applyCors(cors, req, res)) return;
    // CORS decides who may read answers; this refuses writes other sites start (R18): 403.
    const origin = checkRequestOrigin(req, { appOrigin: requestOrigin(req, { trustProxy }), allowedOrigins });
    if (!origin.ok) return sendJsonError(res, 403, origin.reason);
    await dispatch(router, req, res, undefined);
  }

  // The API's errors are JSON whatever Accept says (a front end calls response.json()); only dispatch's
  // 400/404/405 follow Accept. The error boundary turns anything else into a 500 (text unless Accept
  // prefers JSON), not a crashed process.
  return createHttpServer(withErrorBoundary(withJsonErrors(handleRequest)));
}

/** The two fields, or null unless the body is a JSON object with both as strings. */
function parseCredentials(body: unknown): { username: string; password: string } | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return null;
  const { username, password } = body as Record<string, unknown>;
  return typeof username === "string" && typeof password === "string" ? { username, password } : null;
}
