import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSessionManager, storeKeyOf } from "../../src/session/manager.ts";
import type { SessionRecord, SessionStore } from "../../src/session/store.ts";
import { createClock } from "../helpers/clock.ts";
import { countView, CookieJar, harness, secret, visit } from "./manager-helpers.ts";

const second = 1000;
const minute = 60 * second;
const idle = 30 * minute; // defaults: idle 30 min, absolute 8 h, touch every 60 s
const absolute = 8 * 60 * minute;

function sessionKey(jar: CookieJar): string {
  return storeKeyOf(decodeURIComponent(jar.get("sid")!).split(".")[0]!);
}

describe("session manager: idle timeout (R07)", () => {
  it("R07: valid just before the idle limit; just after, invalid and deleted from the store", async () => {
    const { sessions, clock, memory } = harness();
    const start = clock.now();
    const early = new CookieJar();
    const late = new CookieJar();
    await visit(sessions, early, countView);
    await visit(sessions, late, countView);

    clock.set(start + idle - 1);
    assert.equal((await visit(sessions, early, countView)).result, 2);

    clock.set(start + idle + 1);
    const lateKey = sessionKey(late);
    const { result } = await visit(sessions, late, (session) => ({ isNew: session.isNew, views: countView(session) }));
    assert.deepEqual(result, { isNew: true, views: 1 });
    assert.equal(await memory.get(lateKey), null);
  });

  it("R07: enforces the timeouts itself, with a store that never expires anything (and deletes what it finds expired)", async () => {
    // MemoryStore and FileStore hide expired records on their own; a custom store may not.
    const records = new Map<string, SessionRecord>();
    const forever: SessionStore = {
      get: async (key) => records.get(key) ?? null,
      set: async (key, record) => void records.set(key, record),
      touch: async (key, record) => void records.set(key, record),
      destroy: async (key) => void records.delete(key),
      destroyByUser: async () => 0,
    };
    const clock = createClock();
    const sessions = createSessionManager({ store: forever, secrets: [secret], now: clock.now });
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    const key = sessionKey(jar);
    clock.advance(idle - 1);
    assert.equal((await visit(sessions, jar, countView)).result, 2); // and touched: lastSeen moves
    clock.advance(idle);
    assert.equal((await visit(sessions, jar, (session) => session.isNew)).result, true);
    assert.equal(records.has(key), false);

    // The absolute limit too: a record whose stored expiry a buggy store pushed past it.
    const late = new CookieJar();
    await visit(sessions, late, countView);
    const lateKey = sessionKey(late);
    records.set(lateKey, { ...records.get(lateKey)!, expiresAtMs: clock.now() + 10 * absolute });
    clock.advance(absolute);
    assert.equal((await visit(sessions, late, (session) => session.isNew)).result, true);
    assert.equal(records.has(lateKey), false);
  });

  it("R07: treats the exact expiry instant as expired", async () => {
    const { sessions, clock } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    clock.advance(idle);
    assert.equal((await visit(sessions, jar, (session) => session.isNew)).result, true);
  });

  it("R07: slides with activity, writing lastSeen at most once per touch interval", async () => {
    const { sessions, clock, store } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    const key = sessionKey(jar);
    store.calls.length = 0;
    for (let i = 0; i < 60; i++) {
      clock.advance(10 * second); // a reader: six requests a minute for ten minutes, no data changes
      await visit(sessions, jar, (session) => session.data.views);
    }
    const touches = store.writes();
    assert.equal(touches.length, 10);
    assert.ok(touches.every((call) => call === `touch ${key}`));
    clock.advance(idle - 1); // idle since the last touch (at most one interval ago), minus a bit
    assert.equal((await visit(sessions, jar, (session) => session.isNew)).result, false);
  });

  it("R07: renews the cookie's Max-Age when it touches, and sends no cookie in between", async () => {
    const { sessions, clock } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    clock.advance(30 * second);
    assert.deepEqual((await visit(sessions, jar, countView)).setCookie, []); // a data change alone: no Set-Cookie
    clock.advance(30 * second);
    const { setCookie } = await visit(sessions, jar, (session) => session.data.views);
    assert.match(setCookie[0]!, /^sid=[^;]+; Max-Age=1800;/);
  });

  it("R07: touches only sessions that verified: a forged cookie causes no write", async () => {
    const { sessions, clock, store } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    clock.advance(5 * minute);
    store.calls.length = 0;
    const forged = new CookieJar();
    const genuine = jar.get("sid")!;
    forged.set("sid", genuine.slice(0, -1) + (genuine.endsWith("A") ? "B" : "A")); // always a changed MAC
    await visit(sessions, forged, () => undefined);
    assert.deepEqual(store.calls, []);
  });
});

