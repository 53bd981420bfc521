// The one contract every SessionStore must meet, run against MemoryStore (memory-store.test.ts),
// FileStore (file-store.test.ts) and FileStore with a sealer (encrypted-file-store.test.ts).
// A store for your own database passes if it passes this: call storeContract() with a factory.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { SessionRecord, SessionStore } from "../../src/session/store.ts";
import { createClock, type TestClock } from "../helpers/clock.ts";

export interface StoreUnderTest {
  store: SessionStore;
  /** Removes whatever the store left behind (temporary folders). */
  cleanup(): Promise<void>;
}

/** Builds a fresh store on the given clock for every test. */
export type StoreFactory = (clock: TestClock) => StoreUnderTest | Promise<StoreUnderTest>;

const minute = 60_000;

export function sampleRecord(clock: TestClock, change: Partial<SessionRecord> = {}): SessionRecord {
  const nowMs = clock.now();
  return { data: { views: 1 }, userId: null, createdAtMs: nowMs, lastSeenMs: nowMs, expiresAtMs: nowMs + 30 * minute, ...change };
}

export function storeContract(name: string, createStore: StoreFactory): void {
  describe(`${name}: SessionStore contract`, () => {
    let clock: TestClock;
    let subject: StoreUnderTest;
    let store: SessionStore;

    beforeEach(async () => {
      clock = createClock();
      subject = await createStore(clock);
      store = subject.store;
    });
    afterEach(async () => {
      await store.close?.();
      await subject.cleanup();
    });

    it("returns null for a key it never saw", async () => {
      assert.equal(await store.get("never-set"), null);
    });

    it("returns what was set", async () => {
      const record = sampleRecord(clock, { userId: "ada", data: { views: 3, cart: ["tea", "milk"] } });
      await store.set("k", record);
      assert.deepEqual(await store.get("k"), record);
    });

    it("returns a copy: changing it doesn't change the store, nor does changing the record after set", async () => {
      const record = sampleRecord(clock);
      await store.set("k", record);
      record.data.views = 99;
      const first = await store.get("k");
      assert.ok(first);
      first.data.views = 42;
      assert.deepEqual((await store.get("k"))?.data, { views: 1 });
    });

    it("replaces a record on set", async () => {
      await store.set("k", sampleRecord(clock));
      await store.set("k", sampleRecord(clock, { data: { views: 2 }, userId: "ada" }));
      const record = await store.get("k");
      assert.deepEqual(record?.data, { views: 2 });
      assert.equal(record?.userId, "ada");
    });

    it("destroy removes the record, and destroying an unknown key is harmless", async () => {
      await store.set("k", sampleRecord(clock));
      await store.destroy("k");
      assert.equal(await store.get("k"), null);
      await store.destroy("k");
      await store.destroy("never-set");
    });

    it("touch records the new lastSeenMs and expiresAtMs and keeps the data", async () => {
      const record = sampleRecord(clock, { data: { views: 7 } });
      await store.set("k", record);
      clock.advance(5 * minute);
      const touched = { ...record, lastSeenMs: clock.now(), expiresAtMs: clock.now() + 30 * minute };
      await store.touch("k", touched);
      assert.deepEqual(await store.get("k"), touched);
    });

    it("R07: keeps a record until just before expiresAtMs and treats it as gone from that instant on", async () => {
      const record = sampleRecord(clock);
      await store.set("k", record);
      clock.set(record.expiresAtMs - 1);
      assert.deepEqual(await store.get("k"), record);
      clock.set(record.expiresAtMs);
      assert.equal(await store.get("k"), null);
      clock.set(record.expiresAtMs - 1); // even with the clock turned back, an expired record stays gone
      assert.equal(await store.get("k"), null);
    });

    it("destroyByUser removes only that user's records and says how many", async () => {
      await store.set("a1", sampleRecord(clock, { userId: "ada" }));
      await store.set("a2", sampleRecord(clock, { userId: "ada" }));
      await store.set("b1", sampleRecord(clock, { userId: "bob" }));
      await store.set("anonymous", sampleRecord(clock));
      assert.equal(await store.destroyByUser("ada"), 2);
      assert.equal(await store.get("a1"), null);
      assert.equal(await store.get("a2"), null);
      assert.equal((await store.get("b1"))?.userId, "bob");
      assert.notEqual(await store.get("anonymous"), null);
      assert.equal(await store.destroyByUser("nobody"), 0);
    });

    it("treats any string as an opaque key: path characters, NUL, Unicode and 100k characters stay apart", async () => {
      const keys = ["../../etc/passwd", "/absolute", "a/b", "a\\b", "nul\u0000byte", "ünïcødé 🍪", ".", "..", "x".repeat(100_000)];
      for (const [index, key] of keys.entries()) await store.set(key, sampleRecord(clock, { data: { index } }));
      for (const [index, key] of keys.entries()) assert.deepEqual((await store.get(key))?.data, { index });
    });

    it("round-trips Unicode text and nested JSON data exactly", async () => {
      const data = { name: "Zoë \u2028 </script>", nested: { list: [1, "two", null, true], empty: {} }, quote: "\"'" };
      await store.set("k", sampleRecord(clock, { data }));
      assert.deepEqual((await store.get("k"))?.data, data);
    });

    it("can be closed twice", async () => {
      await store.close?.();
      await store.close?.();
    });
  });
}
