// The ceiling: plain node:http answering the same text as the view counters, with no session.
// Same status, content type and a similar body size, so the difference to every other row is the
// cost of the session (cookie parsing, signing, store, headers), not of the response.
import http from "node:http";
import { serve } from "./serve.ts";

const body = "Views: 1";
const server = http.createServer((req, res) => {
  if (req.url !== "/") {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("Not Found");
    return;
  }
  res.writeHead(200, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
  });
  res.end(body);
});

await serve(server);
