// CORS with credentials (src/http/cors.ts): exact allow-listed origins only, never `*`, always
// `Vary: Origin`; preflights answered for allowed origins and refused (403, no CORS headers) for others.
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { after, before, describe, it } from "node:test";
import { applyCors, createCorsPolicy, decideCors, readCorsOrigins } from "../../src/http/cors.ts";
import { sendText } from "../../src/http/respond.ts";
import { startServer, type TestServer } from "./server-for-tests.ts";

const app = "https://app.example";
const policy = createCorsPolicy({ allowedOrigins: [app, "http://localhost:5173"], exposedHeaders: ["Retry-After"] });
const preflightHeaders = (origin: string): IncomingHttpHeaders => ({
  origin,
  "access-control-request-method": "POST",
  "access-control-request-headers": "content-type",
});

describe("decideCors", () => {
  it("R20: answers an allowed origin's preflight with that exact origin, credentials, lists and Vary", () => {
    assert.deepEqual(decideCors(policy, { method: "OPTIONS", headers: preflightHeaders(app) }), {
      kind: "preflight",
      status: 204,
      headers: {
        "Access-Control-Allow-Origin": app,
        "Access-Control-Allow-Credentials": "true",
        Vary: "Origin",
        "Access-Control-Allow-Methods": "GET, HEAD, POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
      },
    });
  });

  it("R20: gives an allowed origin's actual request the origin, credentials, exposed headers and Vary", () => {
    assert.deepEqual(decideCors(policy, { method: "POST", headers: { origin: "http://localhost:5173" } }), {
      kind: "request",
      headers: {
        "Access-Control-Allow-Origin": "http://localhost:5173",
        "Access-Control-Allow-Credentials": "true",
        Vary: "Origin",
        "Access-Control-Expose-Headers": "Retry-After",
      },
    });
  });

  // Look-alikes of an allowed origin: another scheme, port, subdomain, suffix, case, trailing slash.
  const notAllowed = [
    "https://evil.example", "http://app.example", "https://app.example:8443", "https://sub.app.example",
    "https://app.example.evil.example", "https://APP.example", "https://app.example/", "null", "*", "",
  ];
  for (const origin of notAllowed) {
    it(`R20: gives ${JSON.stringify(origin)} a 403 preflight and its requests no CORS headers, only Vary`, () => {
      assert.deepEqual(decideCors(policy, { method: "OPTIONS", headers: preflightHeaders(origin) }), {
        kind: "preflight", status: 403, headers: { Vary: "Origin" },
      });
      assert.deepEqual(decideCors(policy, { method: "POST", headers: { origin } }), { kind: "request", headers: { Vary: "Origin" } });
    });
  }

  it("treats a request without Origin (same-origin GET, curl) as no CORS: only Vary", () => {
    assert.deepEqual(decideCors(policy, { method: "GET", headers: {} }), { kind: "request", headers: { Vary: "Origin" } });
  });

  it("treats OPTIONS without Access-Control-Request-Method as an ordinary request, not a preflight", () => {
    assert.equal(decideCors(policy, { method: "OPTIONS", headers: { origin: app } }).kind, "request");
  });

  it("adds nothing, not even Vary, when no origin is allowed", () => {
    const none = createCorsPolicy({ allowedOrigins: [] });
    assert.deepEqual(decideCors(none, { method: "GET", headers: { origin: app } }), { kind: "request", headers: {} });
    assert.deepEqual(decideCors(none, { method: "OPTIONS", headers: preflightHeaders(app) }), {
      kind: "preflight", status: 403, headers: {},
    });
  });

  it("never answers `*`, whatever the configuration", () => {
    for (const origin of [app, "http://localhost:5173"]) {
      const decision = decideCors(policy, { method: "GET", headers: { origin } });
      assert.notEqual(decision.headers["Access-Control-Allow-Origin"], "*");
    }
  });
});

