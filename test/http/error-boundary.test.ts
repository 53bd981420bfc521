import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, beforeEach, describe, it } from "node:test";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { HttpError } from "../../src/http/http-error.ts";
import { sendText } from "../../src/http/respond.ts";
import { startServer, type TestServer } from "./server-for-tests.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

// A connection left open would also make fetch reject, but only minutes later at its own timeout:
// give up after 3 s, and accept only fetch's "fetch failed" (the server closed it), not our abort.
const closedWithin = () => AbortSignal.timeout(3_000);
const closedByServer = (error: unknown) => error instanceof TypeError && error.message === "fetch failed";

const handlers: Record<string, Handler> = {
  "/ok": (_req, res) => sendText(res, 200, "fine"),
  "/throw": () => {
    throw new Error("database password is hunter2");
  },
  "/reject": async () => {
    await Promise.resolve();
    throw new Error("async failure");
  },
  "/throw-string": () => {
    throw "not an Error";
  },
  "/conflict": () => {
    throw new HttpError(409, "That name is taken");
  },
  "/throttled": async () => {
    throw new HttpError(429, "Too many attempts, try again later", { headers: { "Retry-After": "30" } });
  },
  "/unavailable": () => {
    throw new HttpError(503, "Sessions cannot be saved right now. Please try again later.", { cause: new Error("EROFS") });
  },
  "/half-sent": (_req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": "100" });
    res.write("partial");
    throw new Error("failed mid-body");
  },
  "/after-end": (_req, res) => {
    sendText(res, 200, "complete");
    throw new Error("failed after the response");
  },
  "/prepared-then-throw": (_req, res) => {
    res.setHeader("Set-Cookie", "sid=abc; Path=/");
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    res.setHeader("Content-Length", "1000");
    res.setHeader("Location", "/somewhere");
    throw new Error("failed while preparing");
  },
  "/cacheable-then-throw": (_req, res) => {
    res.setHeader("Cache-Control", "public, max-age=3600");
    res.setHeader("ETag", '"v1"');
    res.setHeader("Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT");
    throw new HttpError(503, "Try again later");
  },
  "/bad-error-header": () => {
    throw new HttpError(400, "Bad", { headers: { "X-Bad": "a\r\nb" } });
  },
};

