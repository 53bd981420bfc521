import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryStore } from "../../src/session/memory-store.ts";
import { createClock } from "../helpers/clock.ts";
import { sampleRecord, storeContract } from "./store-contract.ts";

storeContract("MemoryStore", (clock) => ({ store: new MemoryStore({ now: clock.now }), cleanup: async () => {} }));

describe("MemoryStore", () => {
  it("is bounded: past maxEntries the least recently written record is evicted", async () => {
    const clock = createClock();
    const store = new MemoryStore({ maxEntries: 3, now: clock.now });
    for (const key of ["a", "b", "c"]) await store.set(key, sampleRecord(clock));
    await store.touch("a", sampleRecord(clock)); // a is now the most recently written
    await store.set("d", sampleRecord(clock));
    assert.equal(store.size, 3);
    assert.equal(await store.get("b"), null);
    for (const key of ["a", "c", "d"]) assert.notEqual(await store.get(key), null);
  });

  it("stays at maxEntries under a flood of new visitors", async () => {
    const clock = createClock();
    const store = new MemoryStore({ now: clock.now });
    for (let i = 0; i < 25_000; i++) await store.set(`visitor-${i}`, sampleRecord(clock));
    assert.equal(store.size, 10_000);
    assert.notEqual(await store.get("visitor-24999"), null);
    assert.equal(await store.get("visitor-0"), null);
  });

  it("keeps the write order through destroys and touches: the least recently written goes first", async () => {
    const clock = createClock();
    const store = new MemoryStore({ maxEntries: 3, now: clock.now });
    for (const key of ["a", "b", "c"]) await store.set(key, sampleRecord(clock));
    await store.destroy("b"); // from the middle
    await store.set("d", sampleRecord(clock)); // a, c, d: room again, nothing evicted
    assert.equal(store.size, 3);
    await store.set("e", sampleRecord(clock)); // evicts a, the oldest
    await store.touch("c", sampleRecord(clock)); // d, e, c
    await store.destroy("c"); // the newest
    await store.set("f", sampleRecord(clock)); // d, e, f
    await store.set("g", sampleRecord(clock)); // evicts d
    assert.equal(store.size, 3);
    for (const key of ["a", "b", "c", "d"]) assert.equal(await store.get(key), null, key);
    for (const key of ["e", "f", "g"]) assert.notEqual(await store.get(key), null, key);
  });

  it("keeps its order after destroyByUser and prune remove records anywhere", async () => {
    const clock = createClock();
    const store = new MemoryStore({ maxEntries: 3, now: clock.now });
    await store.set("alice-1", sampleRecord(clock, { userId: "alice" }));
    await store.set("short", sampleRecord(clock, { expiresAtMs: clock.now() + 1000 }));
    await store.set("alice-2", sampleRecord(clock, { userId: "alice" }));
    assert.equal(await store.destroyByUser("alice"), 2);
    clock.advance(1000);
    assert.equal(store.prune(), 1);
    assert.equal(store.size, 0);
    for (const key of ["x", "y", "z", "w"]) await store.set(key, sampleRecord(clock));
    assert.equal(store.size, 3);
    assert.equal(await store.get("x"), null);
  });

  it("stays bounded under a flood: 150k new visitors at 50k entries keep exactly the newest 50k", async () => {
    // (Its speed, O(1) per write however full, is the bench's to measure: `npm run bench`, memory section.)
    const clock = createClock();
    const store = new MemoryStore({ maxEntries: 50_000, now: clock.now });
    const record = sampleRecord(clock);
    for (let i = 0; i < 150_000; i++) await store.set(`visitor-${i}`, record);
    assert.equal(store.size, 50_000);
    assert.equal(await store.get("visitor-99999"), null, "the oldest were evicted");
    assert.notEqual(await store.get("visitor-100000"), null);
    assert.notEqual(await store.get("visitor-149999"), null);
  });

  it("sweeps expired records from the oldest end on writes, without being read", async () => {
    const clock = createClock();
    const store = new MemoryStore({ now: clock.now });
    for (let i = 0; i < 8; i++) await store.set(`old-${i}`, sampleRecord(clock));
    clock.advance(31 * 60_000);
    await store.set("new-1", sampleRecord(clock));
    await store.set("new-2", sampleRecord(clock));
    assert.equal(store.size, 2);
  });

  it("prune() removes every expired record at once", async () => {
    const clock = createClock();
    const store = new MemoryStore({ now: clock.now });
    await store.set("short", sampleRecord(clock, { expiresAtMs: clock.now() + 1000 }));
    await store.set("long", sampleRecord(clock));
    clock.advance(1000);
    assert.equal(store.prune(), 1);
    assert.equal(store.size, 1);
  });

  it("rejects a maxEntries that isn't a positive whole number at start-up", () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new MemoryStore({ maxEntries }), {
        name: "TypeError",
        message: `MemoryStore "maxEntries" is invalid: must be a positive whole number`,
      });
    }
  });
});
