// The session manager behind a real node:http server on 127.0.0.1:0, driven by fetch: concurrency
// properties (R13) only show up with real sockets and real interleaving.
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, it } from "node:test";
import { randomToken } from "../../src/crypto/random.ts";
import { createSealer } from "../../src/crypto/seal.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { closeGracefully, listen } from "../../src/http/listen.ts";
import { sendText } from "../../src/http/respond.ts";
import { FileStore } from "../../src/session/file-store.ts";
import { createSessionManager, type SessionManager, storeKeyOf } from "../../src/session/manager.ts";
import { MemoryStore } from "../../src/session/memory-store.ts";
import type { SessionStore } from "../../src/session/store.ts";
import { CookieJar } from "../helpers/cookie-jar.ts";
import { faultyFs, makeTempDir, removeDir } from "./fs-helpers.ts";

const secret = randomToken();
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

interface App {
  baseUrl: string;
  /** Emits "arrived" with the path of every request as the server starts handling it. */
  events: EventEmitter;
  /** Opened by the test to let a GET /slow finish. */
  releaseSlow(): void;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startApp(store: SessionStore): Promise<App> {
  const sessions: SessionManager = createSessionManager({ store, secrets: [secret] });
  const events = new EventEmitter();
  let releaseSlow!: () => void;
  let slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    "/start": async (req, res) => {
      await sessions.withSession(req, res, (session) => {
        session.data.count = 0;
      });
      sendText(res, 200, "0");
    },
    "/increment": async (req, res) => {
      const count = await sessions.withSession(req, res, async (session) => {
        const read = Number(session.data.count);
        await nextTick(); // the window in which an unserialized read-modify-write loses updates
        session.data.count = read + 1;
        return session.data.count;
      });
      sendText(res, 200, String(count));
    },
    "/count": async (req, res) => {
      sendText(res, 200, String(await sessions.withSession(req, res, (session) => session.data.count ?? "none")));
    },
    "/login": async (req, res) => {
      await sessions.withSession(req, res, (session) => {
        session.userId = "ada";
        session.regenerate({ keepData: true, restartLifetime: true });
      });
      sendText(res, 200, "logged in");
    },
    "/slow": async (req, res) => {
      await sessions.withSession(req, res, async (session) => {
        events.emit("slow-started");
        await slowGate;
        session.data.lastPage = "/slow"; // a change: without the lock this would re-save the session
      });
      sendText(res, 200, "slow done");
    },
    "/logout": async (req, res) => {
      await sessions.withSession(req, res, (session) => session.destroy());
      sendText(res, 200, "logged out");
    },
    "/whoami": async (req, res) => {
      sendText(res, 200, String(await sessions.withSession(req, res, (session) => session.userId ?? "nobody")));
    },
  };
  const server: Server = createServer(
    withErrorBoundary(async (req, res) => {
      events.emit("arrived", req.url);
      const route = routes[req.url ?? ""];
      if (route === undefined) sendText(res, 404, "Not Found");
      else await route(req, res);
    }, { log: () => {} }),
  );
  const baseUrl = await listen(server, { port: 0, host: "127.0.0.1" });
  cleanups.push(() => closeGracefully(server));
  return {
    baseUrl,
    events,
    releaseSlow: () => {
      releaseSlow();
      slowGate = new Promise<void>((resolve) => (releaseSlow = resolve));
    },
  };
}

async function get(app: App, path: string, jar: CookieJar): Promise<{ status: number; body: string; response: Response }> {
  const cookie = jar.header();
  const response = await fetch(app.baseUrl + path, { headers: cookie === undefined ? {} : { cookie } });
  jar.store(response);
  return { status: response.status, body: await response.text(), response };
}

function fileStore(options: { sealed?: boolean } = {}): FileStore {
  const dir = makeTempDir();
  const sealer = options.sealed ? createSealer([randomToken()], { purpose: "session-files" }) : undefined;
  const store = new FileStore({ dir, nameKey: randomToken(), sealer, reapIntervalMs: 0 });
  cleanups.push(async () => {
    await store.close();
    await removeDir(dir);
  });
  return store;
}

const stores: Array<[string, () => SessionStore]> = [
  ["MemoryStore", () => new MemoryStore()],
  ["FileStore", () => fileStore()],
  ["FileStore with a sealer", () => fileStore({ sealed: true })],
];

