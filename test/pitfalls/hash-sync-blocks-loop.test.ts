// Pitfall: the popular tutorial hashes with bcrypt.hashSync, which runs on the main thread: while one
// user logs in, nobody else is served. Our hashPassword runs scrypt on libuv's thread pool, so the
// event loop keeps turning during the hash. Proven by counting loop turns (setImmediate callbacks)
// while a hash runs, not by wall-clock thresholds: the async hash sees many, a sync hash sees none.
import assert from "node:assert/strict";
import { scryptSync } from "node:crypto";
import { describe, it } from "node:test";
import { defaultScryptParams, hashPassword, verifyPassword } from "../../src/crypto/password.ts";

// Counts event-loop turns until `work` settles. A setImmediate callback runs once per loop iteration,
// so the count is how many times the loop could have served another request meanwhile.
async function countLoopTurnsDuring(work: () => unknown): Promise<number> {
  let turns = 0;
  let running = true;
  const turn = () => {
    if (!running) return;
    turns += 1;
    setImmediate(turn);
  };
  setImmediate(turn);
  try {
    await work();
  } finally {
    running = false;
  }
  return turns;
}

describe("pitfall: a synchronous hash blocks the event loop", () => {
  it("R14: the event loop keeps turning while hashPassword runs at the default parameters", async () => {
    let phc = "";
    const turns = await countLoopTurnsDuring(async () => {
      phc = await hashPassword("correct horse battery staple", defaultScryptParams);
    });
    assert.match(phc, /^\$scrypt\$ln=17,r=8,p=1\$/);
    // A default hash takes hundreds of milliseconds; the loop turns thousands of times meanwhile.
    // 100 is far below that yet far above the 0 a blocking hash allows.
    assert.ok(turns >= 100, `the loop turned only ${turns} times during the hash`);
  });

  it("the event loop turns while verifyPassword runs too", async () => {
    const phc = await hashPassword("correct horse battery staple", { ln: 14, r: 8, p: 1 });
    const turns = await countLoopTurnsDuring(() => verifyPassword("correct horse battery staple", phc));
    assert.ok(turns >= 1, `the loop turned ${turns} times during verification`);
  });

  it("contrast: scryptSync (like bcrypt.hashSync) lets the loop turn zero times", async () => {
    // Smaller N than the default keeps the test quick; any size blocks the loop for its whole duration.
    const turns = await countLoopTurnsDuring(() => {
      scryptSync("correct horse battery staple", "saltsaltsaltsalt", 32, { N: 2 ** 14, r: 8, p: 1 });
    });
    assert.equal(turns, 0);
  });
});
