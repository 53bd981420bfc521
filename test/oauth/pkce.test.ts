import assert from "node:assert/strict";
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { describe, it } from "node:test";
import {
  codeChallengeS256,
  createCodeVerifier,
  isWellFormedCodeVerifier,
  verifyCodeChallengeS256,
} from "../../src/oauth/pkce.ts";

// RFC 7636 Appendix B: the example verifier and its S256 challenge.
const rfcVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const rfcChallenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

describe("PKCE (RFC 7636)", () => {
  it("computes the RFC 7636 Appendix B known answer", () => {
    assert.equal(codeChallengeS256(rfcVerifier), rfcChallenge);
  });

  it("R22: creates 32-byte base64url verifiers (43 characters), all distinct", () => {
    const verifiers = new Set(Array.from({ length: 1000 }, () => createCodeVerifier()));
    assert.equal(verifiers.size, 1000);
    for (const verifier of verifiers) assert.match(verifier, /^[A-Za-z0-9_-]{43}$/);
  });

  it("verifies a matching verifier and refuses a different one", () => {
    assert.equal(verifyCodeChallengeS256(rfcVerifier, rfcChallenge), true);
    assert.equal(verifyCodeChallengeS256(createCodeVerifier(), rfcChallenge), false);
  });

  it("compares challenges with crypto.timingSafeEqual, never ===, for a match and a mismatch alike", (t) => {
    // The answers would be the same with ===; only the timing would leak how much of a guess matched.
    const spy = t.mock.method(crypto, "timingSafeEqual");
    syncBuiltinESMExports();
    try {
      assert.equal(verifyCodeChallengeS256(rfcVerifier, rfcChallenge), true);
      assert.equal(spy.mock.callCount(), 1);
      const last = rfcChallenge.at(-1) === "A" ? "B" : "A";
      assert.equal(verifyCodeChallengeS256(rfcVerifier, rfcChallenge.slice(0, -1) + last), false); // same length, one character off
      assert.equal(spy.mock.callCount(), 2);
    } finally {
      t.mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  it("refuses malformed verifiers and challenges without throwing", () => {
    const badVerifiers: unknown[] = [undefined, null, 42, "", "short", "a".repeat(42), "a".repeat(129), `${"a".repeat(43)} `, `${"a".repeat(42)}=`, `${"a".repeat(42)}\n`, `${"a".repeat(42)}é`];
    for (const verifier of badVerifiers) {
      assert.equal(isWellFormedCodeVerifier(verifier), false, String(verifier));
      assert.equal(verifyCodeChallengeS256(verifier, rfcChallenge), false);
    }
    // "plain" would make the challenge equal the verifier: that is not an S256 challenge.
    assert.equal(verifyCodeChallengeS256(rfcVerifier, rfcVerifier), false);
    assert.equal(verifyCodeChallengeS256(rfcVerifier, `${rfcChallenge}=`), false);
    assert.equal(verifyCodeChallengeS256(rfcVerifier, undefined), false);
  });

  it("accepts the longest allowed verifier (128 characters of the unreserved set)", () => {
    const verifier = "A-._~".repeat(25) + "abc";
    assert.equal(verifier.length, 128);
    assert.equal(verifyCodeChallengeS256(verifier, codeChallengeS256(verifier)), true);
  });

  it("throws a TypeError when asked to hash a malformed verifier (a programmer error)", () => {
    assert.throws(() => codeChallengeS256("short"), {
      name: "TypeError",
      message: 'PKCE "code_verifier" is invalid: must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)',
    });
  });
});
