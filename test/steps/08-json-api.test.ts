// Step 08 over real HTTP: the JSON sign-in API (/signin, /welcome, /refresh, /logout) with short
// sessions, demo users, CORS for an allow-listed front end, and every refusal: 400, 401, 403, 405,
// 413, 415, 429. Time moves only through the injected clock; passwords hash with the cheap test
// parameters (SCRYPT_PARAMS=fast-for-tests, honoured only under node --test).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { loginFailedMessage } from "../../src/auth/login.ts";
import { sign } from "../../src/cookies/sign.ts";
import { hashPassword } from "../../src/crypto/password.ts";
import { randomToken } from "../../src/crypto/random.ts";
import { generateSessionId } from "../../src/session/session-id.ts";
import { UserStore } from "../../src/users/user-store.ts";
import { createClock, type TestClock } from "../helpers/clock.ts";
import { type Browser, type StartedStep, startStep } from "../helpers/start-step.ts";

const secret = randomToken(32);
const baseEnv = { SCRYPT_PARAMS: "fast-for-tests", SESSION_SECRET: secret };
const cookieName = "session_token";
const lifetimeMs = 120_000; // the default SESSION_LIFETIME_SECONDS
const user1 = { username: "user1", password: "password1" };
const user2 = { username: "user2", password: "password2" };
const frontEnd = "http://front.example:5173";
const notSignedIn = { error: "Not signed in, or the session has expired" };
const badFields = { error: `Send a JSON object with "username" and "password" strings` };

interface Started {
  app: StartedStep;
  clock: TestClock;
}

async function start(env: Record<string, string> = {}): Promise<Started> {
  const clock = createClock();
  const app = await startStep("08", { env: { ...baseEnv, ...env }, now: clock.now });
  return { app, clock };
}

