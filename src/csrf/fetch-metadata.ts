// Refuses state-changing requests that another site made the browser send (R18), using what the
// browser itself says: Fetch Metadata (`Sec-Fetch-Site`, W3C Fetch Metadata §2.1), else `Origin`
// (RFC 6454 §7, Fetch §3.1) or `Referer` (RFC 9110 §10.1.3), as OWASP's CSRF CS describes.
// Decisions: only `same-origin` and `none` (the user typed or bookmarked it) pass, plus `cross-site`/
// `same-site` from an exact origin on `allowedOrigins`; other `same-site` requests are refused too, since
// a sibling subdomain is another app that may be compromised. When none of the three headers is there,
// the request is refused: current browsers send one of them with every unsafe request.
// Safe methods (RFC 9110 §9.2.1) always pass: they must not change state. Never throws; the result
// says why it refused (for logs; no header values, so logs stay clean).
import type { IncomingHttpHeaders } from "node:http";

export type OriginCheckResult = { ok: true } | { ok: false; reason: string };

export interface OriginCheckOptions {
  /** This app's origin, e.g. "https://app.example" (scheme, host and non-default port). */
  appOrigin: string;
  /** Other exact origins allowed to send unsafe requests (a CORS allow-list), e.g. a front end. */
  allowedOrigins?: readonly string[];
}

const safeMethods = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

export function checkRequestOrigin(
  req: { method?: string | undefined; headers: IncomingHttpHeaders },
  options: OriginCheckOptions,
): OriginCheckResult {
  if (req.method !== undefined && safeMethods.has(req.method)) return { ok: true };
  const appOrigin = serializedOrigin(options.appOrigin);
  const origin = req.headers.origin;
  const allowListed = (value: string | undefined) =>
    value !== undefined && value !== "null" && (options.allowedOrigins ?? []).includes(value);
  const trusted = (value: string | undefined) => value !== undefined && (value === appOrigin || allowListed(value));

  const site = req.headers["sec-fetch-site"];
  if (site !== undefined) {
    if (site === "same-origin" || site === "none") return { ok: true };
    // A cross-origin front end on the allow-list sends `cross-site` (or `same-site`) plus its Origin.
    // Our own origin does not count here: the browser says another site was involved.
    if ((site === "cross-site" || site === "same-site") && allowListed(origin)) return { ok: true };
    return { ok: false, reason: `cross-origin request refused (Sec-Fetch-Site is not same-origin)` };
  }
  if (origin !== undefined) {
    return trusted(origin)
      ? { ok: true }
      : { ok: false, reason: "cross-origin request refused (Origin does not match)" };
  }
  const referer = req.headers.referer;
  if (referer !== undefined) {
    return trusted(serializedOrigin(referer))
      ? { ok: true }
      : { ok: false, reason: "cross-origin request refused (Referer does not match)" };
  }
  return { ok: false, reason: "request refused: no Sec-Fetch-Site, Origin or Referer header" };
}

// "https://App.Example:443/x" → "https://app.example", as browsers serialize Origin; undefined if unparsable.
function serializedOrigin(value: string): string | undefined {
  if (!URL.canParse(value)) return undefined;
  const origin = new URL(value).origin;
  return origin === "null" ? undefined : origin;
}
