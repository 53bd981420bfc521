// Wraps a request handler so that nothing it throws or rejects with can crash the process.
// HttpError → its status and public message (text, or JSON when Accept prefers it); anything else →
// logged, then a generic 500 "Internal Server Error" (RFC 9110 §15.6.1); either with no-store. If the
// response had already started, the connection is destroyed: a half-sent body must not look complete.
// Pitfall: an async handler's rejection is an unhandled rejection, and Node ≥ 15 exits on those;
// and `res.end(err.message)` leaks internals to the client.
// Bad input: the log line names the method and path only, never the query (codes, tokens) or headers.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./http-error.ts";
import { resetHeadersForError, sendError } from "./respond.ts";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface ErrorBoundaryOptions {
  /** Where unexpected errors go; defaults to console.error. */
  log?: (message: string, error?: unknown) => void;
}

export function withErrorBoundary(
  handler: RequestHandler,
  options?: ErrorBoundaryOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const log = options?.log ?? ((message: string, error?: unknown) => console.error(message, error));
  return (req, res) => {
    let result: void | Promise<void>;
    try {
      result = handler(req, res);
    } catch (error) {
      handleError(req, res, error, log);
      return;
    }
    // Only an async handler pays for a rejection handler (one closure and one derived promise).
    if (result && typeof result.then === "function") {
      result.then(undefined, (error: unknown) => handleError(req, res, error, log));
    }
  };
}

function handleError(
  req: IncomingMessage,
  res: ServerResponse,
  error: unknown,
  log: (message: string, error?: unknown) => void,
): void {
  const status = error instanceof HttpError ? error.status : 500;
  try {
    // 4xx are the client's doing and expected; 5xx (our 503s included) are worth a look.
    if (status >= 500) log(`Error while handling ${req.method ?? "?"} ${pathOnly(req.url)}`, error);
    if (res.writableEnded) return; // The response went out complete; nothing left to fix.
    if (res.headersSent) {
      res.destroy(); // The status line is gone; cutting the connection is the only honest signal.
      return;
    }
    resetHeadersForError(res);
    if (error instanceof HttpError) sendError(req, res, error.status, error.publicMessage, error.headers);
    else sendError(req, res, 500, "Internal Server Error");
  } catch (failure) {
    // E.g. an invalid header in HttpError.headers, or a log that throws: never let it escape, since
    // from a rejected promise it would be an unhandled rejection, which ends the process.
    res.destroy();
    try {
      log(`Could not send the error response for ${req.method ?? "?"} ${pathOnly(req.url)}`, failure);
    } catch {
      // Nothing left to tell anyone; the connection is already closed.
    }
  }
}

function pathOnly(url: string | undefined): string {
  const path = (url ?? "").split(/[?#]/, 1)[0] ?? "";
  // Cap and strip control characters: the path is the client's text, going into our log.
  return JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path);
}
