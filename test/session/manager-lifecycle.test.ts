import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sign } from "../../src/cookies/sign.ts";
import { createSessionManager, storeKeyOf } from "../../src/session/manager.ts";
import type { Session } from "../../src/session/manager.ts";
import { MemoryStore } from "../../src/session/memory-store.ts";
import { createClock } from "../helpers/clock.ts";
import { countView, CookieJar, fakeRequest, harness, secret, visit, type RecordingStore } from "./manager-helpers.ts";

const idOf = (jar: CookieJar) => decodeURIComponent(jar.get("sid")!).split(".")[0]!;

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

async function logIn(sessions: ReturnType<typeof harness>["sessions"], jar: CookieJar, userId: string) {
  return visit(sessions, jar, (session) => {
    session.userId = userId;
    session.regenerate({ keepData: true, restartLifetime: true });
  });
}

// A login (ada, new ID) that waits until open() is called: a slow store write, say.
function heldLogin(sessions: ReturnType<typeof harness>["sessions"], browser: CookieJar) {
  const held = gate();
  const login = visit(sessions, browser, async (session) => {
    await held.promise;
    session.userId = "ada";
    session.regenerate();
  });
  return { login, open: held.open };
}

// Holds the store's destroyByUser() before it deletes anything: destroyAllForUser keeps running until
// the returned function is called.
function holdDeletion(store: RecordingStore): () => void {
  const held = gate();
  const destroyByUser = store.destroyByUser.bind(store);
  store.destroyByUser = async (userId) => {
    await held.promise;
    return destroyByUser(userId);
  };
  return held.open;
}

// Holds the store's next get() after it has read: the record is the one stored at the call, handed
// back only on release(). Later get() calls go straight through.
function holdNextRead(store: RecordingStore): { read: Promise<void>; release: () => void } {
  const read = gate();
  const held = gate();
  const get = store.get.bind(store);
  store.get = async (key) => {
    store.get = get;
    const record = await get(key);
    read.open();
    await held.promise;
    return record;
  };
  return { read: read.promise, release: held.open };
}

describe("session manager: regenerate (R05)", () => {
  it("R05: login issues a new ID, deletes the old one, and the pre-login ID afterwards has no session", async () => {
    const { sessions, memory } = harness();
    const browser = new CookieJar();
    await visit(sessions, browser, countView);
    const preLogin = browser.get("sid")!;
    const preLoginId = idOf(browser);
    const { setCookie } = await logIn(sessions, browser, "ada");
    assert.equal(setCookie.length, 1);
    assert.notEqual(idOf(browser), preLoginId);
    assert.equal(await memory.get(storeKeyOf(preLoginId)), null);
    assert.deepEqual((await visit(sessions, browser, (s) => [s.userId, s.data.views])).result, ["ada", 1]);

    // Session fixation: the attacker who planted (or saw) the pre-login cookie gets nothing.
    const attacker = new CookieJar();
    attacker.set("sid", preLogin);
    assert.deepEqual((await visit(sessions, attacker, (s) => [s.isNew, s.userId])).result, [true, null]);
  });

  it("starts with empty data by default, keeps it with keepData, and the userId either way", async () => {
    const { sessions } = harness();
    const jar = new CookieJar();
    await visit(sessions, jar, (session) => {
      session.data.cart = ["tea"];
      session.userId = "ada";
    });
    await visit(sessions, jar, (session) => session.regenerate());
    assert.deepEqual((await visit(sessions, jar, (s) => [s.data, s.userId])).result, [{}, "ada"]);
  });

  it("changes session.id at once, so the handler sees the ID the browser will get", async () => {
    const { sessions } = harness();
    const jar = new CookieJar();
    const { result } = await visit(sessions, jar, (session) => {
      const before = session.id;
      session.regenerate();
      return [before, session.id];
    });
    assert.notEqual(result[0], result[1]);
    assert.equal(idOf(jar), result[1]);
  });
});