describe("readCorsOrigins and createCorsPolicy", () => {
  it("reads a comma-separated list, skipping blanks; unset or empty is none", () => {
    assert.deepEqual(readCorsOrigins(" https://app.example , http://localhost:5173,,"), [app, "http://localhost:5173"]);
    assert.deepEqual(readCorsOrigins(undefined), []);
    assert.deepEqual(readCorsOrigins("  "), []);
  });

  const invalid: Array<[string, string]> = [
    ["*", `CORS_ORIGINS entry "*" is invalid: list exact origins such as https://app.example; "*" and "null" would let any page read your users' data`],
    ["null", `CORS_ORIGINS entry "null" is invalid: list exact origins such as https://app.example; "*" and "null" would let any page read your users' data`],
    ["app.example", `CORS_ORIGINS entry "app.example" is invalid: must be an http or https origin such as https://app.example`],
    ["ftp://app.example", `CORS_ORIGINS entry "ftp://app.example" is invalid: must be an http or https origin such as https://app.example`],
    ["https://app.example/", `CORS_ORIGINS entry "https://app.example/" is invalid: write it exactly as browsers send it: "https://app.example" (scheme://host[:port], no path or trailing slash)`],
    ["https://App.Example", `CORS_ORIGINS entry "https://App.Example" is invalid: write it exactly as browsers send it: "https://app.example" (scheme://host[:port], no path or trailing slash)`],
    ["https://app.example:443", `CORS_ORIGINS entry "https://app.example:443" is invalid: write it exactly as browsers send it: "https://app.example" (scheme://host[:port], no path or trailing slash)`],
    ["https://app.example/api", `CORS_ORIGINS entry "https://app.example/api" is invalid: write it exactly as browsers send it: "https://app.example" (scheme://host[:port], no path or trailing slash)`],
  ];
  for (const [entry, message] of invalid) {
    it(`refuses ${JSON.stringify(entry)} with a TypeError at start-up`, () => {
      assert.throws(() => readCorsOrigins(`http://localhost:5173,${entry}`), { name: "TypeError", message });
    });
  }

  it("checks the policy's own options too", () => {
    assert.throws(() => createCorsPolicy({ allowedOrigins: ["*"] }), {
      name: "TypeError",
      message: `CORS "allowedOrigins" entry "*" is invalid: list exact origins such as https://app.example; "*" and "null" would let any page read your users' data`,
    });
    assert.throws(() => createCorsPolicy({ allowedOrigins: [], allowedHeaders: ["Content-Type\r\nX-Evil: 1"] }), {
      name: "TypeError",
      message: `CORS "allowedHeaders" entry "Content-Type\r\nX-Evil: 1" is invalid: must be a token (RFC 9110 §5.6.2)`,
    });
    assert.throws(() => createCorsPolicy({ allowedOrigins: [], maxAgeSeconds: -1 }), {
      name: "TypeError",
      message: `CORS "maxAgeSeconds" is invalid: must be a whole number of seconds`,
    });
  });
});

describe("applyCors over HTTP", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((req, res) => {
      res.setHeader("Vary", "Accept"); // an earlier layer's Vary must survive
      if (applyCors(policy, req, res)) return;
      sendText(res, 200, "handled");
    });
  });
  after(() => server.close());

  it("answers an allowed preflight itself with 204 and no body", async () => {
    const response = await fetch(server.url, {
      method: "OPTIONS",
      headers: { Origin: app, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
    });
    assert.equal(response.status, 204);
    assert.equal(await response.text(), "");
    assert.equal(response.headers.get("access-control-allow-origin"), app);
    assert.equal(response.headers.get("vary"), "Accept, Origin");
  });

  it("answers a refused preflight with 403 and a JSON error, without CORS headers", async () => {
    const response = await fetch(server.url, {
      method: "OPTIONS",
      headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" },
    });
    assert.equal(response.status, 403);
    assert.deepEqual(await response.json(), { error: "This origin is not allowed to call this API (CORS_ORIGINS)" });
    assert.equal(response.headers.get("access-control-allow-origin"), null);
    assert.equal(response.headers.get("access-control-allow-credentials"), null);
  });

  it("lets other requests through to the handler, with the headers set", async () => {
    const response = await fetch(server.url, { headers: { Origin: app } });
    assert.equal(await response.text(), "handled");
    assert.equal(response.headers.get("access-control-allow-origin"), app);
    assert.equal(response.headers.get("access-control-allow-credentials"), "true");
    const other = await fetch(server.url, { headers: { Origin: "https://evil.example" } });
    assert.equal(await other.text(), "handled");
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });
});
