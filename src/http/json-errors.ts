// A JSON API answers its errors as JSON, `{ "error": "<message>" }`, whatever the Accept header says:
// a front end that calls `await response.json()` must get JSON on a 400 or a 401 too.
// Spec: RFC 8259 (JSON), RFC 9110 §15.5 (4xx) and §15.6 (5xx).
// Pitfall: sendError() and the error boundary follow Accept, and fetch() sends `Accept: */*` by
// default, which gets text; the client's JSON parse then fails and hides the real message.
// Bad input: an HttpError thrown by a building block (readJson's 400/413/415, a store's 503) becomes
// that status with a JSON body and its headers; any other error goes on to the error boundary (500).
import type { ServerResponse } from "node:http";
import type { RequestHandler } from "./error-boundary.ts";
import { HttpError } from "./http-error.ts";
import { resetHeadersForError, sendJson, type ResponseHeaders } from "./respond.ts";

export function sendJsonError(res: ServerResponse, status: number, message: string, headers?: ResponseHeaders): void {
  sendJson(res, status, { error: message }, headers);
}

/** Wraps a handler so the HttpErrors it throws are answered in JSON. Put withErrorBoundary around it. */
export function withJsonErrors(handler: RequestHandler): RequestHandler {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (error) {
      // Too late to choose the body once the status line is out: the error boundary cuts the connection.
      if (!(error instanceof HttpError) || res.headersSent) throw error;
      resetHeadersForError(res); // what the handler set up for its answer doesn't describe this one
      sendJsonError(res, error.status, error.publicMessage, error.headers);
    }
  };
}
