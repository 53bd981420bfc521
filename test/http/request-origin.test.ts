import assert from "node:assert/strict";
import { IncomingMessage, type IncomingHttpHeaders } from "node:http";
import { Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { requestIsHttps, requestOrigin } from "../../src/http/request-origin.ts";
import { sendText } from "../../src/http/respond.ts";
import { rawRequest, startServer, type TestServer } from "./server-for-tests.ts";

/** A request as node:http builds it, with the headers a client (or a proxy) sent. */
function fakeRequest(headers: IncomingHttpHeaders, options?: { tls?: boolean }): IncomingMessage {
  const socket = new Socket();
  // What a TLSSocket from https.createServer() reports.
  if (options?.tls) Object.assign(socket, { encrypted: true });
  Object.defineProperty(socket, "localAddress", { value: "127.0.0.1" });
  Object.defineProperty(socket, "localPort", { value: 3000 });
  const req = new IncomingMessage(socket);
  req.headers = headers;
  return req;
}

const direct = { trustProxy: false };
const behindProxy = { trustProxy: true };

describe("requestIsHttps", () => {
  it("ignores X-Forwarded-Proto unless trustProxy is set (any client can send it)", () => {
    assert.equal(requestIsHttps(fakeRequest({ "x-forwarded-proto": "https" }), direct), false);
  });

  it("is true on a TLS socket, whatever the headers say", () => {
    assert.equal(requestIsHttps(fakeRequest({ "x-forwarded-proto": "http" }, { tls: true }), direct), true);
    assert.equal(requestIsHttps(fakeRequest({ "x-forwarded-proto": "http" }, { tls: true }), behindProxy), true);
  });

  const forwarded: [header: string | undefined, expected: boolean][] = [
    ["https", true],
    ["HTTPS", true],
    [" https ", true],
    ["http", false],
    ["http, https", true], // the last entry is the one our proxy added
    ["https, http", false], // a client claimed https; our proxy saw http
    ["https, ", false],
    ["", false],
    ["wss", false],
    [undefined, false],
  ];
  for (const [header, expected] of forwarded) {
    it(`with trustProxy, X-Forwarded-Proto ${JSON.stringify(header)} means ${expected ? "HTTPS" : "not HTTPS"}`, () => {
      const headers = header === undefined ? {} : { "x-forwarded-proto": header };
      assert.equal(requestIsHttps(fakeRequest(headers), behindProxy), expected);
    });
  }
});

describe("requestOrigin", () => {
  it("builds scheme://host:port from the Host header", () => {
    assert.equal(requestOrigin(fakeRequest({ host: "localhost:3000" }), direct), "http://localhost:3000");
  });

  it("lowercases the host and drops the default port, as a browser's Origin does", () => {
    assert.equal(requestOrigin(fakeRequest({ host: "Example.COM:80" }), direct), "http://example.com");
    assert.equal(
      requestOrigin(fakeRequest({ host: "example.com:443", "x-forwarded-proto": "https" }), behindProxy),
      "https://example.com",
    );
    assert.equal(requestOrigin(fakeRequest({ host: "example.com:443" }), direct), "http://example.com:443");
  });

  it("keeps a bracketed IPv6 host", () => {
    assert.equal(requestOrigin(fakeRequest({ host: "[::1]:8080" }), direct), "http://[::1]:8080");
  });

  it("uses X-Forwarded-Host (its last entry) only with trustProxy", () => {
    const headers = { host: "127.0.0.1:3000", "x-forwarded-host": "evil.example, app.example.com", "x-forwarded-proto": "https" };
    assert.equal(requestOrigin(fakeRequest(headers), behindProxy), "https://app.example.com");
    assert.equal(requestOrigin(fakeRequest(headers), direct), "http://127.0.0.1:3000");
  });

  const malformedHosts = ["evil.example/path", "a b", "user@evil.example", "example.com:99999", "example.com:", "", "exa\u0000mple.com"];
  for (const host of malformedHosts) {
    it(`falls back to the connection's address for the Host ${JSON.stringify(host)}`, () => {
      assert.equal(requestOrigin(fakeRequest({ host }), direct), "http://127.0.0.1:3000");
    });
  }

  it("falls back to the connection's address when Host is missing", () => {
    assert.equal(requestOrigin(fakeRequest({}), direct), "http://127.0.0.1:3000");
  });
});

describe("requestOrigin over HTTP", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer((req, res) => sendText(res, 200, requestOrigin(req, direct)));
  });
  after(() => server.close());

  it("reads the Host header fetch sends", async () => {
    assert.equal(await (await fetch(`${server.url}/`)).text(), server.url);
  });

  it("answers an HTTP/1.0 request without Host with the address it arrived on", async () => {
    const reply = await rawRequest(server.port, "GET / HTTP/1.0\r\n\r\n");
    assert.ok(reply.endsWith(`\r\n\r\n${server.url}`), reply);
  });
});
