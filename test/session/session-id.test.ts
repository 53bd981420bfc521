import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateSessionId, isWellFormedSessionId } from "../../src/session/session-id.ts";

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
