// Runs the route that matches a request, or answers 404 / 405 (with Allow) / 400 itself.
// Spec: RFC 9112 §3.2 (request-target forms: origin-form "/path?q", absolute-form "http://h/path"),
// RFC 9110 §15.5.5 (404), §15.5.6 (405 MUST list the allowed methods in Allow).
// Pitfall: `new URL(req.url, base)` quietly resolves "/a/../b" and "%2e%2e" before routing; here the
// router sees the path exactly as sent.
// Bad input: a request-target that is neither form, or a malformed percent-escape, is a 400.
// Wrap the call in withErrorBoundary() so a handler's error becomes a 500, not a crash.
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendError } from "./respond.ts";
import type { Router } from "./router.ts";

export type RouteHandler<C> = (
  req: IncomingMessage,
  res: ServerResponse,
  params: Record<string, string>,
  context: C,
) => void | Promise<void>;

export async function dispatch<C>(
  router: Router<RouteHandler<C>>,
  req: IncomingMessage,
  res: ServerResponse,
  context: C,
): Promise<void> {
  const path = requestPath(req.url);
  if (path === null) return sendError(req, res, 400, "The request target must be a path");
  const match = router.match(req.method ?? "GET", path);
  switch (match.kind) {
    case "found":
      return match.handler(req, res, match.params, context);
    case "not-found":
      return sendError(req, res, 404, "Not Found");
    case "method-not-allowed":
      return sendError(req, res, 405, "Method Not Allowed", { Allow: match.allow.join(", ") });
    case "bad-request":
      return sendError(req, res, 400, match.message);
  }
}

/** The query of a request-target: everything after the first "?" (a "?" inside the query is data). */
export function requestQuery(url: string | undefined): URLSearchParams {
  const start = url?.indexOf("?") ?? -1;
  return new URLSearchParams(start === -1 ? "" : url!.slice(start + 1));
}

/** The still-encoded pathname of a request-target, without query or fragment; null if there is none. */
export function requestPath(url: string | undefined): string | null {
  if (url === undefined) return null;
  // absolute-form (sent to proxies, and servers must accept it): drop "scheme://authority".
  const afterAuthority = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(url);
  const rest = afterAuthority ? url.slice(afterAuthority[0].length) : url;
  // "http://host" and "http://host?q" have an empty path, which means "/" (RFC 3986 §6.2.3).
  const target = afterAuthority && !rest.startsWith("/") ? `/${rest}` : rest;
  if (!target.startsWith("/")) return null;
  return target.split(/[?#]/, 1)[0] ?? "/";
}
