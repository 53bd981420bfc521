import assert from "node:assert/strict";
import { ServerResponse } from "node:http";
import { describe, it } from "node:test";
import { sign } from "../../src/cookies/sign.ts";
import { randomToken } from "../../src/crypto/random.ts";
import { MemoryStore } from "../../src/session/memory-store.ts";
import { createSessionManager, storeKeyOf } from "../../src/session/manager.ts";
import { generateSessionId } from "../../src/session/session-id.ts";
import { countView, CookieJar, fakeRequest, harness, secret, visit } from "./manager-helpers.ts";

const idPattern = "[A-Za-z0-9_-]{43}";
const macPattern = "[A-Za-z0-9%]+"; // base64 with "+" and "/" percent-encoded

describe("session manager: saving", () => {
  it("saveUninitialized false: a visitor who stores nothing gets no cookie and creates nothing", async () => {
    const { sessions, store, memory } = harness();
    const { result, setCookie, res } = await visit(sessions, new CookieJar(), (session) => session.isNew);
    assert.equal(result, true);
    assert.deepEqual(setCookie, []);
    assert.deepEqual(store.writes(), []);
    assert.equal(memory.size, 0);
    assert.equal(res.getHeader("cache-control"), "no-store");
  });

  it("saveUninitialized true stores an empty session and sets its cookie", async () => {
    const { sessions, memory } = harness({ saveUninitialized: true });
    const { setCookie } = await visit(sessions, new CookieJar(), () => undefined);
    assert.equal(setCookie.length, 1);
    assert.equal(memory.size, 1);
  });

  it("stores a session once it holds something and sends a signed, HttpOnly, SameSite=Lax cookie", async () => {
    const { sessions, store } = harness();
    const jar = new CookieJar();
    const { result, setCookie } = await visit(sessions, jar, countView);
    assert.equal(result, 1);
    assert.equal(setCookie.length, 1);
    assert.match(setCookie[0]!, new RegExp(`^sid=${idPattern}\\.${macPattern}; Max-Age=1800; Path=/; HttpOnly; SameSite=Lax$`));
    const id = decodeURIComponent(jar.get("sid")!).split(".")[0]!;
    assert.deepEqual(store.writes(), [`set ${storeKeyOf(id)}`]);
  });

  it("counts per browser: the same cookie keeps counting, another browser starts at 1", async () => {
    const { sessions } = harness();
    const first = new CookieJar();
    const second = new CookieJar();
    assert.equal((await visit(sessions, first, countView)).result, 1);
    assert.equal((await visit(sessions, first, countView)).result, 2);
    assert.equal((await visit(sessions, second, countView)).result, 1);
    assert.equal((await visit(sessions, first, countView)).result, 3);
  });

  it("writes only when something changed: reading a session writes nothing and sends no cookie", async () => {
    const { sessions, store } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    store.calls.length = 0;
    const { result, setCookie } = await visit(sessions, jar, (session) => session.data.views);
    assert.equal(result, 1);
    assert.deepEqual(store.writes(), []);
    assert.deepEqual(setCookie, []);
  });

  it("saves an in-place change to nested data, a userId change, and anything after markChanged()", async () => {
    const { sessions, store } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, (session) => {
      session.data.cart = { items: ["tea"] };
    });
    store.calls.length = 0;
    await visit(sessions, jar, (session) => {
      (session.data.cart as { items: string[] }).items.push("milk");
    });
    await visit(sessions, jar, (session) => {
      session.userId = "ada";
    });
    await visit(sessions, jar, (session) => session.markChanged());
    assert.equal(store.writes().length, 3);
    const { result } = await visit(sessions, jar, (session) => [session.data.cart, session.userId]);
    assert.deepEqual(result, [{ items: ["tea", "milk"] }, "ada"]);
  });

  it("saves nothing when the callback throws, passes the error on, and the session stays usable", async () => {
    const { sessions, store } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    store.calls.length = 0;
    await assert.rejects(
      visit(sessions, jar, (session) => {
        session.data.views = 1000;
        throw new Error("handler failed");
      }),
      /handler failed/,
    );
    assert.deepEqual(store.writes(), []);
    assert.equal((await visit(sessions, jar, countView)).result, 2);
  });

  it("R09: sets Cache-Control: no-store on every response that went through withSession, even a failing one", async () => {
    const { sessions } = harness();
    const req = fakeRequest();
    const res = new ServerResponse(req);
    await assert.rejects(sessions.withSession(req, res, () => Promise.reject(new Error("boom"))));
    assert.equal(res.getHeader("cache-control"), "no-store");
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    assert.equal((await visit(sessions, jar, countView)).res.getHeader("cache-control"), "no-store");
  });

  it("keeps other Set-Cookie headers already on the response", async () => {
    const { sessions } = harness();
    const req = fakeRequest();
    const res = new ServerResponse(req);
    res.setHeader("Set-Cookie", "theme=dark; Path=/");
    await sessions.withSession(req, res, countView);
    const lines = res.getHeader("set-cookie") as string[];
    assert.equal(lines.length, 2);
    assert.equal(lines[0], "theme=dark; Path=/");
    assert.match(lines[1]!, /^sid=/);
  });

  it("says clearly when the response was sent inside the callback (too late for the cookie)", async () => {
    const { sessions } = harness();
    const req = fakeRequest();
    const res = new ServerResponse(req);
    Object.defineProperty(res, "headersSent", { value: true });
    await assert.rejects(sessions.withSession(req, res, countView), {
      message: "session cookie can't be set: the response was already sent inside the withSession callback; send it after withSession resolves",
    });
  });

  it("refuses a nested withSession() for the same request instead of waiting for its own lock forever", async () => {
    const { sessions } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    const req = fakeRequest({ cookie: jar.header() });
    const res = new ServerResponse(req);
    const inner = await sessions.withSession(req, res, async (session) => {
      countView(session);
      return sessions.withSession(req, res, countView).then(() => "nested call ran", (error: unknown) => error);
    });
    assert.ok(inner instanceof TypeError);
    assert.equal(inner.message, "withSession() is already running for this request: a nested call would wait " +
      "for its own session lock forever; pass the session object down instead");
    // The outer call committed, and the session is free for the next request.
    assert.equal((await visit(sessions, jar, countView)).result, 3);
    assert.equal((await sessions.withSession(req, new ServerResponse(req), countView)), 4); // one after another is fine
  });

  it("peek() reads the session without saving, touching or setting a cookie", async () => {
    const { sessions, store, clock } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, (session) => {
      session.userId = "ada";
      session.data.views = 5;
    });
    store.calls.length = 0;
    clock.advance(10 * 60_000); // a touch would be due
    const req = fakeRequest({ cookie: jar.header() });
    const snapshot = await sessions.peek(req);
    assert.equal(snapshot?.userId, "ada");
    assert.deepEqual(snapshot?.data, { views: 5 });
    assert.deepEqual(store.writes(), []);
    assert.equal(await sessions.peek(fakeRequest()), null);
    clock.advance(30 * 60_000);
    assert.equal(await sessions.peek(req), null);
  });

  it("peek() waits for a running request of the session, so it never reads (or reaps) a version being replaced", async () => {
    const { sessions } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const running = visit(sessions, jar, async (session) => {
      await held;
      countView(session);
    });
    let peeked: unknown = "not yet";
    const peek = sessions.peek(fakeRequest({ cookie: jar.header() })).then((snapshot) => (peeked = snapshot?.data.views));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(peeked, "not yet");
    release();
    await running;
    await peek;
    assert.equal(peeked, 2);
  });

  it("peek() inside withSession() for the same request is a TypeError, not a request waiting for itself forever", async () => {
    const { sessions } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    const req = fakeRequest({ cookie: jar.header() });
    await sessions.withSession(req, new ServerResponse(req), async () => {
      await assert.rejects(sessions.peek(req), { name: "TypeError", message: /peek\(\) inside withSession\(\)/ });
    });
  });
});

