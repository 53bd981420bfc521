// Pitfall: the popular JSON-API tutorial gives each session an expiry 120 seconds ahead and checks it
// with an isExpired() method that computes the comparison and never returns it. The method returns
// undefined, which is falsy, so every session passes the check forever; and the `sessions` map, which
// only drops entries it finds expired, never drops any. Here expiry is a pure function that returns a
// boolean (src/session/timeouts.ts), tested at the exact instant; over HTTP, step 07's sessions end
// after 30 idle minutes and at 8 hours however active, and step 08's (the JSON API that re-tells the
// tutorial) after its 120 seconds, deleted when seen. No sleeping: the servers' clocks are injected.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isExpired, sessionTimeouts } from "../../src/session/timeouts.ts";
import type { SessionRecord } from "../../src/session/store.ts";
import { createClock, type TestClock } from "../helpers/clock.ts";
import { registerUser } from "../helpers/forms.ts";
import { type StartedStep, startStep } from "../helpers/start-step.ts";

const lifetimeMs = 120_000;

// The bug, re-typed in our words: the comparison is evaluated, then dropped.
function isExpiredWithoutReturn(expiresAtMs: number, nowMs: number): boolean | void {
  expiresAtMs < nowMs; // the missing `return`
}

describe("pitfall: an isExpired() that forgets to return", () => {
  it("says 'not expired' even for a session that ended in 1970", () => {
    const verdict: unknown = isExpiredWithoutReturn(0, Date.UTC(2025, 0, 1));
    assert.equal(Boolean(verdict), false); // what `if (session.isExpired())` sees
    assert.equal(verdict, undefined);
  });

  it("R07: our isExpired() returns true from the expiry instant on, false just before", () => {
    const timeouts = sessionTimeouts({ idleTimeoutSeconds: 120, anonymousIdleTimeoutSeconds: 120, absoluteTimeoutSeconds: 8 * 3600, touchIntervalSeconds: 1 });
    const createdAtMs = Date.UTC(2025, 0, 1);
    const record: SessionRecord = { data: {}, userId: "user1", createdAtMs, lastSeenMs: createdAtMs, expiresAtMs: createdAtMs + lifetimeMs };
    assert.equal(isExpired(record, createdAtMs + lifetimeMs - 1, timeouts), false);
    assert.equal(isExpired(record, createdAtMs + lifetimeMs, timeouts), true);
    assert.equal(isExpired(record, createdAtMs + 365 * 24 * 3600_000, timeouts), true);
  });
});

describe("pitfall: sessions that never expire (step 08 over HTTP)", () => {
  let app: StartedStep;
  let clock: TestClock;
  before(async () => {
    clock = createClock();
    app = await startStep("08", { env: { SCRYPT_PARAMS: "fast-for-tests" }, now: clock.now });
  });
  after(() => app.close());

  async function signedInBrowser() {
    const browser = app.newBrowser();
    const response = await browser.fetch("/signin", {
      method: "POST",
      headers: { Origin: app.baseUrl, "Content-Type": "application/json" },
      body: JSON.stringify({ username: "user1", password: "password1" }),
    });
    assert.equal(response.status, 200);
    return browser;
  }

  it("R07: a session works 1 ms before its 120 seconds are up and gets 401 at 120 seconds", async () => {
    const browser = await signedInBrowser();
    clock.advance(lifetimeMs - 1);
    assert.equal((await browser.fetch("/welcome")).status, 200);
    clock.advance(1);
    assert.equal((await browser.fetch("/welcome")).status, 401);
  });

  it("R07: a session left alone for a day is still expired, and is deleted, not just hidden", async () => {
    const browser = await signedInBrowser();
    const signedInAt = clock.now();
    clock.advance(24 * 3600_000);
    assert.equal((await browser.fetch("/welcome")).status, 401);
    // Had the record only been skipped, it would be valid again with the clock back in its lifetime.
    clock.set(signedInAt + 1);
    assert.equal((await browser.fetch("/welcome")).status, 401);
  });
});

describe("pitfall: sessions that never expire (step 07, the HTML login)", () => {
  const minuteMs = 60_000;
  let app: StartedStep;
  let clock: TestClock;
  before(async () => {
    clock = createClock();
    app = await startStep("07", { env: { SCRYPT_PARAMS: "fast-for-tests" }, now: clock.now });
  });
  after(() => app.close());

  /** 200 for the home page, 303 when sent to log in. */
  async function home(browser = app as Pick<StartedStep, "fetch">): Promise<number> {
    const response = await browser.fetch("/");
    await response.text();
    return response.status;
  }

  it("R07: a session idle for 30 minutes is over; one used within them lives on", async () => {
    const browser = app.newBrowser();
    await registerUser(app, browser, "idle-user", "correct horse battery staple");
    clock.advance(30 * minuteMs - 1);
    assert.equal(await home(browser), 200, "used 1 ms before the idle limit");
    clock.advance(30 * minuteMs - 1);
    assert.equal(await home(browser), 200, "the visit restarted the idle clock");
    clock.advance(30 * minuteMs);
    assert.equal(await home(browser), 303, "30 idle minutes: sent to log in");
  });

  it("R08: a session used every 20 minutes still ends 8 hours after login", async () => {
    const browser = app.newBrowser();
    await registerUser(app, browser, "busy-user", "correct horse battery staple");
    const loggedInAt = clock.now();
    for (let minutes = 20; minutes < 8 * 60; minutes += 20) {
      clock.set(loggedInAt + minutes * minuteMs);
      assert.equal(await home(browser), 200, `${minutes} minutes in`);
    }
    clock.set(loggedInAt + 8 * 60 * minuteMs - 1);
    assert.equal(await home(browser), 200);
    clock.set(loggedInAt + 8 * 60 * minuteMs);
    assert.equal(await home(browser), 303);
  });
});
