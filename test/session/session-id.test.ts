import assert from "node:assert/strict";
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { describe, it } from "node:test";
import { createSessionIdSource, generateSessionId, isWellFormedSessionId } from "../../src/session/session-id.ts";

describe("generateSessionId", () => {
  it("R01: makes 43-character base64url IDs (32 random bytes), 10^5 of them all distinct", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 100_000; i++) ids.add(generateSessionId());
    assert.equal(ids.size, 100_000);
    for (const id of [...ids].slice(0, 1000)) {
      assert.match(id, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(id, "base64url").length, 32);
      assert.ok(isWellFormedSessionId(id));
    }
  });
});

describe("createSessionIdSource", () => {
  it("R01: takes its bytes from the CSPRNG (crypto.randomFillSync), 64 IDs per call", (t) => {
    // Format and variety checks can't tell Math.random() from a CSPRNG; the source can.
    const fill = t.mock.method(crypto, "randomFillSync", (buffer: Buffer) => buffer.fill(0xab));
    syncBuiltinESMExports();
    try {
      const next = createSessionIdSource();
      assert.equal(next(), Buffer.alloc(32, 0xab).toString("base64url"));
      assert.equal(fill.mock.callCount(), 1);
      for (let i = 1; i < 64; i++) next();
      assert.equal(fill.mock.callCount(), 1);
      next(); // the 65th ID: a refill
      assert.equal(fill.mock.callCount(), 2);
    } finally {
      t.mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  it("zeroes each ID's bytes in the pool as it hands the ID out", (t) => {
    // The pool is the buffer the CSPRNG fills: no ID already given out stays readable in it.
    let pool: Buffer | undefined;
    t.mock.method(crypto, "randomFillSync", (buffer: Buffer) => (pool = buffer).fill(0xab));
    syncBuiltinESMExports();
    try {
      const next = createSessionIdSource();
      next();
      assert.ok(pool!.length >= 3 * 32, "a pool of several IDs");
      assert.deepEqual(pool!.subarray(0, 32), Buffer.alloc(32));
      assert.deepEqual(pool!.subarray(32), Buffer.alloc(pool!.length - 32, 0xab), "the IDs not yet handed out are kept");
      next();
      assert.deepEqual(pool!.subarray(0, 64), Buffer.alloc(64));
    } finally {
      t.mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  it("R01: generateSessionId() takes its bytes from crypto.randomBytes", (t) => {
    const random = t.mock.method(crypto, "randomBytes", (size: number) => Buffer.alloc(size, 0xcd));
    syncBuiltinESMExports();
    try {
      assert.equal(generateSessionId(), Buffer.alloc(32, 0xcd).toString("base64url"));
      assert.equal(random.mock.callCount(), 1);
    } finally {
      t.mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  it("R01: makes the same 43-character IDs from a pooled buffer, 10^5 all distinct across refills", () => {
    const next = createSessionIdSource();
    const ids = new Set<string>();
    for (let i = 0; i < 100_000; i++) ids.add(next());
    assert.equal(ids.size, 100_000);
    for (const id of ids) assert.ok(isWellFormedSessionId(id));
  });

  it("R01: never hands out the same bytes twice: 2,000 IDs hold ~256 random bits each", () => {
    // A pool that reused or zero-filled a slot would show as repeated IDs or as zero bytes.
    const next = createSessionIdSource();
    const bytes = Buffer.concat(Array.from({ length: 2000 }, () => Buffer.from(next(), "base64url")));
    const zeroBytes = bytes.filter((byte) => byte === 0).length;
    // 64,000 random bytes: 250 zeros expected, and 400 is over 9 standard deviations away.
    assert.ok(zeroBytes < 400, `${zeroBytes} zero bytes`);
    const set = new Set(Array.from({ length: 2000 }, (_, i) => bytes.subarray(i * 32, i * 32 + 32).toString("hex")));
    assert.equal(set.size, 2000);
  });

  it("gives each source its own pool: two sources never share IDs", () => {
    const first = createSessionIdSource();
    const second = createSessionIdSource();
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) ids.add(first()).add(second());
    assert.equal(ids.size, 2000);
  });
});

describe("isWellFormedSessionId", () => {
  const id = generateSessionId();
  const rejected: Array<[string, unknown]> = [
    ["empty", ""],
    ["one character short", id.slice(1)],
    ["one character long", id + "A"],
    ["path traversal", "../../../../../../../../../../etc/passwd/aaaa"],
    ["a slash", `${id.slice(0, 20)}/${id.slice(21)}`],
    ["base64 padding", `${id.slice(0, 42)}=`],
    ["a NUL byte", `${id.slice(0, 42)}\u0000`],
    ["a non-canonical last character", `${id.slice(0, 42)}B`],
    ["a huge value", "A".repeat(100_000)],
    ["not a string", 42],
    ["null", null],
  ];
  for (const [name, value] of rejected) {
    it(`rejects ${name}`, () => assert.equal(isWellFormedSessionId(value), false));
  }
  it("accepts a generated ID", () => assert.equal(isWellFormedSessionId(id), true));
});
