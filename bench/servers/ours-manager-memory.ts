// Bench-only: the view counter on our session manager with the bounded MemoryStore, in the same
// skeleton as steps/03-file-store/server.ts with the file store swapped for memory. It prices the
// manager itself (signed cookie, per-session lock, change detection, touch, Cache-Control) without
// any disk, next to step 02, which keeps a bare Map.
import { createServer as createHttpServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { requestPath } from "../../src/http/dispatch.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { sendText } from "../../src/http/respond.ts";
import { randomToken } from "../../src/crypto/random.ts";
import { createSessionManager } from "../../src/session/manager.ts";
import { MemoryStore } from "../../src/session/memory-store.ts";
import { serve } from "./serve.ts";

const sessions = createSessionManager<{ views?: number }>({
  store: new MemoryStore(), // default bound: 10,000 sessions, oldest evicted first
  secrets: [randomToken(32)],
});

async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = requestPath(req.url); // "/?x=1" → "/"; also the absolute form, "http://host/"
  if (path !== "/") return sendText(res, 404, "Not Found");
  const views = await sessions.withSession(req, res, (session) => {
    session.data.views = (session.data.views ?? 0) + 1;
    return session.data.views;
  });
  sendText(res, 200, `Views: ${views}`);
}

await serve(createHttpServer(withErrorBoundary(handleRequest)));
