import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
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

  it("brackets an IPv6 address in the URL, so the URL works (HOST=::1)", async (t) => {
    const server = http.createServer((_req, res) => res.end("ok"));
    let url: string;
    try {
      url = await listen(server, { port: 0, host: "::1" });
    } catch (error) {
      t.skip(`no IPv6 loopback on this machine (${(error as NodeJS.ErrnoException).code})`);
      return;
    }
    try {
      assert.match(url, /^http:\/\/\[::1\]:[1-9]\d*$/);
      assert.equal(await (await fetch(url)).text(), "ok");
    } finally {
      await closeGracefully(server);
    }
  });

  // With a timeout, and the first server closed in an after hook: a promise that never settles must
  // fail the test, not hang the run.
  it("rejects when the port is taken", { timeout: 5_000 }, async (t) => {
    const first = http.createServer();
    const url = await listen(first, { port: 0, host: "127.0.0.1" });
    t.after(() => closeGracefully(first));
    const second = http.createServer();
    await assert.rejects(listen(second, { port: Number(new URL(url).port), host: "127.0.0.1" }), { code: "EADDRINUSE" });
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
    const closed = closeGracefully(server, { graceMs: keepAliveMs }); // nor may the grace period be what closes it
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

describe("closeGracefully when clients don't cooperate", () => {
  it("closes a connection that never sent a request (a browser's preconnect) once the grace period ends", { timeout: 20_000 }, async () => {
    const server = http.createServer((_req, res) => res.end("ok"));
    const url = await listen(server, { port: 0, host: "127.0.0.1" });
    const { port } = new URL(url);
    const silent = net.connect(Number(port), "127.0.0.1");
    await new Promise((resolve) => silent.once("connect", resolve));
    const halfSent = net.connect(Number(port), "127.0.0.1", () => halfSent.write("GET / HTTP/1.1\r\nHost: x\r\n"));
    await new Promise((resolve) => halfSent.once("connect", resolve));
    const closedByServer = Promise.all([silent, halfSent].map((socket) => new Promise((resolve) => socket.once("close", resolve))));
    await closeGracefully(server, { graceMs: 100 });
    await closedByServer;
    assert.equal(server.listening, false);
  });

  it("answers a request that arrives on an open connection after closing began with Connection: close", { timeout: 20_000 }, async () => {
    const server = http.createServer((_req, res) => res.end("ok"));
    const url = await listen(server, { port: 0, host: "127.0.0.1" });
    const { port } = new URL(url);
    const socket = net.connect(Number(port), "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    const ended = new Promise((resolve) => socket.once("close", resolve));
    // A request already being sent (its headers are incomplete) when closing begins: not idle, so it
    // is served, and its answer tells the client not to reuse the connection.
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n");
    await new Promise((resolve) => setImmediate(resolve));
    const closed = closeGracefully(server);
    socket.write("\r\n");
    await closed;
    await ended;
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /\r\nConnection: close\r\n/i);
  });

  it("gives a second call the same promise: it resolves only once the server is closed", { timeout: 20_000 }, async () => {
    let answer!: () => void;
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const server = http.createServer((_req, res) => {
      answer = () => res.end("late");
      arrived();
    });
    const url = await listen(server, { port: 0, host: "127.0.0.1" });
    const response = fetch(url).then((r) => r.text());
    await requestArrived;
    const first = closeGracefully(server);
    const second = closeGracefully(server);
    assert.equal(second, first);
    answer();
    assert.equal(await response, "late");
    await second;
  });
});