describe("withErrorBoundary", () => {
  let server: TestServer;
  const logged: { message: string; error: unknown }[] = [];
  before(async () => {
    const log = (message: string, error?: unknown) => void logged.push({ message, error });
    server = await startServer(
      withErrorBoundary((req, res) => handlers[(req.url ?? "").split("?")[0] ?? ""]?.(req, res), { log }),
    );
  });
  after(() => server.close());
  beforeEach(() => {
    logged.length = 0;
  });

  it("turns a thrown Error into a logged 500 with a generic body, and keeps serving", async () => {
    const response = await fetch(`${server.url}/throw`);
    assert.equal(response.status, 500);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await response.text(), "Internal Server Error");
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.message, `Error while handling GET "/throw"`);
    assert.ok(logged[0]?.error instanceof Error);
    assert.equal(logged[0].error.message, "database password is hunter2");
    // The process is alive and the server answers the next request.
    const next = await fetch(`${server.url}/ok`);
    assert.equal(await next.text(), "fine");
  });

  it("turns an async handler's rejection into a 500", async () => {
    const response = await fetch(`${server.url}/reject`);
    assert.equal(response.status, 500);
    assert.equal(await response.text(), "Internal Server Error");
    assert.equal(logged[0]?.message, `Error while handling GET "/reject"`);
  });

  it("turns a thrown non-Error value into a 500", async () => {
    const response = await fetch(`${server.url}/throw-string`);
    assert.equal(response.status, 500);
    assert.equal(logged[0]?.error, "not an Error");
  });

  it("answers 500 in JSON when the client prefers JSON", async () => {
    const response = await fetch(`${server.url}/throw`, { headers: { Accept: "application/json" } });
    assert.equal(response.status, 500);
    assert.deepEqual(await response.json(), { error: "Internal Server Error" });
  });

  it("never logs the query string, which may hold codes or tokens", async () => {
    await fetch(`${server.url}/throw?code=secret-authorization-code`);
    assert.equal(logged[0]?.message, `Error while handling GET "/throw"`);
  });

  it("sends an HttpError's status and public message without logging it", async () => {
    const response = await fetch(`${server.url}/conflict`);
    assert.equal(response.status, 409);
    assert.equal(await response.text(), "That name is taken");
    assert.equal(logged.length, 0);
  });

  it("sends an HttpError as JSON when Accept prefers JSON", async () => {
    const response = await fetch(`${server.url}/conflict`, { headers: { Accept: "application/json" } });
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.deepEqual(await response.json(), { error: "That name is taken" });
  });

  it("sends an HttpError's headers, such as Retry-After on a 429", async () => {
    const response = await fetch(`${server.url}/throttled`);
    assert.equal(response.status, 429);
    assert.equal(response.headers.get("retry-after"), "30");
    assert.equal(await response.text(), "Too many attempts, try again later");
  });

  it("logs a 5xx HttpError with its cause, and sends only the public message", async () => {
    const response = await fetch(`${server.url}/unavailable`);
    assert.equal(response.status, 503);
    assert.equal(await response.text(), "Sessions cannot be saved right now. Please try again later.");
    assert.equal(logged[0]?.message, `Error while handling GET "/unavailable"`);
    assert.ok(logged[0]?.error instanceof HttpError);
    assert.equal((logged[0].error.cause as Error).message, "EROFS");
  });

  it("destroys the connection when the response had already started", async () => {
    // Whether the status line got out first or not, the client never sees a complete response.
    await assert.rejects(async () => {
      const response = await fetch(`${server.url}/half-sent`);
      await response.text();
    });
    assert.equal(logged[0]?.message, `Error while handling GET "/half-sent"`);
  });

  it("leaves a complete response alone when the handler throws after it", async () => {
    const response = await fetch(`${server.url}/after-end`);
    assert.equal(await response.text(), "complete");
    assert.equal(logged[0]?.message, `Error while handling GET "/after-end"`);
  });

  it("drops the failed response's Content-* and Location headers but keeps Set-Cookie", async () => {
    const response = await fetch(`${server.url}/prepared-then-throw`, { redirect: "manual" });
    assert.equal(response.status, 500);
    assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(response.headers.get("content-length"), "21");
    assert.equal(response.headers.get("location"), null);
    assert.deepEqual(response.headers.getSetCookie(), ["sid=abc; Path=/"]);
    assert.equal(await response.text(), "Internal Server Error");
  });

  it("never lets a cache keep an error: Cache-Control becomes no-store, the failed response's validators go", async () => {
    // A shared cache would otherwise serve this 503 for an hour, under the handler's max-age.
    const response = await fetch(`${server.url}/cacheable-then-throw`);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(response.headers.get("etag"), null);
    assert.equal(response.headers.get("last-modified"), null);
    assert.equal(await response.text(), "Try again later");
  });

  it("closes the connection, logged, when even the error response cannot be sent", async () => {
    await assert.rejects(fetch(`${server.url}/bad-error-header`, { signal: closedWithin() }), closedByServer);
    assert.equal(logged[0]?.message, `Could not send the error response for GET "/bad-error-header"`);
    assert.equal((await fetch(`${server.url}/ok`)).status, 200);
  });
});

describe("withErrorBoundary with a log that throws", () => {
  it("still never lets the error escape: the connection closes and the server keeps serving", async () => {
    let calls = 0;
    const log = () => {
      calls++;
      throw new Error("log is broken");
    };
    const server = await startServer(
      withErrorBoundary(async (req, res) => {
        if (req.url === "/ok") return sendText(res, 200, "fine");
        throw new Error("boom");
      }, { log }),
    );
    try {
      await assert.rejects(fetch(`${server.url}/boom`, { signal: closedWithin() }), closedByServer);
      assert.equal(calls, 2); // the error, then the failure to answer it
      assert.equal(await (await fetch(`${server.url}/ok`)).text(), "fine");
    } finally {
      await server.close();
    }
  });
});

describe("HttpError", () => {
  it("carries status, public message, headers and cause", () => {
    const cause = new Error("ENOSPC");
    const error = new HttpError(503, "Try again later", { cause, headers: { "Retry-After": "5" } });
    assert.equal(error.status, 503);
    assert.equal(error.publicMessage, "Try again later");
    assert.equal(error.message, "Try again later");
    assert.equal(error.name, "HttpError");
    assert.equal(error.cause, cause);
    assert.deepEqual(error.headers, { "Retry-After": "5" });
  });

  for (const status of [200, 399, 600, 404.5, Number.NaN]) {
    it(`refuses the status ${status}`, () => {
      assert.throws(() => new HttpError(status, "x"), {
        name: "TypeError",
        message: `HttpError "status" is invalid: must be an integer from 400 to 599 (RFC 9110 §15.5)`,
      });
    });
  }
});
