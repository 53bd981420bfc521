import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KeyedLock } from "../../src/session/keyed-lock.ts";

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe("KeyedLock", () => {
  it("R13: runs tasks for one key one at a time, in arrival order, so read-modify-write loses nothing", async () => {
    const lock = new KeyedLock();
    let counter = 0;
    const increment = () =>
      lock.run("session", async () => {
        const read = counter;
        await new Promise((resolve) => setImmediate(resolve)); // a store round-trip
        counter = read + 1;
        return counter;
      });
    const results = await Promise.all(Array.from({ length: 50 }, increment));
    assert.equal(counter, 50);
    assert.deepEqual(results, Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it("lets different keys run at the same time", async () => {
    const lock = new KeyedLock();
    const first = gate();
    const order: string[] = [];
    const a = lock.run("a", async () => {
      await first.promise;
      order.push("a");
    });
    const b = lock.run("b", async () => {
      order.push("b");
    });
    await b;
    first.open();
    await a;
    assert.deepEqual(order, ["b", "a"]);
  });

  it("starts an uncontended task at once, before run() returns", () => {
    const lock = new KeyedLock();
    let started = false;
    const done = lock.run("k", async () => {
      started = true;
    });
    assert.equal(started, true);
    return done;
  });

  it("releases the key when a task rejects or throws synchronously, and passes the error on", async () => {
    const lock = new KeyedLock();
    await assert.rejects(lock.run("k", async () => Promise.reject(new Error("async failure"))), /async failure/);
    await assert.rejects(
      lock.run("k", () => {
        throw new Error("sync failure");
      }),
      /sync failure/,
    );
    assert.equal(await lock.run("k", async () => "still usable"), "still usable");
  });

  it("isHeld() says whether run(key) would have to wait", async () => {
    const lock = new KeyedLock();
    const held = gate();
    assert.equal(lock.isHeld("a"), false);
    const task = lock.run("a", () => held.promise);
    assert.equal(lock.isHeld("a"), true);
    assert.equal(lock.isHeld("b"), false);
    held.open();
    await task;
    assert.equal(lock.isHeld("a"), false);
  });

  it("keeps no entry for idle keys (bounded by what is running)", async () => {
    const lock = new KeyedLock();
    const held = gate();
    const tasks = [lock.run("a", () => held.promise), lock.run("a", async () => {}), lock.run("b", async () => {})];
    assert.equal(lock.size, 2);
    held.open();
    await Promise.all(tasks);
    assert.equal(lock.size, 0);
    for (let i = 0; i < 1000; i++) await lock.run(`key-${i}`, async () => {});
    assert.equal(lock.size, 0);
  });
});
