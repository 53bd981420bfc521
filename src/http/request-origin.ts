// Was this request made over HTTPS, and what origin (scheme://host[:port]) did the browser use?
// Spec: RFC 6454 §6.2 (origin serialization; default ports omitted), RFC 9110 §7.2 (Host),
// X-Forwarded-Proto/-Host (de facto; RFC 7239 `Forwarded` is not read).
// Pitfall: trusting X-Forwarded-* without a proxy lets any client claim HTTPS or any host; so they
// are read only with trustProxy, which means: exactly one reverse proxy you run sits in front and
// sets them. With a list ("https, http") the last entry is the one that proxy added.
// Bad input: a missing or malformed Host falls back to the address the connection arrived on.
import type { IncomingMessage } from "node:http";

export interface ProxyOptions {
  /** true only behind your own reverse proxy (TRUST_PROXY=1); never on a directly reachable server. */
  trustProxy: boolean;
}

// reg-name or IPv4 (RFC 3986 §3.2.2, letters/digits/"-"/"."), or a bracketed IPv6 literal; optional port.
const hostRegExp = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

export function requestIsHttps(req: IncomingMessage, options: ProxyOptions): boolean {
  // A TLS socket (https.createServer) is the only proof that needs no trust.
  if ("encrypted" in req.socket && req.socket.encrypted === true) return true;
  if (!options.trustProxy) return false;
  return lastListValue(req.headers["x-forwarded-proto"])?.toLowerCase() === "https";
}

export function requestOrigin(req: IncomingMessage, options: ProxyOptions): string {
  const scheme = requestIsHttps(req, options) ? "https" : "http";
  const forwardedHost = options.trustProxy ? lastListValue(req.headers["x-forwarded-host"]) : undefined;
  const candidate = forwardedHost ?? req.headers.host?.trim();
  const host = candidate !== undefined && isValidHost(candidate) ? candidate.toLowerCase() : socketHost(req);
  // Browsers send Origin without the default port; so must we, or the comparison fails (RFC 6454 §6.2).
  const defaultPort = scheme === "https" ? ":443" : ":80";
  return `${scheme}://${host.endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host}`;
}

/** The last comma-separated value of a header (node:http joins repeated X-Forwarded-* with ", "). */
function lastListValue(header: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(header) ? header.join(",") : header;
  const last = joined?.split(",").at(-1)?.trim();
  return last ? last : undefined;
}

function isValidHost(host: string): boolean {
  const match = hostRegExp.exec(host);
  return match !== null && (match[1] === undefined || Number(match[1]) <= 65535);
}

function socketHost(req: IncomingMessage): string {
  const address = req.socket.localAddress ?? "localhost";
  const hostPart = address.includes(":") ? `[${address}]` : address;
  return req.socket.localPort === undefined ? hostPart : `${hostPart}:${req.socket.localPort}`;
}
