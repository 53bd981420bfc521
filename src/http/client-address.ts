// The client's IP address, for per-address limits such as the login throttle (R17).
// Spec: X-Forwarded-For (de facto; RFC 7239 `Forwarded` is not read). Without a proxy, the address
// the TCP connection came from. With trustProxy (exactly one reverse proxy of ours in front), the
// last entry of X-Forwarded-For: the one our proxy appended; earlier entries are whatever the client
// sent and are never believed.
// Some proxies (Azure App Service, IIS ARR) append the client's port too: "203.0.113.5:51234",
// "[2001:db8::1]:51234". The port is dropped; without that, every client would fall back to the
// proxy's own address and share one throttle bucket, so one attacker could lock everyone out.
// Pitfall: taking the first X-Forwarded-For entry lets every request claim a fresh address.
// Bad input: a missing or malformed header falls back to the socket's address; undefined if unknown.
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { ProxyOptions } from "./request-origin.ts";

// IPv4 "a.b.c.d:port", or an IPv6 address in brackets with an optional port (RFC 3986 §3.2.2).
const withPortRegExp = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}|\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?)$/;

export function clientAddress(req: IncomingMessage, options: ProxyOptions): string | undefined {
  if (options.trustProxy) {
    const header = req.headers["x-forwarded-for"];
    const last = (Array.isArray(header) ? header.join(",") : header)?.split(",").at(-1)?.trim();
    const address = last === undefined ? undefined : withoutPort(last);
    if (address !== undefined && isIP(address) !== 0) return address;
  }
  return req.socket.remoteAddress;
}

function withoutPort(entry: string): string {
  const match = withPortRegExp.exec(entry);
  return match === null ? entry : (match[1] ?? match[2]!);
}
