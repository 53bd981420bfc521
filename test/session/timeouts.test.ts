import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expiryOf, isExpired, isTouchDue, secondsUntil, sessionTimeouts } from "../../src/session/timeouts.ts";

const timeouts = sessionTimeouts({ idleTimeoutSeconds: 1800, anonymousIdleTimeoutSeconds: 1800, absoluteTimeoutSeconds: 8 * 3600, touchIntervalSeconds: 60 });
const t0 = Date.UTC(2025, 0, 1);

function record(createdAtMs: number, lastSeenMs: number) {
  return { data: {}, userId: null, createdAtMs, lastSeenMs, expiresAtMs: expiryOf(createdAtMs, lastSeenMs, timeouts, null) };
}

describe("session timeouts", () => {
  it("R07: a session is valid just before lastSeen + idle and invalid from that instant on", () => {
    const r = record(t0, t0);
    assert.equal(isExpired(r, t0 + 1_800_000 - 1, timeouts), false);
    assert.equal(isExpired(r, t0 + 1_800_000, timeouts), true);
    assert.equal(isExpired(r, t0 + 1_800_000 + 1, timeouts), true);
  });

  it("R08: sliding renewal never moves expiry past createdAt + absolute", () => {
    const lastSeen = t0 + 8 * 3600_000 - 60_000; // one minute before the absolute limit
    assert.equal(expiryOf(t0, lastSeen, timeouts, null), t0 + 8 * 3600_000);
    assert.equal(isExpired(record(t0, lastSeen), t0 + 8 * 3600_000, timeouts), true);
  });

  it("gives a session without a user the shorter anonymous idle limit, a signed-in one the long one", () => {
    const remember = sessionTimeouts({ idleTimeoutSeconds: 30 * 86400, anonymousIdleTimeoutSeconds: 1800, absoluteTimeoutSeconds: 30 * 86400, touchIntervalSeconds: 60 });
    assert.equal(expiryOf(t0, t0, remember, null), t0 + 1_800_000);
    assert.equal(expiryOf(t0, t0, remember, "alice"), t0 + 30 * 86_400_000);
    const stored = { data: {}, userId: null, createdAtMs: t0, lastSeenMs: t0, expiresAtMs: t0 + 30 * 86_400_000 };
    assert.equal(isExpired(stored, t0 + 1_800_000, remember), true); // even if stored with the long expiry
    assert.equal(isExpired({ ...stored, userId: "alice" }, t0 + 1_800_000, remember), false);
  });

  it("applies today's shorter settings to a record stored with a later expiry", () => {
    const r = { ...record(t0, t0), expiresAtMs: t0 + 10 * 3600_000 };
    assert.equal(isExpired(r, t0 + 1_800_000, timeouts), true);
  });

  it("is due for a touch only once a full interval has passed", () => {
    const r = record(t0, t0);
    assert.equal(isTouchDue(r, t0 + 59_999, timeouts), false);
    assert.equal(isTouchDue(r, t0 + 60_000, timeouts), true);
  });

  it("rounds the cookie's Max-Age up to whole seconds and never below 0", () => {
    assert.equal(secondsUntil(t0 + 1500, t0), 2);
    assert.equal(secondsUntil(t0 + 1400, t0), 2); // rounding to nearest would end the cookie 0.4 s early
    assert.equal(secondsUntil(t0 + 1, t0), 1);
    assert.equal(secondsUntil(t0 + 1_800_000, t0), 1800);
    assert.equal(secondsUntil(t0 - 5, t0), 0);
  });

  const invalid: Array<[string, object, string]> = [
    ["a zero idle timeout", { idleTimeoutSeconds: 0 }, `session "idleTimeoutSeconds" is invalid: must be a positive whole number of seconds`],
    ["a fractional absolute timeout", { absoluteTimeoutSeconds: 1.5 }, `session "absoluteTimeoutSeconds" is invalid: must be a positive whole number of seconds`],
    ["a touch interval given as a string", { touchIntervalSeconds: "60" }, `session "touchIntervalSeconds" is invalid: must be a positive whole number of seconds`],
    ["a touch interval as long as the idle timeout", { touchIntervalSeconds: 1800 }, `session "touchIntervalSeconds" is invalid: must be less than "idleTimeoutSeconds"`],
    ["a touch interval as long as the anonymous idle timeout", { anonymousIdleTimeoutSeconds: 60 }, `session "touchIntervalSeconds" is invalid: must be less than "anonymousIdleTimeoutSeconds"`],
    ["a zero anonymous idle timeout", { anonymousIdleTimeoutSeconds: 0 }, `session "anonymousIdleTimeoutSeconds" is invalid: must be a positive whole number of seconds`],
  ];
  for (const [name, change, message] of invalid) {
    it(`throws a TypeError at start-up for ${name}`, () => {
      const settings = { idleTimeoutSeconds: 1800, anonymousIdleTimeoutSeconds: 1800, absoluteTimeoutSeconds: 28_800, touchIntervalSeconds: 60, ...change };
      assert.throws(() => sessionTimeouts(settings as Parameters<typeof sessionTimeouts>[0]), { name: "TypeError", message });
    });
  }
});
