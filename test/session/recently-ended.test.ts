import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RecentlyEnded } from "../../src/session/recently-ended.ts";

describe("RecentlyEnded", () => {
  it("remembers a key for graceMs, then forgets it", () => {
    const ended = new RecentlyEnded({ graceMs: 1_000, maxEntries: 10 });
    ended.add("a", 5_000);
    assert.equal(ended.has("a", 5_999), true);
    assert.equal(ended.has("b", 5_999), false);
    assert.equal(ended.has("a", 6_000), false);
    assert.equal(ended.size, 0); // forgotten, not just hidden
  });

  it("forgets the oldest first beyond maxEntries, so a flood of logouts cannot grow memory", () => {
    const ended = new RecentlyEnded({ graceMs: 60_000, maxEntries: 3 });
    for (const [index, key] of ["a", "b", "c", "d", "e"].entries()) ended.add(key, index);
    assert.equal(ended.size, 3);
    assert.deepEqual(["a", "b", "c", "d", "e"].map((key) => ended.has(key, 10)), [false, false, true, true, true]);
  });

  it("counts a key ended after the time asked about: a request that waited behind the one that ended it", () => {
    const ended = new RecentlyEnded({ graceMs: 1_000, maxEntries: 10 });
    ended.add("a", 5_000);
    assert.equal(ended.has("a", 4_000), true);
  });

  it("refuses options that would remember nothing: a TypeError, not a silent no-op", () => {
    for (const [graceMs, maxEntries] of [[0, 10], [1_000, 0], [Number.NaN, 10], [1_000, 1.5]] as const) {
      assert.throws(() => new RecentlyEnded({ graceMs, maxEntries }), { name: "TypeError", message: /^recently ended "(graceMs|maxEntries)" is invalid: must be an integer of at least 1$/ });
    }
  });

  it("ending a key again restarts its grace and makes it the newest", () => {
    const ended = new RecentlyEnded({ graceMs: 1_000, maxEntries: 2 });
    ended.add("a", 0);
    ended.add("b", 100);
    ended.add("a", 900); // a again: now newer than b
    ended.add("c", 950); // over the limit: b, the oldest, goes
    assert.equal(ended.has("b", 950), false);
    assert.equal(ended.has("a", 1_800), true); // 900 ms after its second end
    assert.equal(ended.has("a", 1_900), false);
  });
});