describe("session manager: requests racing a login", () => {
  it("a request queued behind the login finds the old session gone but sends no clearing cookie", async () => {
    // Otherwise, if the browser handles its response after the login's, it deletes the new cookie
    // and the user is signed out a moment after signing in.
    const { sessions } = harness();
    const browser = new CookieJar();
    await visit(sessions, browser, countView);
    const { login, open: openLogin } = heldLogin(sessions, browser);
    const parallel = visit(sessions, browser, (session) => session.userId); // same (old) cookie
    openLogin();
    assert.equal((await login).setCookie.length, 1);
    const { result, setCookie } = await parallel;
    assert.equal(result, null); // the pre-login ID opens nothing (R05)
    assert.deepEqual(setCookie, []);
    assert.equal((await visit(sessions, browser, (session) => session.userId)).result, "ada");
  });

  it("a request queued behind the login that writes to its (new, empty) session sends no cookie either", async () => {
    // e.g. a form page that creates a CSRF token: saving it would send a new anonymous cookie, and if
    // the browser handled that response last, the user would be signed out again.
    const { sessions, memory } = harness();
    const browser = new CookieJar();
    await visit(sessions, browser, countView);
    const { login, open: openLogin } = heldLogin(sessions, browser);
    const parallel = visit(sessions, browser, (session) => {
      session.data.csrfToken = "t";
      return session.isNew;
    });
    openLogin();
    await login;
    const { result, setCookie } = await parallel;
    assert.equal(result, true);
    assert.deepEqual(setCookie, []);
    assert.equal(memory.size, 1); // the login's session only
    assert.equal((await visit(sessions, browser, (session) => session.userId)).result, "ada");
  });

  it("a request queued behind another with a merely stale cookie still gets its new session saved", async () => {
    // Two tabs restored after the idle timeout: the first writes nothing (its cookie is cleared), the
    // second renders a form with a CSRF token, which must be stored, or the form can't be submitted.
    const { sessions, clock, memory } = harness();
    const browser = new CookieJar();
    await visit(sessions, browser, countView);
    clock.advance(31 * 60_000);
    const firstHeld = gate();
    const first = visit(sessions, browser, async (session) => {
      await firstHeld.promise;
      return session.isNew;
    });
    const second = visit(sessions, browser, (session) => {
      session.data.csrfToken = "t";
      return session.isNew;
    });
    firstHeld.open();
    assert.equal((await first).result, true);
    const { result, setCookie } = await second;
    assert.equal(result, true);
    assert.equal(setCookie.length, 1);
    assert.doesNotMatch(setCookie[0]!, /Max-Age=0/);
    assert.equal(memory.size, 1);
    assert.equal((await visit(sessions, browser, (session) => session.data.csrfToken)).result, "t");
  });

  it("a request that brings the old cookie just after the refresh that replaced it gets no cookie either", async () => {
    // Not queued: the browser sent it (another tab, a refresh timer) before the refresh's answer came
    // back, and it arrived after the refresh had finished. A clearing cookie handled last would delete
    // the refreshed one and sign the user out.
    const { sessions, clock } = harness();
    const browser = new CookieJar();
    await logIn(sessions, browser, "ada");
    const inFlight = new CookieJar();
    inFlight.set("sid", browser.get("sid")!);
    await visit(sessions, browser, (session) => session.regenerate({ keepData: true })); // the refresh
    clock.advance(2_000);
    const { result, setCookie } = await visit(sessions, inFlight, (session) => session.userId);
    assert.equal(result, null); // the replaced ID opens nothing (R05)
    assert.deepEqual(setCookie, []);
    assert.equal((await visit(sessions, browser, (session) => session.userId)).result, "ada");
  });

  it("a request queued behind the login spares the new cookie however long its own work takes", async () => {
    // It arrived before the old ID was replaced: what counts is its arrival, not when it finishes.
    const { sessions, clock } = harness();
    const browser = new CookieJar();
    await visit(sessions, browser, countView);
    const { login, open: openLogin } = heldLogin(sessions, browser);
    const parallel = visit(sessions, browser, (session) => {
      clock.advance(60_000); // slow work of its own: a store, a provider...
      session.data.csrfToken = "t";
      return session.isNew;
    });
    openLogin();
    await login;
    assert.deepEqual((await parallel).setCookie, []);
    assert.equal((await visit(sessions, browser, (session) => session.userId)).result, "ada");
  });

  it("spares the replaced cookie for 10 s after the login only: later, it gets a new session, or is cleared", async () => {
    // Otherwise a browser that lost the login's answer would, for as long as it is remembered, get
    // neither: no new session for its login form's CSRF token, and no clearing cookie.
    const { sessions, clock } = harness();
    const browser = new CookieJar();
    await visit(sessions, browser, countView);
    const oldCookie = browser.get("sid")!;
    await logIn(sessions, browser, "ada");
    const withOld = () => {
      const jar = new CookieJar();
      jar.set("sid", oldCookie);
      return jar;
    };
    clock.advance(9_999);
    assert.deepEqual((await visit(sessions, withOld(), countView)).setCookie, []);
    clock.advance(1);
    const { result, setCookie } = await visit(sessions, withOld(), countView);
    assert.equal(result, 1);
    assert.equal(setCookie.length, 1);
    assert.doesNotMatch(setCookie[0]!, /Max-Age=0/);
    assert.match((await visit(sessions, withOld(), (session) => session.isNew)).setCookie[0] ?? "", /^sid=; Max-Age=0;/);
  });

  it("does not spare a logged-out cookie: the user is signed out whichever answer the browser takes last", async () => {
    // A request that brings it right after the logout is a visitor like any other: it may start a new
    // session (a login form's CSRF token), or gets a clearing cookie.
    const { sessions } = harness();
    const browser = new CookieJar();
    await logIn(sessions, browser, "ada");
    const oldCookie = browser.get("sid")!;
    await visit(sessions, browser, (session) => session.destroy());
    const late = new CookieJar();
    late.set("sid", oldCookie);
    const { result, setCookie } = await visit(sessions, late, (session) => {
      session.data.csrfToken = "t";
      return session.userId;
    });
    assert.equal(result, null);
    assert.equal(setCookie.length, 1);
    assert.doesNotMatch(setCookie[0]!, /Max-Age=0/);
    assert.notEqual(late.get("sid"), oldCookie);
  });

  it("a stale cookie on its own is still cleared", async () => {
    const { sessions, memory } = harness();
    const browser = new CookieJar();
    await visit(sessions, browser, countView);
    await memory.close(); // the store forgot every session
    const { setCookie } = await visit(sessions, browser, (session) => session.isNew);
    assert.match(setCookie[0] ?? "", /^sid=; Max-Age=0;/);
  });
});

