import assert from "node:assert/strict";
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import net from "node:net";
import { readBody } from "../../src/http/body.ts";
import { html } from "../../src/http/html.ts";
import { redirect, sendError, sendHtml, sendJson, sendNoContent, sendText } from "../../src/http/respond.ts";
import { htmlContentSecurityPolicy } from "../../src/http/security-headers.ts";
import { startServer, type TestServer } from "./server-for-tests.ts";

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  "/text": (_req, res) => sendText(res, 200, "héllo"),
  "/html": (_req, res) => sendHtml(res, 200, html`<p>${"<b>"}</p>`),
  "/json": (_req, res) => sendJson(res, 201, { name: "ü" }),
  "/no-content": (_req, res) => sendNoContent(res, { "X-Done": "yes" }),
  "/redirect": (_req, res) => redirect(res, "/login"),
  "/redirect-307": (_req, res) => redirect(res, "/elsewhere?x=1", 307),
  "/keep-session-headers": (_req, res) => {
    // What the session manager does before the route writes its response.
    res.setHeader("Set-Cookie", "sid=abc; Path=/; HttpOnly");
    res.setHeader("Cache-Control", "no-store");
    sendText(res, 200, "ok", { "Set-Cookie": "theme=dark; Path=/", "Cache-Control": "public, max-age=60", "X-Extra": "1" });
  },
  "/cache-when-no-session": (_req, res) => sendText(res, 200, "ok", { "Cache-Control": "public, max-age=60" }),
  "/own-csp": (_req, res) => {
    res.setHeader("Content-Security-Policy", "default-src 'self'");
    sendHtml(res, 200, html`<p>x</p>`);
  },
  "/error": (req, res) => sendError(req, res, 409, "That name is taken"),
  "/refuse": (_req, res) => sendText(res, 403, "Forbidden"), // answers without reading the body
  "/refuse-empty": (_req, res) => sendNoContent(res),
  "/read-then-answer": (req, res) => {
    readBody(req, { maxBytes: 1024 }).then((body) => sendText(res, 200, `read ${body.length} bytes`));
  },
};

describe("respond helpers over HTTP", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((req, res) => routes[req.url ?? ""]?.(req, res));
  });
  after(() => server.close());

  function assertSecurityHeaders(response: Response): void {
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("referrer-policy"), "same-origin");
    assert.equal(response.headers.get("x-frame-options"), "DENY");
    assert.equal(response.headers.get("content-security-policy"), htmlContentSecurityPolicy);
  }

  it("sendText sends UTF-8 text with its byte length and the security headers", async () => {
    const response = await fetch(`${server.url}/text`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(response.headers.get("content-length"), "6"); // "é" is two bytes
    assertSecurityHeaders(response);
    assert.equal(await response.text(), "héllo");
  });

  it("sendHtml sends escaped HTML as text/html with the CSP", async () => {
    const response = await fetch(`${server.url}/html`);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    assertSecurityHeaders(response);
    assert.equal(await response.text(), "<p>&lt;b&gt;</p>");
  });

  it("the baseline CSP forbids framing (clickjacking), scripts, <base> and form posts to other sites", async () => {
    const response = await fetch(`${server.url}/html`);
    await response.text();
    // Compared directive by directive, not to the exported constant, which a change would update too.
    const directives = new Set((response.headers.get("content-security-policy") ?? "").split(";").map((d) => d.trim()));
    for (const directive of ["default-src 'none'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"]) {
      assert.ok(directives.has(directive), directive);
    }
    assert.ok(![...directives].some((d) => d.startsWith("script-src")), "no script-src: default-src 'none' blocks scripts");
  });

  it("sendJson sends the status, application/json and the exact length", async () => {
    const response = await fetch(`${server.url}/json`);
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.equal(response.headers.get("content-length"), String(Buffer.byteLength(`{"name":"ü"}`)));
    assert.deepEqual(await response.json(), { name: "ü" });
  });

  it("sendNoContent sends 204 without Content-Type or Content-Length", async () => {
    const response = await fetch(`${server.url}/no-content`);
    assert.equal(response.status, 204);
    assert.equal(response.headers.get("content-type"), null);
    assert.equal(response.headers.get("content-length"), null);
    assert.equal(response.headers.get("x-done"), "yes");
    assertSecurityHeaders(response);
  });

  it("redirect sends 303 with Location and a short text body", async () => {
    const response = await fetch(`${server.url}/redirect`, { redirect: "manual" });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/login");
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await response.text(), "Redirecting to /login");
  });

  it("redirect takes another redirect status", async () => {
    const response = await fetch(`${server.url}/redirect-307`, { redirect: "manual" });
    assert.equal(response.status, 307);
    assert.equal(response.headers.get("location"), "/elsewhere?x=1");
  });

  it("R09: keeps the session's Set-Cookie and Cache-Control: no-store already on the response", async () => {
    const response = await fetch(`${server.url}/keep-session-headers`);
    assert.deepEqual(response.headers.getSetCookie(), ["sid=abc; Path=/; HttpOnly", "theme=dark; Path=/"]);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(response.headers.get("x-extra"), "1");
  });

  it("sets the route's Cache-Control when none is there yet", async () => {
    const response = await fetch(`${server.url}/cache-when-no-session`);
    assert.equal(response.headers.get("cache-control"), "public, max-age=60");
  });

  it("keeps a Content-Security-Policy the route set itself", async () => {
    const response = await fetch(`${server.url}/own-csp`);
    assert.equal(response.headers.get("content-security-policy"), "default-src 'self'");
  });

  it("answers HEAD with the same headers and no body", async () => {
    const response = await fetch(`${server.url}/text`, { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-length"), "6");
    assert.equal(await response.text(), "");
  });

  it("sendError answers text by default and JSON when Accept prefers it", async () => {
    const text = await fetch(`${server.url}/error`);
    assert.equal(text.status, 409);
    assert.equal(text.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await text.text(), "That name is taken");
    const json = await fetch(`${server.url}/error`, { headers: { Accept: "application/json" } });
    assert.equal(json.status, 409);
    assert.equal(json.headers.get("content-type"), "application/json");
    assert.deepEqual(await json.json(), { error: "That name is taken" });
  });
});

