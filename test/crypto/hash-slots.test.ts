import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import { createHashSlots, defaultHashSlots, HashSlotsFullError } from "../../src/crypto/hash-slots.ts";
import {
  fastScryptParamsForTests as fast, hashingBusyMessage, hashPassword, passwordHashSlots, verifyPassword,
} from "../../src/crypto/password.ts";
import { HttpError } from "../../src/http/http-error.ts";

// A task the test finishes by hand, recording when it started.
function manualTask(started: string[], name: string) {
  let finish!: (value: string) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<string>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  return {
    task: () => {
      started.push(name);
      return promise;
    },
    finish: () => finish(name),
    fail: (error: Error) => fail(error),
  };
}

// Lets every pending promise callback run (a few microtask turns).
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("defaultHashSlots", () => {
  it("leaves one core to the event loop, and is at least one", () => {
    assert.equal(defaultHashSlots(1), 1);
    assert.equal(defaultHashSlots(2), 1);
    assert.equal(defaultHashSlots(4), 3);
    assert.equal(defaultHashSlots(16), 15);
  });
});

describe("createHashSlots", () => {
  it("rejects a slot count that is not a positive integer", () => {
    for (const slots of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => createHashSlots(slots), {
        name: "TypeError",
        message: 'hash "slots" is invalid: must be an integer of at least 1',
      });
    }
  });

  it("rejects a maxWaiting that is not a whole number of at least 0", () => {
    for (const maxWaiting of [-1, 1.5, Number.NaN]) {
      assert.throws(() => createHashSlots(1, { maxWaiting }), {
        name: "TypeError",
        message: 'hash "maxWaiting" is invalid: must be an integer of at least 0',
      });
    }
  });

  // A timeout: without the bound, the refused task would wait in line and the test would hang.
  it("with maxWaiting, refuses a task at once when the line is full (HashSlotsFullError), and takes one again once it moves", { timeout: 10_000 }, async () => {
    const slots = createHashSlots(1, { maxWaiting: 2 });
    const started: string[] = [];
    const [a, b, c] = ["a", "b", "c"].map((name) => manualTask(started, name));
    const results = [a!, b!, c!].map((t) => slots.run(t.task));
    await settle();
    let refusedTaskRan = false;
    await assert.rejects(slots.run(async () => (refusedTaskRan = true)), HashSlotsFullError);
    assert.equal(refusedTaskRan, false);
    assert.equal(slots.waiting, 2, "the refused task took no place in the line");
    a!.finish();
    await settle();
    const d = manualTask(started, "d");
    const last = slots.run(d.task); // room again: b runs, c waits, d waits
    b!.finish();
    await settle();
    c!.finish();
    await settle();
    d.finish();
    assert.deepEqual(await Promise.all([...results, last]), ["a", "b", "c", "d"]);
    assert.deepEqual(started, ["a", "b", "c", "d"]);
  });

  it("runs at most `slots` tasks at once; the others start in arrival order as slots free up", async () => {
    const slots = createHashSlots(2);
    const started: string[] = [];
    const a = manualTask(started, "a");
    const b = manualTask(started, "b");
    const c = manualTask(started, "c");
    const d = manualTask(started, "d");
    const results = [a, b, c, d].map((t) => slots.run(t.task));
    await settle();
    assert.deepEqual(started, ["a", "b"]);
    assert.equal(slots.running, 2);
    assert.equal(slots.waiting, 2);

    b.finish();
    await settle();
    assert.deepEqual(started, ["a", "b", "c"]);
    assert.equal(slots.running, 2);
    assert.equal(slots.waiting, 1);

    a.finish();
    c.finish();
    await settle();
    assert.deepEqual(started, ["a", "b", "c", "d"]);
    d.finish();
    assert.deepEqual(await Promise.all(results), ["a", "b", "c", "d"]);
    assert.equal(slots.running, 0);
    assert.equal(slots.waiting, 0);
  });

  it("frees the slot of a task that rejects or throws, and passes the failure on", async () => {
    const slots = createHashSlots(1);
    const started: string[] = [];
    const failing = manualTask(started, "failing");
    const next = manualTask(started, "next");
    const failed = slots.run(failing.task);
    const throwing = slots.run(() => {
      throw new Error("thrown synchronously");
    });
    const after = slots.run(next.task);
    failing.fail(new Error("hash failed"));
    await assert.rejects(failed, { message: "hash failed" });
    await assert.rejects(throwing, { message: "thrown synchronously" });
    await settle();
    assert.deepEqual(started, ["failing", "next"]);
    next.finish();
    assert.equal(await after, "next");
    assert.equal(slots.running, 0);
  });

  it("reuses its queue: many rounds of waiting tasks all run, in order", async () => {
    const slots = createHashSlots(1);
    const order: number[] = [];
    const runs = Array.from({ length: 1000 }, (_, i) => slots.run(async () => {
      order.push(i);
      return i;
    }));
    assert.equal((await Promise.all(runs)).length, 1000);
    assert.deepEqual(order, Array.from({ length: 1000 }, (_, i) => i));
    assert.equal(slots.waiting, 0);
  });
});