describe("session manager: destroy (R06)", () => {
  it("R06: logout deletes the stored session and clears the cookie with the same name and Path", async () => {
    const { sessions, memory } = harness();
    const jar = new CookieJar();
    await logIn(sessions, jar, "ada");
    const old = jar.get("sid")!;
    const key = storeKeyOf(idOf(jar));
    const { setCookie } = await visit(sessions, jar, (session) => session.destroy());
    assert.deepEqual(setCookie, ["sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"]);
    assert.equal(await memory.get(key), null);
    assert.equal(jar.get("sid"), undefined);

    const replay = new CookieJar();
    replay.set("sid", old);
    assert.deepEqual((await visit(sessions, replay, (s) => [s.isNew, s.userId])).result, [true, null]);
  });

  it("R06: logout without a session is harmless and still answers with a clearing cookie", async () => {
    const { sessions, store } = harness();
    const { setCookie } = await visit(sessions, new CookieJar(), (session) => session.destroy());
    assert.equal(setCookie.length, 1);
    assert.match(setCookie[0]!, /^sid=; Max-Age=0; /);
    assert.deepEqual(store.writes(), []);
  });

  it("R06: over HTTPS the clearing cookie carries the __Host- name and Secure", async () => {
    const { sessions } = harness({ isSecureRequest: () => true });
    const jar = new CookieJar();
    await logIn(sessions, jar, "ada");
    const { setCookie } = await visit(sessions, jar, (session) => session.destroy());
    assert.deepEqual(setCookie, ["__Host-sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax"]);
  });

  it("destroy() wins over changes and regenerate() in the same request", async () => {
    const { sessions, memory } = harness();
    const jar = new CookieJar();
    await logIn(sessions, jar, "ada");
    await visit(sessions, jar, (session) => {
      session.data.views = 5;
      session.destroy();
      session.regenerate();
    });
    assert.equal(memory.size, 0);
  });
});

