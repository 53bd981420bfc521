import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { listen } from "../../src/http/listen.ts";
import { sendOAuthRequest } from "../../src/oauth/http-client.ts";
import type { OAuthHttpRequest } from "../../src/oauth/token-request.ts";
import { closeServer } from "./helpers.ts";

const post = (url: string): OAuthHttpRequest => ({
  url,
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
  body: "grant_type=authorization_code&code=secret-code",
});

async function withServer(handler: http.RequestListener, test: (baseUrl: string) => Promise<void>) {
  const server = http.createServer(handler);
  const baseUrl = await listen(server, { port: 0, host: "127.0.0.1" });
  try {
    await test(baseUrl);
  } finally {
    await closeServer(server);
  }
}

describe("sendOAuthRequest", () => {
  it("returns the status, content type and body text", async () => {
    await withServer(
      (req, res) => {
        let body = "";
        req.on("data", (chunk) => (body += chunk));
        req.on("end", () => res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ got: body, type: req.headers["content-type"] })));
      },
      async (baseUrl) => {
        const result = await sendOAuthRequest(post(`${baseUrl}/token`));
        assert.ok(result.ok);
        assert.equal(result.value.status, 400);
        assert.equal(result.value.contentType, "application/json");
        assert.deepEqual(JSON.parse(result.value.text), { got: "grant_type=authorization_code&code=secret-code", type: "application/x-www-form-urlencoded" });
      },
    );
  });

  it("R25: a closed port is 'unreachable', and the message names the host only", async () => {
    // Port 1 on loopback: nothing listens there (a port freed by another test could be taken again).
    const baseUrl = "http://127.0.0.1:1";
    const result = await sendOAuthRequest(post(`${baseUrl}/token?code=secret-code`));
    assert.ok(!result.ok);
    assert.equal(result.error.code, "unreachable");
    assert.equal(result.error.message, `the sign-in provider did not answer as expected: unreachable: ${new URL(baseUrl).host} failed while connecting`);
  });

  it("R25: a server that never answers is a 'timeout' after the injected timeout", async () => {
    await withServer(() => {}, async (baseUrl) => {
      const result = await sendOAuthRequest(post(`${baseUrl}/token`), { timeoutMs: 100 });
      assert.ok(!result.ok);
      assert.equal(result.error.code, "timeout");
      assert.equal(result.error.httpStatus, 504);
    });
  });

  it("R25: a server that sends headers and then stalls the body is a 'timeout' too", async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"access_token":');
      },
      async (baseUrl) => {
        const result = await sendOAuthRequest(post(`${baseUrl}/token`), { timeoutMs: 150 });
        assert.ok(!result.ok);
        assert.equal(result.error.code, "timeout");
      },
    );
  });

  it("a test double whose body never ends cannot outlive the timeout either", async () => {
    const endless = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
    const result = await sendOAuthRequest(post("https://id.example/token"), {
      timeoutMs: 50,
      fetch: async () => new Response(endless),
    });
    assert.ok(!result.ok);
    assert.equal(result.error.code, "timeout");
  });

  it("stops reading an answer larger than the cap", async () => {
    await withServer(
      (_req, res) => res.end("x".repeat(70_000)),
      async (baseUrl) => {
        const result = await sendOAuthRequest(post(`${baseUrl}/token`));
        assert.ok(!result.ok);
        assert.equal(result.error.code, "response_too_large");
      },
    );
  });

  it("refuses to follow a redirect (it would resend the code and secret elsewhere)", async () => {
    const stolen: string[] = []; // what reached the redirect's target: must stay empty
    await withServer(
      (req, res) => {
        stolen.push(`${req.method} ${req.url}`);
        res.end("{}");
      },
      (elsewhere) =>
        withServer(
          (_req, res) => res.writeHead(307, { location: `${elsewhere}/steal` }).end(),
          async (baseUrl) => {
            const result = await sendOAuthRequest(post(`${baseUrl}/token`));
            assert.ok(!result.ok);
            assert.equal(result.error.code, "unreachable");
            assert.deepEqual(stolen, []);
          },
        ),
    );
  });

  it("a fetch that ignores the abort signal and never settles still ends in a 'timeout'", async () => {
    const result = await sendOAuthRequest(post("https://id.example/token"), { timeoutMs: 50, fetch: () => new Promise(() => {}) });
    assert.ok(!result.ok);
    assert.equal(result.error.code, "timeout");
  });

  it("turns a fetch that throws synchronously into a result, never an exception", async () => {
    const result = await sendOAuthRequest(post("https://id.example/token"), {
      fetch: () => {
        throw new TypeError("boom");
      },
    });
    assert.ok(!result.ok);
    assert.equal(result.error.code, "unreachable");
  });
});