describe("session manager: absolute timeout (R08)", () => {
  it("R08: an always-active session ends at createdAt + absolute, however recently it was touched", async () => {
    const { sessions, clock, memory } = harness();
    const start = clock.now();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    const key = sessionKey(jar);
    while (clock.now() < start + absolute - 20 * minute) {
      clock.advance(20 * minute);
      assert.equal((await visit(sessions, jar, (session) => session.isNew)).result, false);
    }
    clock.set(start + absolute - 1);
    assert.equal((await visit(sessions, jar, (session) => session.isNew)).result, false);
    clock.set(start + absolute + 1);
    assert.equal((await visit(sessions, jar, (session) => session.isNew)).result, true);
    assert.equal(await memory.get(key), null);
  });

  it("R08: a touch near the end sets expiry and Max-Age to what is left, not a full idle period", async () => {
    const { sessions, clock, memory } = harness();
    const start = clock.now();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    for (let t = start + 20 * minute; t <= start + absolute - 10 * minute; t += 20 * minute) {
      clock.set(t);
      await visit(sessions, jar, () => undefined);
    }
    clock.set(start + absolute - 10 * minute);
    const { setCookie } = await visit(sessions, jar, countView);
    assert.match(setCookie[0]!, /; Max-Age=600;/);
    assert.equal((await memory.get(sessionKey(jar)))?.expiresAtMs, start + absolute);
  });

  it("R08: regenerate() keeps the original creation time unless told to restart the lifetime", async () => {
    const { sessions, clock, memory } = harness();
    const start = clock.now();
    const jar = new CookieJar();
    await visit(sessions, jar, countView);
    for (let t = start + 20 * minute; t < start + absolute; t += 20 * minute) {
      clock.set(t);
      await visit(sessions, jar, (session) => session.regenerate({ keepData: true })); // a /refresh
    }
    // The new ID's stored expiry and Max-Age end at the original createdAt + absolute, not a full idle period.
    clock.set(start + absolute - 10 * minute);
    const { setCookie } = await visit(sessions, jar, (session) => session.regenerate({ keepData: true }));
    assert.match(setCookie[0]!, /; Max-Age=600;/);
    assert.equal((await memory.get(sessionKey(jar)))?.expiresAtMs, start + absolute);
    assert.equal((await visit(sessions, jar, (session) => session.createdAtMs)).result, start);
    clock.set(start + absolute);
    assert.equal((await visit(sessions, jar, (session) => session.isNew)).result, true);

    const login = new CookieJar();
    await visit(sessions, login, countView);
    clock.advance(20 * minute);
    await visit(sessions, login, (session) => {
      session.userId = "ada";
      session.regenerate({ restartLifetime: true });
    });
    assert.equal((await visit(sessions, login, (session) => session.createdAtMs)).result, clock.now());
  });

  it("honours custom timeouts (a 120-second session, as in the token tutorial)", async () => {
    const { sessions, clock } = harness({ idleTimeoutSeconds: 120, absoluteTimeoutSeconds: 120, touchIntervalSeconds: 30 });
    const jar = new CookieJar();
    const { setCookie } = await visit(sessions, jar, (session) => {
      session.userId = "user1";
    });
    assert.match(setCookie[0]!, /; Max-Age=120;/);
    clock.advance(120 * second - 1);
    assert.equal((await visit(sessions, jar, (session) => session.userId)).result, "user1");
    clock.advance(2);
    assert.equal((await visit(sessions, jar, (session) => session.userId)).result, null);
  });
});