describe("session manager: destroyAllForUser", () => {
  it("deletes every session of the user and no one else's, and says how many", async () => {
    const { sessions } = harness();
    const laptop = new CookieJar();
    const phone = new CookieJar();
    const other = new CookieJar();
    await logIn(sessions, laptop, "ada");
    await logIn(sessions, phone, "ada");
    await logIn(sessions, other, "bob");
    assert.equal(await sessions.destroyAllForUser("ada"), 2);
    assert.equal((await visit(sessions, laptop, (s) => s.userId)).result, null);
    assert.equal((await visit(sessions, phone, (s) => s.userId)).result, null);
    assert.equal((await visit(sessions, other, (s) => s.userId)).result, "bob");
  });

  it("keeps the session named in `except` (the one changing the password)", async () => {
    const { sessions } = harness();
    const laptop = new CookieJar();
    const phone = new CookieJar();
    await logIn(sessions, laptop, "ada");
    await logIn(sessions, phone, "ada");
    await visit(sessions, laptop, async (session) => {
      await sessions.destroyAllForUser("ada", { except: session });
      session.regenerate({ keepData: true });
    });
    assert.equal((await visit(sessions, laptop, (s) => s.userId)).result, "ada");
    assert.equal((await visit(sessions, phone, (s) => s.userId)).result, null);

    // Without regenerate the kept session is saved again under its ID.
    await logIn(sessions, phone, "ada");
    await visit(sessions, laptop, async (session) => {
      await sessions.destroyAllForUser("ada", { except: session });
    });
    assert.equal((await visit(sessions, laptop, (s) => s.userId)).result, "ada");
    assert.equal((await visit(sessions, phone, (s) => s.userId)).result, null);
  });

  it("R13: a request of that user in flight during the deletion can't write its session back", async () => {
    const { sessions, clock } = harness();
    const attacker = new CookieJar();
    await logIn(sessions, attacker, "ada");
    clock.advance(5 * 60_000); // so the slow request would also touch
    const slow = gate();
    const inFlight = visit(sessions, attacker, async (session: Session) => {
      await slow.promise;
      session.data.stolen = true; // a change that would be saved
    });
    await new Promise((resolve) => setImmediate(resolve)); // let it load
    assert.equal(await sessions.destroyAllForUser("ada"), 1);
    slow.open();
    const { setCookie } = await inFlight;
    assert.match(setCookie[0]!, /^sid=; Max-Age=0;/);
    assert.equal((await visit(sessions, attacker, (s) => s.userId)).result, null);
  });

  it("R13: a request of that user already saving its session when the deletion runs doesn't put it back", async () => {
    const { sessions, memory, store } = harness();
    const attacker = new CookieJar();
    await logIn(sessions, attacker, "ada");
    // The store's set() is slow: the deletion runs while the write is under way.
    const writeHeld = gate();
    const writeStarted = gate();
    const set = store.set.bind(store);
    store.set = async (key, record) => {
      writeStarted.open();
      await writeHeld.promise;
      return set(key, record);
    };
    const saving = visit(sessions, attacker, (session: Session) => {
      session.data.stolen = true;
    });
    await writeStarted.promise;
    assert.equal(await sessions.destroyAllForUser("ada"), 1); // the stored version, before the write lands
    writeHeld.open();
    const { setCookie } = await saving;
    assert.match(setCookie[0]!, /^sid=; Max-Age=0;/);
    assert.equal(memory.size, 0);
    assert.equal((await visit(sessions, attacker, (s) => s.userId)).result, null);
  });

  it("R05: a login of that user in progress during the deletion doesn't survive it", async () => {
    // The attacker's login checked the old password just before it was changed.
    const { sessions, memory } = harness();
    const attacker = new CookieJar();
    await visit(sessions, attacker, countView);
    const passwordChecked = gate();
    const login = visit(sessions, attacker, async (session: Session) => {
      await passwordChecked.promise;
      session.userId = "ada";
      session.regenerate();
    });
    await new Promise((resolve) => setImmediate(resolve)); // let it load
    assert.equal(await sessions.destroyAllForUser("ada"), 0); // nothing stored for ada yet
    passwordChecked.open();
    const { setCookie } = await login;
    assert.match(setCookie[0]!, /^sid=; Max-Age=0;/);
    assert.equal(memory.size, 0);
    assert.equal((await visit(sessions, attacker, (s) => s.userId)).result, null);
  });

  it("R05: a login of that user already saving its new session when the deletion runs doesn't keep it", async () => {
    // The login's new ID was never stored before the deletion: only the login itself can remove it.
    const { sessions, memory, store } = harness();
    const attacker = new CookieJar();
    await visit(sessions, attacker, countView);
    const writeHeld = gate();
    const writeStarted = gate();
    const set = store.set.bind(store);
    store.set = async (key, record) => {
      writeStarted.open();
      await writeHeld.promise;
      return set(key, record);
    };
    let newId = "";
    const login = visit(sessions, attacker, (session: Session) => {
      session.userId = "ada";
      session.regenerate();
      newId = session.id;
    });
    await writeStarted.promise;
    assert.equal(await sessions.destroyAllForUser("ada"), 0); // the new session isn't stored yet
    writeHeld.open();
    const { setCookie } = await login;
    assert.match(setCookie[0]!, /^sid=; Max-Age=0;/);
    assert.equal(await memory.get(storeKeyOf(newId)), null);
    assert.equal(memory.size, 0);
    const replay = new CookieJar();
    replay.set("sid", encodeURIComponent(sign(newId, secret)));
    assert.equal((await visit(sessions, replay, (s) => s.userId)).result, null);
  });

  it("R13: a request that read the user's record just before the deletion and resumes after it neither runs as the user nor saves the session back", async () => {
    // It started after destroyAllForUser had marked the running requests, and its record comes back
    // after the deletion ended (usersBeingDestroyed is empty again): only the mark destroyAllForUser
    // sets on its way out tells it that record is gone for good.
    const { sessions, store, memory } = harness();
    const attacker = new CookieJar();
    await logIn(sessions, attacker, "ada");
    const stolen = attacker.get("sid")!;
    const stolenKey = storeKeyOf(idOf(attacker));
    const releaseDeletion = holdDeletion(store);
    const destroying = sessions.destroyAllForUser("ada");
    const slowRead = holdNextRead(store);
    const request = visit(sessions, attacker, (session: Session) => {
      session.data.note = "written by a request that loaded ada's session"; // a change that would be saved
      return session.userId;
    });
    await slowRead.read; // it has ada's record in hand...
    releaseDeletion();
    assert.equal(await destroying, 1); // ...the deletion is over...
    slowRead.release(); // ...and only now does the read return
    assert.equal((await request).result, null);
    assert.equal(await memory.get(stolenKey), null);
    const replay = new CookieJar();
    replay.set("sid", stolen);
    assert.equal((await visit(sessions, replay, (s) => s.userId)).result, null);
  });

  it("R13: a request that starts loading while the deletion is running gets no session of that user", async () => {
    // The store still holds the record (the deletion hasn't reached it): the request must not take it.
    const { sessions, store } = harness();
    const attacker = new CookieJar();
    await logIn(sessions, attacker, "ada");
    const stolen = attacker.get("sid")!;
    const releaseDeletion = holdDeletion(store);
    const destroying = sessions.destroyAllForUser("ada");
    const { result } = await visit(sessions, attacker, (session: Session) => [session.isNew, session.userId]);
    assert.deepEqual(result, [true, null]);
    releaseDeletion();
    await destroying;
    const replay = new CookieJar();
    replay.set("sid", stolen);
    assert.equal((await visit(sessions, replay, (s) => s.userId)).result, null);
  });

  it("refuses an `except` that is not the session of a request still running", async () => {
    const { sessions } = harness();
    const laptop = new CookieJar();
    await logIn(sessions, laptop, "ada");
    const { result: finished } = await visit(sessions, laptop, (session: Session) => session);
    await assert.rejects(sessions.destroyAllForUser("ada", { except: finished }), {
      name: "TypeError",
      message: /"except" is invalid: must be the session of a request still inside withSession/,
    });
    assert.equal((await visit(sessions, laptop, (s) => s.userId)).result, "ada"); // nothing was deleted
  });
});

