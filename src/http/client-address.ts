// The client's IP address, for per-address limits such as the login throttle (R17).
// Spec: X-Forwarded-For (de facto; RFC 7239 `Forwarded` is not read). Without a proxy, the address
// the TCP connection came from. With trustProxy (exactly one reverse proxy of ours in front), the
// last entry of X-Forwarded-For: the one our proxy appended; earlier entries are whatever the client
// sent and are never believed.
// Pitfall: taking the first X-Forwarded-For entry lets every request claim a fresh address.
// Bad input: a missing or malformed header falls back to the socket's address; undefined if unknown.
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { ProxyOptions } from "./request-origin.ts";

export function clientAddress(req: IncomingMessage, options: ProxyOptions): string | undefined {
  if (options.trustProxy) {
    const header = req.headers["x-forwarded-for"];
    const last = (Array.isArray(header) ? header.join(",") : header)?.split(",").at(-1)?.trim();
    if (last !== undefined && isIP(last) !== 0) return last;
  }
  return req.socket.remoteAddress;
}
