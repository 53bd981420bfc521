// raw node:http answering through our sendText() (src/http/respond.ts): the same response the steps
// send (security headers, exact Content-Length) and still no session. Between this row and raw is the
// cost of those headers; between this row and step 02, the cost of the session itself.
import http from "node:http";
import { sendText } from "../../src/http/respond.ts";
import { serve } from "./serve.ts";

const server = http.createServer((req, res) => {
  if (req.url !== "/") return sendText(res, 404, "Not Found");
  sendText(res, 200, "Views: 1");
});

await serve(server);