describe("session manager: strict mode (R04)", () => {
  const knownId = generateSessionId();
  const unknownId = generateSessionId();
  const signedKnown = sign(knownId, secret);
  const [, knownMac = ""] = signedKnown.split(".");
  const forged: Array<[string, string]> = [
    ["an unsigned but well-formed ID", knownId],
    ["a correctly signed ID the server never stored", sign(unknownId, secret)],
    ["an ID signed with another secret", sign(knownId, randomToken())],
    ["a tampered ID with the original signature", `${unknownId}.${knownMac}`],
    // One character changed, always to a different one (a fixed "AA" would, once in 4,096 runs, be the real MAC).
    ["a tampered signature", `${knownId}.${knownMac.startsWith("A") ? "B" : "A"}${knownMac.slice(1)}`],
    ["a truncated signature", signedKnown.slice(0, -1)],
    ["path traversal", "../../../../etc/passwd"],
    ["signed path traversal", sign("../../../../etc/passwd", secret)],
    ["a signed value with a slash", sign(`${knownId.slice(0, 20)}/${knownId.slice(21)}`, secret)],
    ["a 100k-character value", "A".repeat(100_000)],
    ["an empty value", ""],
    ["NUL bytes", "%00%00"],
    ["an express-session value from another secret", `s:${sign(knownId, randomToken())}`],
  ];

  for (const [name, value] of forged) {
    it(`R04: ${name} is never adopted: a new server-generated ID, and the value never reaches the store`, async () => {
      const { sessions, store, memory, clock } = harness();
      await memory.set(storeKeyOf(knownId), { data: { views: 41 }, userId: "victim", createdAtMs: clock.now(), lastSeenMs: clock.now(), expiresAtMs: clock.now() + 60_000 });
      const jar = new CookieJar();
      jar.set("sid", encodeURIComponent(value));
      const { result } = await visit(sessions, jar, (session) => {
        countView(session);
        return { id: session.id, isNew: session.isNew, userId: session.userId, views: session.data.views };
      });
      assert.deepEqual({ ...result, id: undefined }, { id: undefined, isNew: true, userId: null, views: 1 });
      assert.notEqual(result.id, knownId);
      assert.notEqual(result.id, unknownId);
      assert.notEqual(result.id, value);
      for (const call of store.calls) {
        assert.ok(!call.includes(value.slice(0, 43)) || value === "", `store saw the cookie value: ${call}`);
      }
      // Only a correctly signed, well-formed ID costs a store lookup (by its hash).
      const lookups = store.calls.filter((call) => call.startsWith("get "));
      assert.equal(lookups.length, name === "a correctly signed ID the server never stored" ? 1 : 0);
    });
  }

  it("the genuine cookie for the stored session is adopted (the control case)", async () => {
    const { sessions, memory, clock } = harness();
    await memory.set(storeKeyOf(knownId), { data: { views: 41 }, userId: "victim", createdAtMs: clock.now(), lastSeenMs: clock.now(), expiresAtMs: clock.now() + 60_000 });
    const jar = new CookieJar();
    jar.set("sid", encodeURIComponent(signedKnown));
    assert.equal((await visit(sessions, jar, countView)).result, 42);
  });

  it("accepts express-session's s: prefix, so sessions survive a migration", async () => {
    const { sessions, memory, clock } = harness();
    await memory.set(storeKeyOf(knownId), { data: { views: 1 }, userId: null, createdAtMs: clock.now(), lastSeenMs: clock.now(), expiresAtMs: clock.now() + 60_000 });
    const jar = new CookieJar();
    jar.set("sid", encodeURIComponent(`s:${signedKnown}`));
    assert.equal((await visit(sessions, jar, countView)).result, 2);
  });

  it("tells the browser to drop a cookie it won't adopt, when nothing new is stored", async () => {
    const { sessions } = harness();
    const jar = new CookieJar();
    jar.set("sid", "forged");
    const { setCookie } = await visit(sessions, jar, () => undefined);
    assert.deepEqual(setCookie, ["sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"]);
  });

  it("ignores session IDs in the query string and in other headers", async () => {
    const { sessions } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    const value = jar.get("sid")!;
    const req = fakeRequest({ "x-session-id": value, authorization: `Bearer ${value}` });
    req.url = `/?sid=${value}`;
    const res = new ServerResponse(req);
    assert.equal(await sessions.withSession(req, res, countView), 1);
  });

  it("R02: the store holds only hashes of IDs, and a key from a store dump, even signed, opens no session", async () => {
    const { sessions, memory, store } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, (session) => {
      session.userId = "ada";
    });
    const id = decodeURIComponent(jar.get("sid")!).split(".")[0]!;
    const dumpedKey = store.calls[store.calls.length - 1]!.split(" ")[1]!;
    assert.notEqual(dumpedKey, id);
    assert.equal(dumpedKey, storeKeyOf(id));
    assert.notEqual(await memory.get(dumpedKey), null);
    const attacker = new CookieJar();
    attacker.set("sid", encodeURIComponent(sign(dumpedKey, secret))); // even with the signing secret
    assert.equal((await visit(sessions, attacker, (session) => session.userId)).result, null);
  });
});

