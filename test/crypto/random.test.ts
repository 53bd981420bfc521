import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomToken } from "../../src/crypto/random.ts";

describe("randomToken", () => {
  it("R01: gives 32 random bytes as 43 base64url characters by default", () => {
    const token = randomToken();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(token, "base64url").length, 32);
  });

  it("R01: 10^5 tokens are all distinct", () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 100_000; i += 1) tokens.add(randomToken());
    assert.equal(tokens.size, 100_000);
  });

  it("encodes the requested number of bytes", () => {
    assert.equal(Buffer.from(randomToken(16), "base64url").length, 16);
    assert.equal(randomToken(16).length, 22);
    assert.equal(randomToken(64).length, 86);
  });

  for (const bytes of [0, 8, 15, 16.5, 1025, Number.NaN, -32]) {
    it(`refuses ${bytes} bytes with a TypeError`, () => {
      assert.throws(() => randomToken(bytes), {
        name: "TypeError",
        message: 'randomToken "bytes" is invalid: must be a whole number from 16 to 1024 (at least 128 bits, RFC 6749 §10.10)',
      });
    });
  }
});
