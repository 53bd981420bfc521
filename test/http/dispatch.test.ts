import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dispatch, requestPath, requestQuery, type RouteHandler } from "../../src/http/dispatch.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { sendText } from "../../src/http/respond.ts";
import { Router } from "../../src/http/router.ts";
import { rawRequest, startServer, type TestServer } from "./server-for-tests.ts";

interface Context {
  greeting: string;
}

describe("dispatch over HTTP", () => {
  let server: TestServer;
  before(async () => {
    const router = new Router<RouteHandler<Context>>()
      .add("GET", "/", (_req, res, _params, context) => sendText(res, 200, context.greeting))
      .add("GET", "/users/:name", (_req, res, params) => sendText(res, 200, `user ${params.name}`))
      .add("POST", "/users/:name", (_req, res) => sendText(res, 200, "updated"))
      .add("GET", "/fail", async () => {
        throw new Error("boom");
      });
    const context: Context = { greeting: "hello" };
    server = await startServer(withErrorBoundary((req, res) => dispatch(router, req, res, context), { log: () => {} }));
  });
  after(() => server.close());

  it("runs the matching handler with its params and the context", async () => {
    assert.equal(await (await fetch(`${server.url}/`)).text(), "hello");
    assert.equal(await (await fetch(`${server.url}/users/J%C3%BCrgen?tab=posts`)).text(), "user Jürgen");
  });

  it("answers 404 for an unknown path", async () => {
    const response = await fetch(`${server.url}/nope`);
    assert.equal(response.status, 404);
    assert.equal(await response.text(), "Not Found");
  });

  it("answers 404 in JSON for a client that prefers JSON", async () => {
    const response = await fetch(`${server.url}/nope`, { headers: { Accept: "application/json" } });
    assert.deepEqual(await response.json(), { error: "Not Found" });
  });

  it("answers 405 with an Allow header for a known path and a wrong method", async () => {
    const response = await fetch(`${server.url}/users/ada`, { method: "DELETE" });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD, POST");
    assert.equal(await response.text(), "Method Not Allowed");
  });

  it("serves HEAD with the GET handler, without a body", async () => {
    const response = await fetch(`${server.url}/users/ada`, { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-length"), "8");
    assert.equal(await response.text(), "");
  });

  it("answers 400 for a malformed percent-escape instead of crashing", async () => {
    const response = await fetch(`${server.url}/users/%E0%A4%A`);
    assert.equal(response.status, 400);
    assert.equal(await response.text(), "Malformed percent-encoding in the URL path");
    assert.equal((await fetch(`${server.url}/`)).status, 200);
  });

  it("routes an absolute-form request target by its path", async () => {
    const reply = await rawRequest(server.port, "GET http://example.com/users/ada HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
    assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(reply.endsWith("\r\n\r\nuser ada"));
  });

  it("answers 400 for a request target that is not a path", async () => {
    const reply = await rawRequest(server.port, "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.ok(reply.endsWith("\r\n\r\nThe request target must be a path"));
  });

  it("lets the error boundary turn a handler's rejection into a 500", async () => {
    const response = await fetch(`${server.url}/fail`);
    assert.equal(response.status, 500);
  });
});

describe("requestQuery", () => {
  it("reads everything after the first \"?\", so a \"?\" inside a value is kept", () => {
    assert.equal(requestQuery("/login?returnTo=/password?from=menu&x=1").get("returnTo"), "/password?from=menu");
    assert.equal(requestQuery("/login?returnTo=/password?from=menu&x=1").get("x"), "1");
  });
  it("is empty without a query or a URL", () => {
    assert.equal(requestQuery("/login").toString(), "");
    assert.equal(requestQuery(undefined).toString(), "");
  });
});

describe("requestPath", () => {
  const cases: [url: string | undefined, path: string | null][] = [
    ["/", "/"],
    ["/users/ada?tab=1", "/users/ada"],
    ["/a#frag", "/a"],
    ["/a%2Fb?x", "/a%2Fb"],
    ["/a/../b", "/a/../b"], // left for the router: never normalized behind its back
    ["http://example.com/users?x=1", "/users"],
    ["https://example.com", "/"],
    ["http://example.com?x=1", "/"],
    ["*", null],
    ["", null],
    ["users", null],
    [undefined, null],
  ];
  for (const [url, path] of cases) {
    it(`reads ${JSON.stringify(path)} from ${JSON.stringify(url)}`, () => {
      assert.equal(requestPath(url), path);
    });
  }
});