/** A POST as a page of the app itself would send it: Origin set, JSON body when given. */
function post(app: StartedStep, browser: Browser, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const json: Record<string, string> = body === undefined ? {} : { "Content-Type": "application/json" };
  return browser.fetch(path, {
    method: "POST",
    headers: { Origin: app.baseUrl, ...json, ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
}

function signIn(app: StartedStep, browser: Browser = app, credentials: object = user1) {
  return post(app, browser, "/signin", credentials);
}

function welcome(browser: Browser, headers: Record<string, string> = {}) {
  return browser.fetch("/welcome", { headers: { Accept: "application/json", ...headers } });
}

async function jsonOf(response: Response): Promise<unknown> {
  assert.equal(response.headers.get("content-type"), "application/json");
  return response.json();
}

function setCookieOf(response: Response): string | undefined {
  return response.headers.getSetCookie().find((line) => line.startsWith(`${cookieName}=`));
}

describe("step 08: sign-in, welcome, refresh, logout", () => {
  let app: StartedStep;
  let clock: TestClock;
  before(async () => ({ app, clock } = await start()));
  after(() => app.close());

  it("R03: signs in with JSON: 200, the username, and an HttpOnly SameSite=Lax cookie living 120 s", async () => {
    const browser = app.newBrowser();
    const response = await signIn(app, browser);
    assert.equal(response.status, 200);
    assert.deepEqual(await jsonOf(response), { username: "user1" });
    assert.match(setCookieOf(response) ?? "", /^session_token=[\w%.-]+; Max-Age=120; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.equal(response.headers.get("cache-control"), "no-store"); // R09
  });

  it("greets a live session: text by default (as the tutorial), JSON when Accept asks for it", async () => {
    const browser = app.newBrowser();
    await signIn(app, browser);
    const text = await browser.fetch("/welcome");
    assert.equal(text.status, 200);
    assert.equal(text.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await text.text(), "Welcome user1!");
    assert.equal(text.headers.get("cache-control"), "no-store"); // R09
    const json = await welcome(browser);
    assert.deepEqual(await jsonOf(json), { message: "Welcome user1!", username: "user1" });
  });

  it("runs the whole flow: sign in, welcome, refresh, welcome, logout, then 401", async () => {
    const browser = app.newBrowser();
    assert.equal((await signIn(app, browser, user2)).status, 200);
    assert.equal((await welcome(browser)).status, 200);
    const refreshed = await post(app, browser, "/refresh");
    assert.equal(refreshed.status, 200);
    assert.deepEqual(await jsonOf(refreshed), { username: "user2" });
    assert.deepEqual(await jsonOf(await welcome(browser)), { message: "Welcome user2!", username: "user2" });
    assert.equal((await post(app, browser, "/logout")).status, 204);
    const after = await welcome(browser);
    assert.equal(after.status, 401);
    assert.deepEqual(await jsonOf(after), notSignedIn);
  });

  it("R15: answers a wrong password and an unknown user with the same 401, message and no cookie", async () => {
    const answers = [];
    for (const credentials of [{ ...user1, password: "password2" }, { username: "nobody", password: "password1" }]) {
      const response = await signIn(app, app.newBrowser(), credentials);
      assert.equal(setCookieOf(response), undefined);
      answers.push({ status: response.status, body: await jsonOf(response) });
    }
    assert.deepEqual(answers, [
      { status: 401, body: { error: loginFailedMessage } },
      { status: 401, body: { error: loginFailedMessage } },
    ]);
  });

  it("R05: signing in again issues a new session ID and the old one stops working", async () => {
    const browser = app.newBrowser();
    await signIn(app, browser);
    const first = browser.jar.get(cookieName);
    await signIn(app, browser, user2);
    assert.notEqual(browser.jar.get(cookieName), first);
    const stale = app.newBrowser();
    stale.jar.set(cookieName, first!);
    assert.equal((await welcome(stale)).status, 401);
  });

  const malformed: Array<[string, string, object]> = [
    ["cut-off JSON", `{"username":"user1","password":`, { error: "Malformed JSON body" }],
    ["a JavaScript object literal", `{username: "user1"}`, { error: "Malformed JSON body" }],
    ["an empty body", "", { error: "Malformed JSON body" }],
    ["an array", `["user1","password1"]`, badFields],
    ["null", "null", badFields],
    ["a string", `"user1"`, badFields],
    ["an empty object", "{}", badFields],
    ["no password", `{"username":"user1"}`, badFields],
    ["a number as the username", `{"username":1,"password":"password1"}`, badFields],
    ["an array as the password", `{"username":"user1","password":["password1"]}`, badFields],
    ["fields hidden in __proto__", `{"__proto__":{"username":"user1","password":"password1"}}`, badFields],
  ];
  for (const [name, body, error] of malformed) {
    it(`answers 400 with a JSON error, whatever Accept says, for ${name}`, async () => {
      const response = await post(app, app.newBrowser(), "/signin", body, { Accept: "*/*" });
      assert.equal(response.status, 400);
      assert.deepEqual(await jsonOf(response), error);
      assert.equal(setCookieOf(response), undefined);
    });
  }

  const simpleTypes = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=iso-8859-1"];
  for (const contentType of simpleTypes) {
    it(`R20: refuses a sign-in sent as ${contentType} with 415`, async () => {
      const response = await post(app, app.newBrowser(), "/signin", JSON.stringify(user1), { "Content-Type": contentType });
      assert.equal(response.status, 415);
      assert.deepEqual(await jsonOf(response), { error: "Unsupported Content-Type: expected application/json (UTF-8)" });
    });
  }

  it("R20: refuses a sign-in without any Content-Type with 415", async () => {
    const response = await app.newBrowser().fetch("/signin", {
      method: "POST",
      headers: { Origin: app.baseUrl },
      body: new Blob([JSON.stringify(user1)]), // a Blob without a type: fetch sends no Content-Type
    });
    assert.equal(response.status, 415);
  });

  it("refuses a body over 16 KiB with 413 before reading it all", async () => {
    const response = await post(app, app.newBrowser(), "/signin", { username: "user1", password: "x".repeat(20_000) });
    assert.equal(response.status, 413);
    assert.deepEqual(await jsonOf(response), { error: "The request body is larger than 16384 bytes" });
  });

  it("answers /welcome with 401 and a JSON error for a missing, forged, tampered or junk cookie", async () => {
    const real = app.newBrowser();
    await signIn(app, real);
    const value = real.jar.get(cookieName)!;
    const lastCharacter = value.at(-1) === "A" ? "B" : "A";
    const cookies: Array<[string, string | undefined]> = [
      ["missing", undefined],
      ["an ID we never issued, correctly signed", sign(generateSessionId(), secret)],
      ["a tampered signature", value.slice(0, -1) + lastCharacter],
      ["an unsigned ID", value.split(".")[0]],
      ["path characters", "../../etc/passwd"],
      ["a huge value", "A".repeat(4000)],
    ];
    for (const [name, cookie] of cookies) {
      const browser = app.newBrowser();
      if (cookie !== undefined) browser.jar.set(cookieName, cookie);
      const response = await browser.fetch("/welcome"); // no Accept: errors are JSON anyway
      assert.equal(response.status, 401, name);
      assert.deepEqual(await jsonOf(response), notSignedIn, name);
    }
    assert.equal((await welcome(real)).status, 200);
  });

  it("R07: a session is valid just before its lifetime ends and gone from that instant on", async () => {
    const browser = app.newBrowser();
    await signIn(app, browser);
    clock.advance(lifetimeMs - 1);
    assert.equal((await welcome(browser)).status, 200, "1 ms before the end");
    assert.equal((await welcome(browser)).status, 200, "looking does not extend it...");
    clock.advance(1);
    const expired = await welcome(browser);
    assert.equal(expired.status, 401, "...so it ends exactly at the lifetime");
    assert.deepEqual(await jsonOf(expired), notSignedIn);
    assert.equal((await post(app, browser, "/refresh")).status, 401, "an expired session cannot be refreshed");
  });

  it("R07: deletes an expired session when it sees it: turning the clock back does not revive it", async () => {
    const browser = app.newBrowser();
    await signIn(app, browser);
    const signedInAt = clock.now();
    clock.advance(lifetimeMs + 1);
    assert.equal((await welcome(browser)).status, 401);
    clock.set(signedInAt + 1000); // were it only hidden, it would be valid again at this instant
    assert.equal((await welcome(browser)).status, 401);
  });

  it("R05: /refresh issues a new session ID for the same user; a replay of the old cookie gets 401", async () => {
    const browser = app.newBrowser();
    await signIn(app, browser);
    const oldCookie = browser.jar.get(cookieName)!;
    const refreshed = await post(app, browser, "/refresh");
    assert.equal(refreshed.status, 200);
    assert.match(setCookieOf(refreshed) ?? "", /; Max-Age=120; /);
    assert.notEqual(browser.jar.get(cookieName), oldCookie);
    assert.equal((await welcome(browser)).status, 200);

    const attacker = app.newBrowser();
    attacker.jar.set(cookieName, oldCookie);
    assert.equal((await welcome(attacker)).status, 401);
    const replay = await post(app, attacker, "/refresh");
    assert.equal(replay.status, 401);
    assert.deepEqual(await jsonOf(replay), notSignedIn);
    assert.equal((await welcome(browser)).status, 200, "the replay did not harm the real session");
  });

  it("lets only one of two concurrent refreshes with the same cookie win", async () => {
    const browser = app.newBrowser();
    await signIn(app, browser);
    const [a, b] = await Promise.all([post(app, app.newBrowser(), "/refresh", undefined, { Cookie: `${cookieName}=${browser.jar.get(cookieName)}` }),
      post(app, app.newBrowser(), "/refresh", undefined, { Cookie: `${cookieName}=${browser.jar.get(cookieName)}` })]);
    assert.deepEqual([a!.status, b!.status].sort(), [200, 401]);
    assert.equal(setCookieOf(a!.status === 401 ? a! : b!), undefined, "the loser must not clear the winner's cookie");
  });

  it("a refresh another tab sent with the cookie a refresh just replaced gets 401 and leaves the new cookie", async () => {
    // Two tabs on refresh timers: tab B's request left before tab A's answer came back, and arrives
    // after A's refresh finished. A clearing cookie on B's 401, handled last, would sign the user out.
    const browser = app.newBrowser();
    await signIn(app, browser);
    const sentBeforeTheAnswer = { Cookie: `${cookieName}=${browser.jar.get(cookieName)}` };
    assert.equal((await post(app, browser, "/refresh")).status, 200); // tab A
    clock.advance(1_000);
    const late = await post(app, app.newBrowser(), "/refresh", undefined, sentBeforeTheAnswer); // tab B
    assert.equal(late.status, 401);
    assert.equal(setCookieOf(late), undefined);
    assert.equal((await welcome(browser)).status, 200);
  });

  it("/refresh renews the expiry: a refreshed session outlives the first lifetime, by one lifetime", async () => {
    const browser = app.newBrowser();
    await signIn(app, browser);
    clock.advance(100_000);
    assert.equal((await post(app, browser, "/refresh")).status, 200);
    clock.advance(lifetimeMs - 1); // 219.999 s after sign-in: long past the first expiry
    assert.equal((await welcome(browser)).status, 200);
    clock.advance(1);
    assert.equal((await welcome(browser)).status, 401);
  });

  it("/refresh without a session is 401, and a stale cookie is cleared", async () => {
    const none = await post(app, app.newBrowser(), "/refresh");
    assert.equal(none.status, 401);
    assert.deepEqual(await jsonOf(none), notSignedIn);
    const stale = app.newBrowser();
    stale.jar.set(cookieName, sign(generateSessionId(), secret));
    const response = await post(app, stale, "/refresh");
    assert.equal(response.status, 401);
    assert.match(setCookieOf(response) ?? "", /^session_token=; Max-Age=0; /);
  });

  it("R06: logout deletes the session server-side and clears the cookie; the old cookie then gets 401", async () => {
    const browser = app.newBrowser();
    await signIn(app, browser);
    const oldCookie = browser.jar.get(cookieName)!;
    const response = await post(app, browser, "/logout");
    assert.equal(response.status, 204);
    assert.equal(await response.text(), "");
    assert.equal(setCookieOf(response), "session_token=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax");
    assert.equal(browser.jar.get(cookieName), undefined);

    // The server forgot it too: a client that kept the cookie (or stole it) gets nowhere.
    const replay = app.newBrowser();
    replay.jar.set(cookieName, oldCookie);
    assert.equal((await welcome(replay)).status, 401);
    assert.equal((await post(app, replay, "/refresh")).status, 401);
  });

  it("R06: logout without a session, or twice, is a harmless 204", async () => {
    const browser = app.newBrowser();
    assert.equal((await post(app, browser, "/logout")).status, 204);
    await signIn(app, browser);
    assert.equal((await post(app, browser, "/logout")).status, 204);
    assert.equal((await post(app, browser, "/logout")).status, 204);
  });

  it("R18: logout is not a GET: GET /logout is 405, and a link or image cannot sign anyone out", async () => {
    const browser = app.newBrowser();
    await signIn(app, browser);
    const response = await browser.fetch("/logout");
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
    assert.equal((await welcome(browser)).status, 200);
  });

  it("answers unknown paths with 404 and wrong methods with 405 and Allow", async () => {
    assert.equal((await app.fetch("/users")).status, 404);
    const wrongMethod = await app.fetch("/welcome", { method: "DELETE", headers: { Origin: app.baseUrl } });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "GET, HEAD");
  });
});

describe("step 08: refusals that need their own server", () => {
  it("R17: after repeated failures answers 429 with Retry-After, then lets the right password in", async () => {
    const { app, clock } = await start();
    after(() => app.close());
    const wrong = { ...user1, password: "not the password" };
    for (let attempt = 1; attempt <= 5; attempt++) {
      assert.equal((await signIn(app, app.newBrowser(), wrong)).status, 401, `attempt ${attempt}`);
    }
    const throttled = await signIn(app, app.newBrowser(), user1); // even the right password waits
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get("retry-after"), "1");
    assert.deepEqual(await jsonOf(throttled), { error: "Too many failed sign-in attempts. Try again in 1 second." });
    assert.equal(setCookieOf(throttled), undefined);
    clock.advance(1000);
    assert.equal((await signIn(app, app.newBrowser(), user1)).status, 200);
  });

  it("R18: refuses a POST with no Origin, Referer or Sec-Fetch-Site (curl, a script) with 403", async () => {
    const { app } = await start();
    after(() => app.close());
    const response = await app.fetch("/signin", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(user1),
    });
    assert.equal(response.status, 403);
    assert.deepEqual(await jsonOf(response), { error: "request refused: no Sec-Fetch-Site, Origin or Referer header" });
    assert.equal(setCookieOf(response), undefined);
  });

  it("R08: refreshing never extends a session past its absolute lifetime of 8 hours", async () => {
    const { app, clock } = await start({ SESSION_LIFETIME_SECONDS: "3600" });
    after(() => app.close());
    const signedInAt = clock.now();
    const absoluteMs = 8 * 3600_000;
    const signedIn = await signIn(app);
    assert.match(setCookieOf(signedIn) ?? "", /; Max-Age=3600; /, "SESSION_LIFETIME_SECONDS sets Max-Age");
    // Refresh every 50 minutes, always in time: the lifetime restarts each time...
    let refreshed: Response | undefined;
    for (let atMs = 3000_000; atMs <= 27_000_000; atMs += 3000_000) {
      clock.set(signedInAt + atMs);
      refreshed = await post(app, app, "/refresh");
      assert.equal(refreshed.status, 200, `refresh ${atMs / 60_000} minutes in`);
    }
    // ...but the last one, 7.5 hours in, only got the 30 minutes left before the absolute limit.
    assert.match(setCookieOf(refreshed!) ?? "", /; Max-Age=1800; /);
    clock.set(signedInAt + absoluteMs - 1);
    assert.equal((await welcome(app)).status, 200);
    clock.set(signedInAt + absoluteMs);
    assert.equal((await post(app, app, "/refresh")).status, 401);
    assert.equal((await welcome(app)).status, 401);
  });

  it("R03: over HTTPS (behind a trusted proxy) the cookie is __Host-session_token with Secure", async () => {
    const { app } = await start({ TRUST_PROXY: "1" });
    after(() => app.close());
    const https = { "X-Forwarded-Proto": "https" };
    const response = await post(app, app, "/signin", user1, { ...https, Origin: app.baseUrl.replace("http:", "https:") });
    assert.equal(response.status, 200);
    assert.match(response.headers.getSetCookie()[0] ?? "", /^__Host-session_token=[^;]+; Max-Age=120; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    assert.equal(response.headers.get("strict-transport-security"), "max-age=31536000"); // HTTPS only from now on
    assert.equal((await welcome(app, https)).status, 200);
    assert.equal((await welcome(app)).headers.get("strict-transport-security"), null); // never over HTTP
  });
});

describe("step 08: demo users", () => {
  it("creates user1 and user2 in an empty store, says so loudly, and never logs their passwords", async () => {
    const { app } = await start();
    after(() => app.close());
    const announcement = app.logs.filter((line) => line.includes("DEMO USERS"));
    assert.equal(announcement.length, 1);
    assert.match(announcement[0]!, /"user1" and "user2" were created/);
    assert.match(announcement[0]!, /DEMO_USERS=off/);
    assert.ok(!app.logs.some((line) => line.includes("password1") || line.includes("password2")));
    assert.equal((await signIn(app, app.newBrowser(), user1)).status, 200);
    assert.equal((await signIn(app, app.newBrowser(), user2)).status, 200);

    // The store has users now: a restart creates nothing and announces nothing.
    await app.restart();
    assert.equal(app.logs.filter((line) => line.includes("DEMO USERS")).length, 1);
    assert.equal((await signIn(app, app.newBrowser(), user1)).status, 200);
  });

  it("creates none with DEMO_USERS=off", async () => {
    const { app } = await start({ DEMO_USERS: "off" });
    after(() => app.close());
    assert.ok(!app.logs.some((line) => line.includes("DEMO USERS")));
    const response = await signIn(app, app.newBrowser(), user1);
    assert.equal(response.status, 401);
  });

  const badSettings: Array<[Record<string, string>, string]> = [
    [{ DEMO_USERS: "maybe" }, `DEMO_USERS is invalid: must be "on" (create demo users in an empty user store) or "off"`],
    [{ SESSION_LIFETIME_SECONDS: "2m" }, `SESSION_LIFETIME_SECONDS is invalid: must be a whole number of seconds from 10 to 28800, got "2m"`],
    [{ SESSION_LIFETIME_SECONDS: "5" }, `SESSION_LIFETIME_SECONDS is invalid: must be a whole number of seconds from 10 to 28800, got "5"`],
    [{ CORS_ORIGINS: "*" }, `CORS_ORIGINS entry "*" is invalid: list exact origins such as https://app.example; "*" and "null" would let any page read your users' data`],
    [{ CORS_ORIGINS: "https://App.example/" }, `CORS_ORIGINS entry "https://App.example/" is invalid: write it exactly as browsers send it: "https://app.example" (scheme://host[:port], no path or trailing slash)`],
  ];
  for (const [env, message] of badSettings) {
    it(`refuses to start with ${JSON.stringify(env)}`, async () => {
      await assert.rejects(start(env), { name: "TypeError", message });
    });
  }
});

describe("step 08: a front end on another origin (CORS_ORIGINS)", () => {
  let app: StartedStep;
  before(async () => ({ app } = await start({ CORS_ORIGINS: `${frontEnd},https://other.example` })));
  after(() => app.close());

  /** What a browser on `origin` sends: Origin and Sec-Fetch-Site: cross-site. */
  const from = (origin: string) => ({ Origin: origin, "Sec-Fetch-Site": "cross-site" });

  it("R20: answers an allowed origin's preflight with its exact origin, credentials, methods, headers, Vary", async () => {
    const response = await app.fetch("/signin", {
      method: "OPTIONS",
      headers: { ...from(frontEnd), "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get("access-control-allow-origin"), frontEnd);
    assert.equal(response.headers.get("access-control-allow-credentials"), "true");
    assert.equal(response.headers.get("access-control-allow-methods"), "GET, HEAD, POST");
    assert.equal(response.headers.get("access-control-allow-headers"), "Content-Type");
    assert.equal(response.headers.get("access-control-max-age"), "600");
    assert.equal(response.headers.get("vary"), "Origin");
  });

  it("R20: signs in from an allowed origin with CORS headers on the answer, and greets it", async () => {
    const browser = app.newBrowser();
    const response = await post(app, browser, "/signin", user1, from(frontEnd));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("access-control-allow-origin"), frontEnd);
    assert.equal(response.headers.get("access-control-allow-credentials"), "true");
    assert.equal(response.headers.get("access-control-expose-headers"), "Retry-After");
    assert.equal(response.headers.get("vary"), "Origin");
    const greeting = await welcome(browser, from(frontEnd));
    assert.equal(greeting.status, 200);
    assert.equal(greeting.headers.get("access-control-allow-origin"), frontEnd);
    // Errors carry the headers too, or the front end could not read why it failed.
    const failed = await signIn(app, app.newBrowser(), { ...user2, password: "wrong" });
    assert.equal(failed.status, 401);
    const failedFromFrontEnd = await post(app, app.newBrowser(), "/signin", { ...user2, password: "wrong" }, from(frontEnd));
    assert.equal(failedFromFrontEnd.headers.get("access-control-allow-origin"), frontEnd);
  });

  for (const evil of ["https://evil.example", "http://front.example:5174", "https://front.example:5173", "null"]) {
    it(`R20: gives ${evil} a 403 preflight and no CORS headers`, async () => {
      const response = await app.fetch("/signin", {
        method: "OPTIONS",
        headers: { ...from(evil), "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
      });
      assert.equal(response.status, 403);
      assert.equal(response.headers.get("access-control-allow-origin"), null);
      assert.equal(response.headers.get("access-control-allow-credentials"), null);
      assert.equal(response.headers.get("vary"), "Origin");
    });

    it(`R18: refuses state-changing requests from ${evil} with 403, even ones a form could send`, async () => {
      const victim = app.newBrowser();
      await signIn(app, victim);
      const forgedLogout = await post(app, victim, "/logout", "x=1", { ...from(evil), "Content-Type": "application/x-www-form-urlencoded" });
      assert.equal(forgedLogout.status, 403);
      assert.equal(forgedLogout.headers.get("access-control-allow-origin"), null);
      const forgedRefresh = await post(app, victim, "/refresh", undefined, from(evil));
      assert.equal(forgedRefresh.status, 403);
      const forgedSignIn = await post(app, app.newBrowser(), "/signin", user2, from(evil));
      assert.equal(forgedSignIn.status, 403);
      assert.equal(setCookieOf(forgedSignIn), undefined);
      assert.equal((await welcome(victim)).status, 200, "still signed in with the same session");
    });
  }

  it("answers a GET from another origin without CORS headers, so its page cannot read the answer", async () => {
    const browser = app.newBrowser();
    await signIn(app, browser);
    const response = await welcome(browser, from("https://evil.example"));
    assert.equal(response.status, 200); // the browser receives it but hides it from the page
    assert.equal(response.headers.get("access-control-allow-origin"), null);
    assert.equal(response.headers.get("vary"), "Origin");
  });

  it("R18: refuses a same-site sibling that is not on the list", async () => {
    const response = await post(app, app.newBrowser(), "/signin", user1, {
      Origin: "http://admin.front.example:5173", "Sec-Fetch-Site": "same-site",
    });
    assert.equal(response.status, 403);
  });

  it("sends no CORS headers and no Vary at all when CORS_ORIGINS is unset", async () => {
    const { app: plain } = await start();
    after(() => plain.close());
    const preflight = await plain.fetch("/signin", {
      method: "OPTIONS",
      headers: { ...from(frontEnd), "Access-Control-Request-Method": "POST" },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
    assert.equal(preflight.headers.get("vary"), null);
    assert.equal((await post(plain, plain.newBrowser(), "/signin", user1, from(frontEnd))).status, 403);
  });
});

// The load comes from a child process, so the client keeps sending while the server works: all 50
// sign-ins are written to their sockets first, then one GET /welcome. It prints the order in which
// the 51 answers arrived. Plain JavaScript over node:net, so it runs on any Node without a loader.
const loadClient = `
import net from "node:net";
const { PORT, BODY, COOKIE } = process.env;
const finished = [];
function open() {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(PORT), "127.0.0.1", () => resolve(socket));
    socket.on("error", reject);
  });
}
function send(socket, name, request) {
  let text = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk) => (text += chunk));
  const answered = new Promise((resolve) => socket.on("close", () => {
    finished.push(name);
    resolve(Number(text.slice(9, 12)));
  }));
  return { written: new Promise((resolve) => socket.write(request, resolve)), answered };
}
const head = "Host: 127.0.0.1:" + PORT + "\\r\\nOrigin: http://127.0.0.1:" + PORT + "\\r\\nConnection: close\\r\\n";
const post = "POST /signin HTTP/1.1\\r\\n" + head + "Content-Type: application/json\\r\\nContent-Length: " +
  Buffer.byteLength(BODY) + "\\r\\n\\r\\n" + BODY;
const sockets = await Promise.all(Array.from({ length: 50 }, open));
const signIns = sockets.map((socket, index) => send(socket, "signin " + index, post));
await Promise.all(signIns.map((signIn) => signIn.written));
const get = send(await open(), "welcome", "GET /welcome HTTP/1.1\\r\\n" + head + "Cookie: " + COOKIE + "\\r\\n\\r\\n");
const statuses = await Promise.all(signIns.map((signIn) => signIn.answered));
console.log(JSON.stringify({ statuses, welcome: await get.answered, welcomePosition: finished.indexOf("welcome") }));
`;

describe("step 08: many sign-ins at once", () => {
  it("50 concurrent sign-ins all succeed, and a GET sent after them is answered while they still hash", async () => {
    // The user's stored hash costs N=2^12 (4 MiB): far more than the main thread spends on a request,
    // as a real hash does (the test parameters' N=2^10 is cheaper than parsing the request).
    const dataDir = mkdtempSync(join(tmpdir(), "nsfs-"));
    const users = await UserStore.open(join(dataDir, "users", "users.json"));
    await users.create({ name: "user1", passwordHash: await hashPassword("password1", { ln: 12, r: 8, p: 1 }) });
    const app = await startStep("08", { env: baseEnv, dataDir });
    after(async () => {
      await app.close(); // a folder we passed in is ours to remove
      rmSync(dataDir, { recursive: true, force: true });
    });
    const reader = app.newBrowser();
    await signIn(app, reader);
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", loadClient], {
      env: { PORT: new URL(app.baseUrl).port, BODY: JSON.stringify(user1), COOKIE: reader.jar.header() },
      timeout: 120_000,
    });
    const result = JSON.parse(stdout) as { statuses: number[]; welcome: number; welcomePosition: number };

    assert.deepEqual(result.statuses, Array(50).fill(200));
    assert.equal(result.welcome, 200);
    // scrypt runs on libuv's thread pool (4 threads), so the loop answers the GET while the queue of
    // hashes drains (measured here: after 11 to 31 sign-ins, on 2 busy cores). With the hash on the
    // main thread, as bcrypt.hashSync does, the GET waited behind every one of them: 50 of 50, each run.
    assert.ok(result.welcomePosition < 40, `the GET was answered only after ${result.welcomePosition} of the 50 sign-ins`);
  });
});