describe("session manager: cookie", () => {
  it("R03: over HTTPS the cookie is __Host-sid with Secure, Path=/ and no Domain", async () => {
    const { sessions } = harness({ isSecureRequest: (req) => req.headers["x-test-https"] === "1" });
    const jar = new CookieJar();
    const https = { "x-test-https": "1" };
    const { setCookie } = await visit(sessions, jar, countView, https);
    assert.match(setCookie[0]!, new RegExp(`^__Host-sid=${idPattern}\\.${macPattern}; Max-Age=1800; Path=/; HttpOnly; Secure; SameSite=Lax$`));
    assert.equal((await visit(sessions, jar, countView, https)).result, 2);
    // The same cookie sent under its plain name (e.g. planted over HTTP) is not read over HTTPS.
    const planted = new CookieJar();
    planted.set("sid", jar.get("__Host-sid")!);
    assert.equal((await visit(sessions, planted, countView, https)).result, 1);
  });

  it("uses __Secure- when a Domain or a narrower Path rules out __Host-", async () => {
    const { sessions } = harness({ isSecureRequest: () => true, cookie: { domain: "example.com" } });
    const { setCookie } = await visit(sessions, new CookieJar(), countView);
    assert.match(setCookie[0]!, /^__Secure-sid=.*; Domain=example\.com; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it("with SameSite=None, plain HTTP (local development) gets a Lax cookie instead of a 500", async () => {
    // Browsers refuse SameSite=None without Secure; over HTTPS the cookie stays None.
    const { sessions } = harness({ isSecureRequest: (req) => req.headers["x-test-https"] === "1", cookie: { sameSite: "None" } });
    const jar = new CookieJar();
    jar.set("sid", "planted-by-a-sibling-site");
    const stale = await visit(sessions, jar, (session) => session.isNew);
    assert.equal(stale.result, true);
    assert.deepEqual(stale.setCookie, ["sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"]);
    const { setCookie } = await visit(sessions, new CookieJar(), countView);
    assert.match(setCookie[0]!, /^sid=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
    const logout = await visit(sessions, jar, (session) => session.destroy());
    assert.equal(logout.setCookie.length, 1);
  });

  it("R03: with SameSite=None over HTTPS, the cookie is __Host-, Secure and SameSite=None", async () => {
    const { sessions } = harness({ isSecureRequest: () => true, cookie: { sameSite: "None" } });
    const { setCookie } = await visit(sessions, new CookieJar(), countView);
    assert.match(setCookie[0]!, /^__Host-sid=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=None$/);
  });

  it("honours cookieName, SameSite and a non-persistent cookie (no Max-Age)", async () => {
    const { sessions } = harness({ cookieName: "session_cookie", cookie: { sameSite: "Strict", persistent: false } });
    const { setCookie } = await visit(sessions, new CookieJar(), countView);
    assert.match(setCookie[0]!, /^session_cookie=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
  });

  it("R11: keeps sessions valid across a secret rotation and signs new cookies with the new secret", async () => {
    const clock = harness().clock;
    const memory = new MemoryStore({ now: clock.now });
    const before = createSessionManager({ store: memory, secrets: [secret], now: clock.now });
    const jar = new CookieJar();
    await visit(before, jar, countView);
    const newSecret = randomToken();
    const after = createSessionManager({ store: memory, secrets: [newSecret, secret], now: clock.now });
    assert.equal((await visit(after, jar, countView)).result, 2);
    const fresh = new CookieJar();
    await visit(after, fresh, countView);
    const [id = "", mac = ""] = decodeURIComponent(fresh.get("sid")!).split(".");
    assert.equal(sign(id, newSecret), `${id}.${mac}`);
  });
});

describe("session manager: configuration", () => {
  const store = new MemoryStore();
  const invalid: Array<[string, object, RegExp | string]> = [
    ["no store", { store: undefined }, `session "store" is invalid: must implement SessionStore (get, set, destroy, touch, destroyByUser)`],
    // Found at start-up, not at the first logout or touch as a 500.
    ["a store without touch and destroyByUser", { store: { get: store.get.bind(store), set: store.set.bind(store), destroy: store.destroy.bind(store) } },
      `session "store" is invalid: must implement SessionStore (get, set, destroy, touch, destroyByUser)`],
    ["a short secret", { secrets: ["short"] }, /^secret "secrets\[0\]" is invalid: must be at least 32 bytes/],
    ["no secrets", { secrets: [] }, `secrets "secrets" is invalid: must list at least one secret (the first signs)`],
    ["a cookie name with a space", { cookieName: "my sid" }, /^cookie "name" is invalid/],
    ["a path without a leading slash", { cookie: { path: "app" } }, /^cookie "path" is invalid/],
    ["a touch interval longer than the idle timeout", { idleTimeoutSeconds: 60, touchIntervalSeconds: 120 }, `session "touchIntervalSeconds" is invalid: must be less than "idleTimeoutSeconds"`],
    ["SameSite=None without a way to tell HTTPS", { cookie: { sameSite: "None" } }, `cookie "sameSite" is invalid: "None" needs Secure, so pass isSecureRequest (RFC 6265bis §4.1.2.7)`],
    ["a negative absolute timeout", { absoluteTimeoutSeconds: -1 }, `session "absoluteTimeoutSeconds" is invalid: must be a positive whole number of seconds`],
  ];
  for (const [name, change, message] of invalid) {
    it(`throws a TypeError at start-up for ${name}`, () => {
      const options = { store, secrets: [secret], ...change } as Parameters<typeof createSessionManager>[0];
      assert.throws(() => createSessionManager(options), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        if (typeof message === "string") assert.equal(error.message, message);
        else assert.match(error.message, message);
        assert.ok(!error.message.includes(secret));
        return true;
      });
    });
  }
});