describe("session manager over HTTP: no lost updates (R13)", () => {
  for (const [name, makeStore] of stores) {
    it(`R13: 50 concurrent increments in one session end at exactly 50 (${name})`, async () => {
      const app = await startApp(makeStore());
      const jar = new CookieJar();
      await get(app, "/start", jar);
      const replies = await Promise.all(Array.from({ length: 50 }, () => get(app, "/increment", jar)));
      assert.ok(replies.every((reply) => reply.status === 200));
      // Each request saw a distinct count: they ran one after another, not over each other.
      assert.deepEqual(replies.map((reply) => Number(reply.body)).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
      assert.equal((await get(app, "/count", jar)).body, "50");
    });
  }

  it("(control) the same read-modify-write without the per-session lock loses updates", async () => {
    const store = new MemoryStore();
    // Every request reads, then waits until all 50 have read: the worst interleaving, made certain.
    let reads = 0;
    let allRead!: () => void;
    const barrier = new Promise<void>((resolve) => (allRead = resolve));
    const server = createServer(async (_req, res) => {
      const record = (await store.get("shared"))!;
      const read = Number(record.data.count);
      if (++reads === 50) allRead();
      await barrier;
      await store.set("shared", { ...record, data: { count: read + 1 } });
      res.end();
    });
    const now = Date.now();
    await store.set("shared", { data: { count: 0 }, userId: null, createdAtMs: now, lastSeenMs: now, expiresAtMs: now + 60_000 });
    const baseUrl = await listen(server, { port: 0, host: "127.0.0.1" });
    cleanups.push(() => closeGracefully(server));
    await Promise.all(Array.from({ length: 50 }, () => fetch(baseUrl).then((r) => r.text())));
    assert.equal((await store.get("shared"))!.data.count, 1); // 49 updates lost, as with express-session
  });
});

describe("session manager over HTTP: logout races (R13)", () => {
  for (const [name, makeStore] of stores) {
    it(`R13: a logout arriving during a slow request of the same session stays logged out (${name})`, async () => {
      const app = await startApp(makeStore());
      const browser = new CookieJar();
      await get(app, "/login", browser);
      const stolen = browser.get("sid")!;

      const slowStarted = once(app.events, "slow-started");
      const slow = get(app, "/slow", copyJar(browser));
      await slowStarted;
      const logoutArrived = once(app.events, "arrived");
      const logout = get(app, "/logout", browser);
      await logoutArrived;
      for (let i = 0; i < 5; i++) await nextTick(); // the logout is now waiting for the session's lock
      app.releaseSlow();
      const [slowReply, logoutReply] = await Promise.all([slow, logout]);
      assert.equal(slowReply.body, "slow done");
      assert.equal(logoutReply.body, "logged out");

      const replay = new CookieJar();
      replay.set("sid", stolen);
      assert.equal((await get(app, "/whoami", replay)).body, "nobody");
      assert.equal((await get(app, "/whoami", browser)).body, "nobody");
    });
  }

  it("R13: a slow request that starts after the logout finds no session, and never brings back the old ID", async () => {
    // It changes its (new, empty) session: that is saved under a new ID, never the old one (R04, R05).
    const store = new MemoryStore();
    const app = await startApp(store);
    const browser = new CookieJar();
    await get(app, "/login", browser);
    const stolen = copyJar(browser);
    const oldId = decodeURIComponent(stolen.get("sid")!).split(".")[0]!;
    await get(app, "/logout", browser);
    const slowStarted = once(app.events, "slow-started");
    const slow = get(app, "/slow", stolen);
    await slowStarted;
    app.releaseSlow();
    const { response } = await slow;
    assert.equal(await store.get(storeKeyOf(oldId)), null, "nothing saved under the old ID");
    assert.equal(store.size, 1, "only the slow request's new session");
    const [newCookie = ""] = response.headers.getSetCookie();
    assert.match(newCookie, /^sid=[^;]/);
    assert.ok(!decodeURIComponent(newCookie).includes(oldId), "the new cookie names a new ID");
    const replay = new CookieJar();
    replay.set("sid", browser.get("sid") ?? stolen.get("sid")!);
    assert.equal((await get(app, "/whoami", replay)).body, "nobody");
  });
});

describe("session manager over HTTP: a store that can't write", () => {
  it("answers 503 with a clear message, keeps serving, and keeps the previous session file", async () => {
    const dir = makeTempDir();
    cleanups.push(() => removeDir(dir));
    const faults = faultyFs();
    const store = new FileStore({ dir, nameKey: randomToken(), reapIntervalMs: 0, fileSystem: faults.fileSystem, log: () => {} });
    const app = await startApp(store);
    const jar = new CookieJar();
    await get(app, "/start", jar);
    await get(app, "/increment", jar);
    faults.fail("open", "EROFS"); // the data folder became read-only
    const failed = await get(app, "/increment", jar);
    assert.equal(failed.status, 503);
    assert.equal(failed.body, "Sessions cannot be saved right now. Please try again later.");
    assert.equal(failed.response.headers.get("cache-control"), "no-store");
    assert.equal((await get(app, "/count", jar)).body, "1"); // reads still work
    faults.heal();
    assert.equal((await get(app, "/increment", jar)).body, "2");
  });
});

function copyJar(jar: CookieJar): CookieJar {
  const copy = new CookieJar();
  for (const name of jar.names()) copy.set(name, jar.get(name)!);
  return copy;
}
