import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type AttemptTurn, LoginThrottle, type LoginThrottleOptions } from "../../src/auth/login-throttle.ts";

function setup(options: Omit<LoginThrottleOptions, "now"> = {}) {
  const clock = { ms: 1_700_000_000_000 };
  const throttle = new LoginThrottle({ ...options, now: () => clock.ms });
  const fail = (key: string, times: number) => {
    for (let i = 0; i < times; i++) throttle.recordFailure(key);
  };
  return { clock, throttle, fail };
}

describe("LoginThrottle", () => {
  it("R17: allows four failures, then the fifth locks the key for one second", () => {
    const { clock, throttle, fail } = setup();
    fail("user:alice", 4);
    assert.deepEqual(throttle.check("user:alice"), { allowed: true });
    fail("user:alice", 1);
    assert.deepEqual(throttle.check("user:alice"), { allowed: false, retryAfterSeconds: 1 });
    clock.ms += 999;
    assert.deepEqual(throttle.check("user:alice"), { allowed: false, retryAfterSeconds: 1 });
    clock.ms += 1;
    assert.deepEqual(throttle.check("user:alice"), { allowed: true });
  });

  it("R17: doubles the lock with every further failure, up to 15 minutes", () => {
    const { clock, throttle, fail } = setup();
    fail("k", 4);
    const locks: number[] = [];
    for (let i = 0; i < 14; i++) {
      fail("k", 1);
      const decision = throttle.check("k");
      assert.equal(decision.allowed, false);
      if (!decision.allowed) locks.push(decision.retryAfterSeconds);
      clock.ms += 15 * 60 * 1000; // wait out the lock, well inside the one-hour memory
    }
    assert.deepEqual(locks, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900]);
  });

  it("R17: rounds the wait up to whole seconds, for Retry-After", () => {
    const { clock, throttle, fail } = setup({ lockAfterFailures: 1, baseDelaySeconds: 10 });
    fail("k", 1);
    clock.ms += 1;
    assert.deepEqual(throttle.check("k"), { allowed: false, retryAfterSeconds: 10 });
    clock.ms += 9_000;
    assert.deepEqual(throttle.check("k"), { allowed: false, retryAfterSeconds: 1 });
  });

  it("R17: keeps keys apart, so a username and a client address are counted separately", () => {
    const { throttle, fail } = setup();
    fail("user:alice", 5);
    assert.equal(throttle.check("user:alice").allowed, false);
    assert.equal(throttle.check("user:bob").allowed, true);
    assert.equal(throttle.check("addr:192.0.2.1").allowed, true);
  });

  it("clears a key on success, so the next failure starts counting from one", () => {
    const { throttle, fail } = setup();
    fail("k", 4);
    throttle.recordSuccess("k");
    fail("k", 4);
    assert.deepEqual(throttle.check("k"), { allowed: true });
    assert.equal(throttle.size, 1);
    throttle.recordSuccess("k");
    assert.equal(throttle.size, 0);
  });

  it("forgets a key an hour after its last failure, so old failures don't add up forever", () => {
    const { clock, throttle, fail } = setup();
    fail("k", 4);
    clock.ms += 60 * 60 * 1000;
    fail("k", 1);
    assert.deepEqual(throttle.check("k"), { allowed: true });
  });

  it("R17: stays bounded under a flood of new keys, evicting the oldest", () => {
    const { clock, throttle, fail } = setup({ maxEntries: 100 });
    fail("victim", 5);
    for (let i = 0; i < 100_000; i++) {
      fail(`user:${i}`, 1);
      clock.ms += 1;
    }
    assert.equal(throttle.size, 100);
    assert.equal(throttle.check("victim").allowed, true); // the documented trade-off
    assert.equal(throttle.check("user:0").allowed, true);
  });

  it("keeps a key that keeps failing, evicting the stalest one instead", () => {
    // Three entries, so the failure on "a" finds room: only moving "a" to the back saves it from "d".
    const { throttle, fail } = setup({ maxEntries: 3 });
    fail("a", 5);
    fail("b", 1);
    fail("a", 1); // "a" is now the most recent
    fail("c", 1);
    fail("d", 1); // evicts "b", the stalest
    assert.equal(throttle.size, 3);
    assert.deepEqual(throttle.check("a"), { allowed: false, retryAfterSeconds: 2 });
    fail("b", 4);
    assert.equal(throttle.check("b").allowed, true, "b was forgotten: four failures now, not five");
  });

  it("drops expired keys before evicting live ones", () => {
    const { clock, throttle, fail } = setup({ maxEntries: 3 });
    fail("old-1", 1);
    fail("old-2", 1);
    clock.ms += 30 * 60 * 1000;
    fail("recent", 5);
    clock.ms += 30 * 60 * 1000; // old-1 and old-2 are now an hour old
    fail("new", 1);
    assert.equal(throttle.size, 2);
    assert.equal(throttle.check("recent").allowed, true); // its lock (1 s) ended, but it is remembered
    fail("recent", 1);
    assert.deepEqual(throttle.check("recent"), { allowed: false, retryAfterSeconds: 2 });
  });

  describe("begin(): one turn per attempt, so attempts sent at once are counted in turn", () => {
    const allowed = (turn: AttemptTurn) => (turn.allowed ? turn : assert.fail("expected a turn"));
    const settled = async (promise: Promise<unknown>) => {
      let done = false;
      void promise.then(() => (done = true));
      await new Promise((resolve) => setImmediate(resolve));
      return done;
    };

    it("R17: runs as many attempts of a key at once as failures are left, and one at a time after a lock", async () => {
      const { clock, throttle, fail } = setup();
      const first = await Promise.all(Array.from({ length: 5 }, () => throttle.begin(["k"])));
      const sixth = throttle.begin(["k"]);
      assert.equal(await settled(sixth), false, "the sixth waits for a turn");
      allowed(first[0]!).end(); // ended without a failure: room again
      allowed(await sixth).end();
      for (const turn of first.slice(1)) allowed(turn).end();

      fail("k", 5); // locked for 1 s
      assert.deepEqual(await throttle.begin(["k"]), { allowed: false, retryAfterSeconds: 1 });
      clock.ms += 1000;
      const one = allowed(await throttle.begin(["k"]));
      const next = throttle.begin(["k"]);
      assert.equal(await settled(next), false, "past the lock, one attempt at a time");
      one.end();
      allowed(await next).end();
    });

    it("R17: answers 429 to the waiting attempts once the attempts ahead of them locked the key", async () => {
      const { throttle } = setup();
      const ahead = await Promise.all(Array.from({ length: 5 }, () => throttle.begin(["user:alice", "address:192.0.2.1"])));
      const waiting = Array.from({ length: 3 }, () => throttle.begin(["user:alice", "address:192.0.2.7"]));
      for (const turn of ahead) {
        throttle.recordFailure("user:alice");
        allowed(turn).end();
      }
      assert.deepEqual(await Promise.all(waiting), Array(3).fill({ allowed: false, retryAfterSeconds: 1 }));
    });

    it("lets an attempt go only when all of its keys have room, and end() twice ends it once", async () => {
      const { throttle } = setup({ lockAfterFailures: 1 });
      const address = allowed(await throttle.begin(["address:a"]));
      const both = throttle.begin(["user:u", "address:a"]);
      const userOnly = allowed(await throttle.begin(["user:u"])); // the waiting attempt holds nothing
      assert.equal(await settled(both), false);
      address.end();
      address.end();
      assert.equal(await settled(both), false, "still waiting for user:u");
      userOnly.end();
      allowed(await both).end();
      allowed(await throttle.begin(["user:u", "address:a"])).end(); // nothing left held
    });
  });

  it("throws a TypeError at start-up for an invalid option", () => {
    const cases: Array<[LoginThrottleOptions, string]> = [
      [{ maxEntries: 0 }, `login throttle "maxEntries" is invalid: must be a whole number of at least 1`],
      [{ lockAfterFailures: 0 }, `login throttle "lockAfterFailures" is invalid: must be a whole number of at least 1`],
      [{ baseDelaySeconds: 0.5 }, `login throttle "baseDelaySeconds" is invalid: must be a whole number of at least 1`],
      [{ maxDelaySeconds: Number.NaN }, `login throttle "maxDelaySeconds" is invalid: must be a whole number of at least 1`],
      [{ forgetAfterSeconds: 60 }, `login throttle "forgetAfterSeconds" is invalid: must be at least "maxDelaySeconds"`],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => new LoginThrottle(options), { name: "TypeError", message });
    }
  });
});
