import { describe, it } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { createCsrfToken, csrfTokensMatch } from "../../src/csrf/csrf-token.ts";

describe("createCsrfToken", () => {
  it("R19: makes 43-character base64url tokens from 32 random bytes, all distinct", () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const token = createCsrfToken();
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(Buffer.from(token, "base64url").length, 32);
      tokens.add(token);
    }
    assert.equal(tokens.size, 10_000);
  });
});

describe("csrfTokensMatch", () => {
  const expected = createCsrfToken();

  it("R19: accepts the session's own token", () => {
    assert.equal(csrfTokensMatch(expected, expected), true);
    assert.equal(csrfTokensMatch(expected, String(expected)), true);
  });

  it("R19: compares tokens with crypto.timingSafeEqual, never ===", (t) => {
    const spy = t.mock.method(crypto, "timingSafeEqual");
    syncBuiltinESMExports();
    try {
      const flipped = (expected[0] === "A" ? "B" : "A") + expected.slice(1);
      assert.equal(csrfTokensMatch(expected, expected), true);
      assert.equal(csrfTokensMatch(expected, flipped), false);
      assert.equal(spy.mock.callCount(), 2);
      assert.equal(csrfTokensMatch(expected, expected.slice(1)), false); // a length is no secret: no call needed
      assert.equal(spy.mock.callCount(), 2);
    } finally {
      t.mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  it("R19: refuses a different, altered, truncated, padded or empty token without throwing", () => {
    const flipped = (expected[0] === "A" ? "B" : "A") + expected.slice(1);
    const refused: unknown[] = [
      createCsrfToken(),
      flipped,
      expected.slice(0, -1),
      `${expected}=`,
      `${expected} `,
      expected.toUpperCase() === expected ? expected.toLowerCase() : expected.toUpperCase(),
      "",
      "é".repeat(22), // 44 UTF-8 bytes against 43: the byte length differs, no exception
      "\u0000".repeat(43),
    ];
    for (const given of refused) {
      assert.equal(csrfTokensMatch(expected, given), false, JSON.stringify(given));
    }
  });

  it("R19: refuses values that are not strings: a missing field, an array from a repeated field", () => {
    for (const given of [undefined, null, 42, [expected], { toString: () => expected }, Buffer.from(expected)]) {
      assert.equal(csrfTokensMatch(expected, given), false);
    }
  });

  it("R19: never matches when the session has no token yet, even an empty form value", () => {
    assert.equal(csrfTokensMatch(undefined, ""), false);
    assert.equal(csrfTokensMatch(undefined, undefined), false);
    assert.equal(csrfTokensMatch("", ""), false);
  });
});
