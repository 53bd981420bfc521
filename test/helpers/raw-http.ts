// Sends bytes a well-behaved client (fetch) refuses to send: binary or control characters in a
// header, a request line of our choosing. Opens a TCP connection, writes the request as given, reads
// until the server closes the connection (the request should say "Connection: close") or the
// timeout passes, and parses the status line.
//
//   const reply = await rawRequest(app.baseUrl, "GET / HTTP/1.1\r\nHost: x\r\nCookie: \x00\r\nConnection: close\r\n\r\n");
//   reply.status   // 400 (Node's parser refused the header), reply.head, reply.body
import net from "node:net";

export interface RawReply {
  /** The status code, or 0 when the server closed the connection without answering. */
  status: number;
  /** Status line and headers, as received. */
  head: string;
  body: string;
}

export function rawRequest(baseUrl: string, request: string | Buffer, timeoutMs = 5000): Promise<RawReply> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply within ${timeoutMs} ms`)));
    socket.on("connect", () => socket.end(typeof request === "string" ? Buffer.from(request, "latin1") : request));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      const head = split === -1 ? text : text.slice(0, split);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: split === -1 ? "" : text.slice(split + 4) });
    });
  });
}