describe("createHashSlots under load that never lets the line empty", () => {
  it("keeps the waiting line's memory bounded: at most 2 × waiting + 1024 entries, however many tasks pass", async () => {
    const slots = createHashSlots(1);
    const workers = 10; // one runs, nine wait: the line never empties
    const tasksPerWorker = 2000;
    let mostEntries = 0;
    const worker = async () => {
      for (let i = 0; i < tasksPerWorker; i++) {
        await slots.run(async () => {
          assert.ok(slots.queueEntries <= 2 * slots.waiting + 1024, `${slots.queueEntries} entries for ${slots.waiting} waiting`);
          mostEntries = Math.max(mostEntries, slots.queueEntries);
        });
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    assert.ok(mostEntries > 1024, "the load did keep the line from emptying");
    assert.ok(mostEntries <= 2 * workers + 1024, `at most ${mostEntries} entries for 20,000 tasks`);
    assert.equal(slots.queueEntries, 0);
  });
});

// Fills the shared passwordHashSlots with `count` tasks that wait until drain() lets them go. Drained
// in t.after too: left full by a failed assertion, the line would refuse every later hash (503).
function occupyPasswordSlots(t: TestContext, count: number): { tasks: Promise<void>[]; drain: () => Promise<void> } {
  const hogs: Array<() => void> = [];
  let settled = 0;
  const tasks = Array.from({ length: count }, () =>
    passwordHashSlots.run(() => new Promise<void>((resolve) => hogs.push(resolve))).finally(() => settled++));
  const drain = async () => {
    while (settled < count) { // each hog let go starts the next in line
      while (hogs.length > 0) hogs.shift()!();
      await settle();
    }
  };
  t.after(drain);
  return { tasks, drain };
}

describe("password hashes take turns", () => {
  it("hashPassword and verifyPassword queue in passwordHashSlots beyond its slot count", async (t) => {
    const phc = await hashPassword("correct horse battery staple", fast);
    const slots = occupyPasswordSlots(t, defaultHashSlots()); // every slot taken
    await settle();
    let hashed = false;
    let verified = false;
    const hashing = hashPassword("another long password", fast).then(() => (hashed = true));
    const verifying = verifyPassword("correct horse battery staple", phc, fast).then((ok) => (verified = ok));
    await settle();
    assert.equal(passwordHashSlots.waiting, 2);
    assert.equal(hashed, false);
    assert.equal(verified, false);
    await slots.drain();
    await Promise.all([...slots.tasks, hashing, verifying]);
    assert.equal(hashed, true);
    assert.equal(verified, true);
  });

  it("a hash finding the line full (60 waiting per slot) is a 503 with Retry-After, not a wait of minutes", { timeout: 10_000 }, async (t) => {
    const slotCount = defaultHashSlots();
    const slots = occupyPasswordSlots(t, slotCount + 60 * slotCount);
    await settle();
    assert.equal(passwordHashSlots.waiting, 60 * slotCount);
    const refused = (error: unknown) => error instanceof HttpError && error.status === 503 &&
      error.publicMessage === hashingBusyMessage && error.headers["Retry-After"] === "30";
    await assert.rejects(hashPassword("another long password", fast), refused);
    await assert.rejects(verifyPassword("another long password", null, fast), refused);
    await slots.drain();
    await Promise.all(slots.tasks);
    assert.equal(typeof (await hashPassword("another long password", fast)), "string", "served again once the line moves");
  });
});
