import assert from "node:assert/strict";
import http from "node:http";
import { describe, it } from "node:test";
import { closeGracefully, listen } from "../../src/http/listen.ts";

describe("listen", () => {
  it("resolves with the real base URL when PORT is 0", async () => {
    const server = http.createServer((_req, res) => res.end("ok"));
    const url = await listen(server, { port: 0, host: "127.0.0.1" });
    assert.match(url, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    assert.equal(await (await fetch(url)).text(), "ok");
    await closeGracefully(server);
  });

  it("rejects when the port is taken", async () => {
    const first = http.createServer();
    const url = await listen(first, { port: 0, host: "127.0.0.1" });
    const second = http.createServer();
    await assert.rejects(listen(second, { port: Number(new URL(url).port), host: "127.0.0.1" }), { code: "EADDRINUSE" });
    await closeGracefully(first);
  });
});

describe("closeGracefully", () => {
  // Keep-alive connections would hold close() open for a minute here; the test's own timeout fails
  // long before that if closeGracefully ever waited for them.
  const keepAliveMs = 60_000;

  it("finishes a request in flight, then closes its keep-alive connection without waiting for the keep-alive timeout", { timeout: 20_000 }, async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    let answer: (() => void) | undefined;
    const server = http.createServer((_req, res) => {
      answer = () => res.end("finished");
      arrived();
    });
    server.keepAliveTimeout = keepAliveMs;
    const url = await listen(server, { port: 0, host: "127.0.0.1" });

    const agent = new http.Agent({ keepAlive: true });
    const response = new Promise<string>((resolve, reject) => {
      http.get(url, { agent }, (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve(body));
      }).on("error", reject);
    });
    await requestArrived;
    const closed = closeGracefully(server);
    answer!();
    assert.equal(await response, "finished");
    await closed; // resolves once the now idle keep-alive connection is closed too
    assert.equal(server.listening, false);
    agent.destroy();
  });

  it("closes idle keep-alive connections at once and resolves for a server that isn't listening", { timeout: 20_000 }, async () => {
    const server = http.createServer((_req, res) => res.end("ok"));
    server.keepAliveTimeout = keepAliveMs;
    const url = await listen(server, { port: 0, host: "127.0.0.1" });
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http.get(url, { agent }, (res) => res.resume().on("end", resolve)).on("error", reject);
    });
    await closeGracefully(server);
    await closeGracefully(server); // already closed: nothing to do
    agent.destroy();
  });
});