describe("session manager: peek() shows only what withSession would accept", () => {
  it("returns null for a session expired under the manager's timeouts, even if the store still returns it", async () => {
    // A store's own expiry check may lag or be missing (a custom store, a database TTL sweep): peek()
    // must not show a session that withSession would refuse.
    const clock = createClock();
    const memory = new MemoryStore({ now: () => 0 }); // its clock stands still: it never finds a record expired
    const sessions = createSessionManager({ store: memory, secrets: [secret], now: clock.now });
    const jar = new CookieJar();
    await logIn(sessions, jar, "ada");
    clock.advance(30 * 60_000 - 1); // the default idle timeout
    assert.equal((await sessions.peek(fakeRequest({ cookie: jar.header() })))?.userId, "ada");
    clock.advance(1);
    assert.notEqual(await memory.get(storeKeyOf(idOf(jar))), null); // the store would still hand it out
    assert.equal(await sessions.peek(fakeRequest({ cookie: jar.header() })), null);
  });

  it("returns null for a session of a user whose destroyAllForUser is still running", async () => {
    // The store still holds the record until the deletion reaches it; the user's sessions are over already.
    const { sessions, store } = harness();
    const ada = new CookieJar();
    const bob = new CookieJar();
    await logIn(sessions, ada, "ada");
    await logIn(sessions, bob, "bob");
    const releaseDeletion = holdDeletion(store);
    const destroying = sessions.destroyAllForUser("ada");
    assert.equal(await sessions.peek(fakeRequest({ cookie: ada.header() })), null);
    assert.equal((await sessions.peek(fakeRequest({ cookie: bob.header() })))?.userId, "bob"); // others are untouched
    releaseDeletion();
    assert.equal(await destroying, 1);
  });
});
