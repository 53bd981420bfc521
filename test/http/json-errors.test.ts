// JSON errors for a JSON API (src/http/json-errors.ts): HttpErrors become `{ "error": message }` with
// their status and headers whatever Accept says; other errors go on to the error boundary (500).
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { readJson } from "../../src/http/body.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { HttpError } from "../../src/http/http-error.ts";
import { sendJsonError, withJsonErrors } from "../../src/http/json-errors.ts";
import { sendJson } from "../../src/http/respond.ts";
import { startServer, type TestServer } from "./server-for-tests.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const handlers: Record<string, Handler> = {
  "/echo": async (req, res) => sendJson(res, 200, await readJson(req)),
  "/throttled": () => {
    throw new HttpError(429, "Slow down", { headers: { "Retry-After": "7" } });
  },
  "/crash": () => {
    throw new Error("secret internals");
  },
  "/half-sent": (_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": "100" });
    res.write("{");
    throw new HttpError(400, "too late to say so");
  },
  "/unauthorized": (_req, res) => sendJsonError(res, 401, "Not signed in"),
  "/prepared-then-throw": (_req, res) => {
    res.setHeader("Set-Cookie", "theme=dark; Path=/");
    res.setHeader("Cache-Control", "public, max-age=3600");
    res.setHeader("Content-Disposition", 'attachment; filename="report.json"');
    res.setHeader("Location", "/reports/1");
    res.setHeader("ETag", '"v1"');
    throw new HttpError(409, "Report already exists");
  },
};

describe("withJsonErrors", () => {
  let server: TestServer;
  const logged: string[] = [];
  before(async () => {
    const handler = withJsonErrors((req, res) => handlers[req.url ?? ""]!(req, res));
    server = await startServer(withErrorBoundary(handler, { log: (message) => logged.push(message) }));
  });
  after(() => server.close());

  it("passes successful answers through untouched", async () => {
    const response = await fetch(`${server.url}/echo`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "[1]" });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), [1]);
  });

  const bodyErrors: Array<[string, RequestInit, number, string]> = [
    ["malformed JSON", { body: "{", headers: { "Content-Type": "application/json" } }, 400, "Malformed JSON body"],
    ["a form body", { body: "a=1", headers: { "Content-Type": "application/x-www-form-urlencoded" } }, 415, "Unsupported Content-Type: expected application/json (UTF-8)"],
    ["text/plain", { body: "{}", headers: { "Content-Type": "text/plain" } }, 415, "Unsupported Content-Type: expected application/json (UTF-8)"],
    ["a body over 16 KiB", { body: `"${"x".repeat(20_000)}"`, headers: { "Content-Type": "application/json" } }, 413, "The request body is larger than 16384 bytes"],
  ];
  for (const [name, init, status, error] of bodyErrors) {
    it(`answers readJson's ${status} for ${name} in JSON, even for a client that accepts only text`, async () => {
      const response = await fetch(`${server.url}/echo`, { method: "POST", ...init, headers: { ...init.headers, Accept: "text/plain" } });
      assert.equal(response.status, status);
      assert.equal(response.headers.get("content-type"), "application/json");
      assert.deepEqual(await response.json(), { error });
    });
  }

  it("keeps the HttpError's headers (Retry-After)", async () => {
    const response = await fetch(`${server.url}/throttled`);
    assert.equal(response.status, 429);
    assert.equal(response.headers.get("retry-after"), "7");
    assert.deepEqual(await response.json(), { error: "Slow down" });
  });

  it("leaves other errors to the error boundary: a generic 500 that leaks nothing, logged", async () => {
    const response = await fetch(`${server.url}/crash`);
    assert.equal(response.status, 500);
    assert.equal(await response.text(), "Internal Server Error");
    assert.ok(logged.some((line) => line.includes('"/crash"')));
  });

  it("cannot change a response already under way: the connection is cut instead", async () => {
    await assert.rejects(async () => {
      const response = await fetch(`${server.url}/half-sent`);
      await response.text();
    });
  });

  it("drops the failed response's headers (download, Location, ETag) and makes the error uncacheable, keeping Set-Cookie", async () => {
    const response = await fetch(`${server.url}/prepared-then-throw`, { redirect: "manual" });
    assert.equal(response.status, 409);
    assert.equal(response.headers.get("content-disposition"), null);
    assert.equal(response.headers.get("location"), null);
    assert.equal(response.headers.get("etag"), null);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.deepEqual(response.headers.getSetCookie(), ["theme=dark; Path=/"]);
    assert.deepEqual(await response.json(), { error: "Report already exists" });
  });

  it("sendJsonError sends `{ error }` with the status", async () => {
    const response = await fetch(`${server.url}/unauthorized`);
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { error: "Not signed in" });
  });
});