describe("respond helpers and a request body nobody read", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((req, res) => routes[req.url ?? ""]?.(req, res));
  });
  after(() => server.close());

  const kib64 = Buffer.alloc(64 * 1024, "a");
  const uploads = {
    "Content-Length": { framing: "Content-Length: 10000000\r\n", firstBytes: kib64 }, // 10 MB announced
    chunked: { framing: "Transfer-Encoding: chunked\r\n", firstBytes: Buffer.concat([Buffer.from("10000\r\n"), kib64, Buffer.from("\r\n")]) },
  };

  // Starts an upload, sends its first 64 KiB and no more; resolves with the response head once it
  // arrives, and a promise of the server closing the connection.
  function refusedUpload(path: string, upload: { framing: string; firstBytes: Buffer }): Promise<{ head: string; closedByServer: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(server.port, "127.0.0.1");
      let received = "";
      const closedByServer = new Promise<void>((closed) => socket.once("close", () => closed()));
      socket.on("error", () => {}); // a reset after the answer is fine: we only need the answer
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("latin1");
        const end = received.indexOf("\r\n\r\n");
        if (end !== -1) resolve({ head: received.slice(0, end), closedByServer });
      });
      socket.once("close", () => reject(new Error(`closed before answering: ${JSON.stringify(received)}`)));
      socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n${upload.framing}\r\n`);
      socket.write(upload.firstBytes);
    });
  }

  for (const [label, upload] of Object.entries(uploads)) {
    it(`closes the connection after answering before the body was read (${label}), so the rest is never read`, async () => {
      const { head, closedByServer } = await refusedUpload("/refuse", upload);
      assert.match(head, /^HTTP\/1\.1 403/);
      assert.match(head, /\r\nConnection: close/i);
      await closedByServer;
    });
  }

  it("does the same for a 204", async () => {
    const { head, closedByServer } = await refusedUpload("/refuse-empty", uploads["Content-Length"]);
    assert.match(head, /^HTTP\/1\.1 204/);
    assert.match(head, /\r\nConnection: close/i);
    await closedByServer;
  });

  it("keeps the connection alive without a body, and after a body read to its end", async () => {
    const get = await fetch(`${server.url}/refuse`);
    assert.equal(get.headers.get("connection"), "keep-alive");
    await get.text();
    const post = await fetch(`${server.url}/read-then-answer`, { method: "POST", body: "0123456789" });
    assert.equal(await post.text(), "read 10 bytes");
    assert.equal(post.headers.get("connection"), "keep-alive");
  });
});

describe("respond helpers refuse programmer errors", () => {
  const newResponse = () => new ServerResponse(new IncomingMessage(new Socket()));

  it("sendHtml refuses a plain string", () => {
    assert.throws(() => sendHtml(newResponse(), 200, "<p>x</p>" as never), {
      name: "TypeError",
      message: "sendHtml \"body\" is invalid: must be SafeHtml from html`…`",
    });
  });

  for (const status of [99, 204, 304, 600, 200.5]) {
    it(`sendText refuses the status ${status}`, () => {
      assert.throws(() => sendText(newResponse(), status, "x"), {
        name: "TypeError",
        message: `response "status" is invalid: must be an integer from 200 to 599 with a body (not 204 or 304)`,
      });
    });
  }

  it("sendJson refuses a value JSON cannot represent", () => {
    assert.throws(() => sendJson(newResponse(), 200, undefined), {
      name: "TypeError",
      message: `sendJson "value" is invalid: must be serializable to JSON`,
    });
  });

  for (const status of [200, 304, 300]) {
    it(`redirect refuses the status ${status}`, () => {
      assert.throws(() => redirect(newResponse(), "/", status), {
        name: "TypeError",
        message: `redirect "status" is invalid: must be 301, 302, 303, 307 or 308 (RFC 9110 §15.4)`,
      });
    });
  }

  for (const location of ["", "/a\r\nSet-Cookie: sid=evil", "/a\nb", "/a\u0000"]) {
    it(`redirect refuses the location ${JSON.stringify(location)} (header injection)`, () => {
      assert.throws(() => redirect(newResponse(), location), {
        name: "TypeError",
        message: `redirect "location" is invalid: must be a non-empty URL without control characters`,
      });
    });
  }
});
