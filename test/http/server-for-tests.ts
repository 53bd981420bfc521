// Test helpers for test/http: a node:http server on 127.0.0.1, port 0, closed after use, and a raw
// TCP client for requests fetch() refuses to send (truncated bodies, unnormalized paths).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import net from "node:net";
import { closeGracefully, listen } from "../../src/http/listen.ts";

export interface TestServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const server = createServer(handler);
  const url = await listen(server, { port: 0, host: "127.0.0.1" });
  return {
    url,
    port: Number(new URL(url).port),
    server,
    close: async () => {
      // Raw sockets left half-way through a request would keep close() waiting.
      server.closeAllConnections();
      await closeGracefully(server);
    },
  };
}

/** Sends `request` as is and resolves with everything the server sent before closing. */
export function rawRequest(port: number, request: string | Buffer, options?: { end?: boolean }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(received).toString("latin1")));
    socket.write(request);
    // end: false keeps our side open, as a client still uploading would.
    if (options?.end !== false) socket.end();
  });
}

/** A promise with its resolve function outside (Promise.withResolvers is Node 22+). */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
