// Start and stop a node:http server the way a demo (and a test) needs.
// listen() resolves with the real base URL, so PORT=0 (the OS picks a free port) works.
// closeGracefully() stops accepting connections, lets in-flight requests finish and closes idle
// keep-alive sockets (also those that become idle meanwhile), which would otherwise hold
// server.close() open for as long as the keep-alive timeout (5 seconds by default); after a grace
// period it closes every connection left, so a silent or half-sent request can't keep it open forever.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export function listen(server: Server, options: { port: number; host: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once("error", onError);
    server.listen(options.port, options.host, () => {
      server.off("error", onError);
      const { address, port } = server.address() as AddressInfo;
      // An IPv6 literal needs brackets inside a URL (RFC 3986 §3.2.2).
      const hostPart = address.includes(":") ? `[${address}]` : address;
      resolve(`http://${hostPart}:${port}`);
    });
  });
}

const idleSweepMs = 50;
const defaultGraceMs = 10_000;

// A second call while the first is still draining gets the same promise, not an early "done".
const closing = new WeakMap<Server, Promise<void>>();

/**
 * Stops accepting connections, lets requests in flight finish, answers requests still arriving on
 * open connections with `Connection: close`, closes keep-alive connections as they become idle, and
 * after `graceMs` (default 10 s) closes whatever is left: a client that opened a connection and never
 * sent a request, or sent half of one, or a handler that never answers would otherwise keep the
 * process from exiting (server.close() also stops Node's header and request timeouts). Resolves once
 * the server is closed. An answer already under way still says keep-alive; a request its client sends
 * in the moment before the sweep closes that connection goes unanswered, and clients retry such
 * requests when they are idempotent (RFC 9112 §9.3.1). "In flight" means on an open connection: a
 * handler whose client already hung up has no connection to wait for, so the process may exit while
 * it still works. Its file writes are atomic (old or new version), but a handler with two steps (a
 * password change, then deleting the other sessions) can be cut between them, as by a crash.
 */
export function closeGracefully(server: Server, options: { graceMs?: number } = {}): Promise<void> {
  const running = closing.get(server);
  if (running !== undefined) return running;
  if (!server.listening) return Promise.resolve();
  const graceMs = options.graceMs ?? defaultGraceMs;
  const done = new Promise<void>((resolve, reject) => {
    // First among the request listeners, so it runs before a handler can send its headers.
    const closeAfterAnswer = (_req: IncomingMessage, res: ServerResponse) => {
      res.shouldKeepAlive = false;
    };
    server.prependListener("request", closeAfterAnswer);
    // A request in flight now leaves its keep-alive connection idle once answered, and close() waits
    // for that connection too: sweep again until close() completes, so it closes within idleSweepMs.
    const sweep = setInterval(() => server.closeIdleConnections(), idleSweepMs);
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close((error) => {
      clearInterval(sweep);
      clearTimeout(deadline);
      server.off("request", closeAfterAnswer);
      closing.delete(server);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
  closing.set(server, done);
  return done;
}
