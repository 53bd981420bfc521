// Send a complete response: text, HTML, JSON, 204, redirect, or an error message (resetHeadersForError()
// first when the error replaces a response a handler had begun: its headers don't describe the error).
// Each sets Content-Type with charset=utf-8 and an exact Content-Length (RFC 9110 §8.3, §8.6), plus
// the baseline security headers; HEAD requests get the same headers and no body (node:http drops it).
// Pitfall: a helper that calls setHeader("Set-Cookie"/"Cache-Control") would silently replace the
// session cookie or the `no-store` the session manager already put on `res` (R09). Here Set-Cookie
// headers are appended and an existing Cache-Control is kept. And an answer given before the request's
// body was read (a 403, 404, 405) closes the connection: node:http would otherwise read and discard
// the whole body to reuse it, however large the client makes it.
// Bad input: a wrong status or a Location with control characters is a programmer error: TypeError.
import type { IncomingMessage, ServerResponse } from "node:http";
import { prefersJson } from "./accept.ts";
import { SafeHtml } from "./html.ts";
import { missingSecurityHeaders } from "./security-headers.ts";

export type ResponseHeaders = Readonly<Record<string, string | string[]>>;

export function sendText(res: ServerResponse, status: number, text: string, headers?: ResponseHeaders): void {
  send(res, status, "text/plain; charset=utf-8", text, headers);
}

export function sendHtml(res: ServerResponse, status: number, body: SafeHtml, headers?: ResponseHeaders): void {
  // Checked at run time too: a plain string here is exactly the unescaped HTML this type prevents.
  if (!(body instanceof SafeHtml)) throw new TypeError(`sendHtml "body" is invalid: must be SafeHtml from html\`…\``);
  send(res, status, "text/html; charset=utf-8", body.value, headers);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers?: ResponseHeaders): void {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`sendJson "value" is invalid: must be serializable to JSON`);
  // No charset parameter is defined for application/json (RFC 8259 §11); UTF-8 is the only encoding.
  send(res, status, "application/json", json, headers);
}

export function sendNoContent(res: ServerResponse, headers?: ResponseHeaders): void {
  applyHeaders(res, headers);
  closeIfBodyUnread(res);
  // A 204 has no body, so no Content-Type or Content-Length (RFC 9110 §8.6, §15.3.5).
  res.writeHead(204, missingSecurityHeaders(res));
  res.end();
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);

/** 303 by default: after a POST the browser follows with a GET (RFC 9110 §15.4.4). */
export function redirect(res: ServerResponse, location: string, status = 303, headers?: ResponseHeaders): void {
  if (!redirectStatuses.has(status)) {
    throw new TypeError(`redirect "status" is invalid: must be 301, 302, 303, 307 or 308 (RFC 9110 §15.4)`);
  }
  // CR/LF here would split the header (response splitting); node:http also refuses them.
  if (location === "" || /[\u0000-\u001f\u007f]/.test(location)) {
    throw new TypeError(`redirect "location" is invalid: must be a non-empty URL without control characters`);
  }
  res.setHeader("Location", location);
  // A short body for clients that do not follow redirects (as Express does).
  send(res, status, "text/plain; charset=utf-8", `Redirecting to ${location}`, headers);
}

// Headers that describe the body a failed handler was preparing; an error sent instead has its own.
const representationHeaders = [
  "content-type", "content-length", "content-encoding", "content-language", "content-disposition",
  "content-range", "etag", "last-modified", "location", "transfer-encoding",
];

/**
 * Before answering an error in place of a response a handler had begun: removes that response's
 * Content-*, ETag, Last-Modified and Location, and sets `Cache-Control: no-store`, so no cache keeps the
 * error under the handler's max-age. Set-Cookie, Vary and CORS headers stay (a cross-origin client must
 * still read the error; a cookie already set matches what the store holds).
 */
export function resetHeadersForError(res: ServerResponse): void {
  for (const name of representationHeaders) res.removeHeader(name);
  res.setHeader("Cache-Control", "no-store");
}

/** An error status with a public message: JSON `{ "error": message }` when Accept prefers it, else text. */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  publicMessage: string,
  headers?: ResponseHeaders,
): void {
  if (prefersJson(req.headers.accept)) sendJson(res, status, { error: publicMessage }, headers);
  else sendText(res, status, publicMessage, headers);
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers?: ResponseHeaders): void {
  if (!Number.isInteger(status) || status < 200 || status > 599 || status === 204 || status === 304) {
    throw new TypeError(`response "status" is invalid: must be an integer from 200 to 599 with a body (not 204 or 304)`);
  }
  applyHeaders(res, headers);
  closeIfBodyUnread(res);
  // Everything this response adds goes out in one writeHead(): headers already on `res` (the session's
  // Set-Cookie and no-store, the route's own policies) are kept, and the body's own type and exact byte
  // length win over any earlier value. Without earlier headers, node:http writes this object as is,
  // skipping its per-header bookkeeping.
  const head: Record<string, string | number> = missingSecurityHeaders(res);
  head["Content-Type"] = contentType;
  head["Content-Length"] = Buffer.byteLength(body);
  res.writeHead(status, head);
  res.end(body);
}

// A body announced and not (fully) read: close the connection after this response, as readBody's 413
// does, so the rest is never read. A body read to its end, or none, keeps the connection alive.
function closeIfBodyUnread(res: ServerResponse): void {
  const req = res.req as IncomingMessage | undefined; // undefined for a response made without a request
  if (req === undefined || req.readableEnded) return;
  const { headers } = req;
  if (headers["transfer-encoding"] !== undefined || Number(headers["content-length"]) > 0) {
    res.setHeader("Connection", "close");
  }
}

function applyHeaders(res: ServerResponse, headers: ResponseHeaders | undefined): void {
  if (headers === undefined) return;
  for (const [name, value] of Object.entries(headers)) {
    const lowerName = name.toLowerCase();
    // Several cookies are several Set-Cookie lines (RFC 6265 §3); never drop the session's.
    if (lowerName === "set-cookie") res.appendHeader("Set-Cookie", value);
    // The session manager's `no-store` (R09) outranks a route's wish to be cached.
    else if (lowerName === "cache-control" && res.hasHeader("Cache-Control")) continue;
    else res.setHeader(name, value);
  }
}
