// Start and stop a node:http server the way a demo (and a test) needs.
// listen() resolves with the real base URL, so PORT=0 (the OS picks a free port) works.
// closeGracefully() stops accepting connections, lets in-flight requests finish and closes idle
// keep-alive sockets (also those that become idle meanwhile), which would otherwise hold
// server.close() open for as long as the keep-alive timeout (5 seconds by default).
import type { Server } from "node:http";
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

export function closeGracefully(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) return resolve();
    // A request in flight now leaves its keep-alive connection idle once answered, and close() waits
    // for that connection too: sweep again until close() completes, so it closes within idleSweepMs.
    const sweep = setInterval(() => server.closeIdleConnections(), idleSweepMs);
    server.close((error) => {
      clearInterval(sweep);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
