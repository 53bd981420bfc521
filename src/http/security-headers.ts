// Baseline security headers for every response the building blocks send.
// Spec: Fetch Standard (X-Content-Type-Options), Referrer Policy, RFC 7034 (X-Frame-Options),
// CSP Level 3 (frame-ancestors, form-action, base-uri); OWASP HTTP Headers Cheat Sheet.
// Pitfall: without `nosniff` a browser may run an uploaded text or JSON body as HTML or script;
// without frame-ancestors/X-Frame-Options a login form can be framed for clickjacking.
// A header the response already has is kept: a route that needs another policy sets it first.
import type { ServerResponse } from "node:http";

/** Our pages load nothing but same-origin CSS and images, run no script, post forms only to us. */
export const htmlContentSecurityPolicy =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const securityHeaders: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  // same-origin: full URLs (which may hold return-to paths) never leak to other sites.
  "Referrer-Policy": "same-origin",
  // For browsers without CSP frame-ancestors support.
  "X-Frame-Options": "DENY",
  // Sent on every response, not only HTML: an error page or a JSON body opened directly in a tab is
  // rendered as a document too, and `default-src 'none'` costs nothing on non-HTML responses.
  "Content-Security-Policy": htmlContentSecurityPolicy,
};

// [name as sent, name as node:http keys it, value], computed once.
const securityHeaderList = Object.entries(securityHeaders)
  .map(([name, value]) => [name, name.toLowerCase(), value] as const);

/**
 * The baseline headers `res` doesn't carry yet, as a fresh object: send() hands it to one writeHead()
 * call with the body's own headers, instead of a setHeader() per header.
 */
export function missingSecurityHeaders(res: ServerResponse): Record<string, string> {
  const missing: Record<string, string> = {};
  for (const [name, lowerName, value] of securityHeaderList) {
    if (!res.hasHeader(lowerName)) missing[name] = value;
  }
  return missing;
}

// RFC 6797: for a year, the browser goes to this host over HTTPS only, so a later visit typed as
// http:// can't be intercepted and stripped of TLS (and of the Secure session cookie) on the way.
// No includeSubDomains or preload: both bind every subdomain, a decision for the site's owner.
const strictTransportSecurity = "max-age=31536000";

/**
 * Strict-Transport-Security on a response to an HTTPS request (decided from the socket or a trusted
 * proxy's header). Never over plain HTTP: browsers ignore it there (RFC 6797 §8.1), and a proxy
 * could cache it for an http:// URL.
 */
export function setStrictTransportSecurity(res: ServerResponse, isHttps: boolean): void {
  if (isHttps) res.setHeader("Strict-Transport-Security", strictTransportSecurity);
}

/** Sets the baseline headers `res` doesn't carry yet (for responses not sent through respond.ts). */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(missingSecurityHeaders(res))) res.setHeader(name, value);
}
