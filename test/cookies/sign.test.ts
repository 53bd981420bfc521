import { describe, it } from "node:test";
import assert from "node:assert/strict";
import crypto, { createHmac, randomBytes } from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { sign, unsign } from "../../src/cookies/sign.ts";
import { parseCookies } from "../../src/cookies/parse.ts";

// Known-answer vector, computed with the cookie-signature package itself (1.2.2, what express-session 1.18
// uses): `sign("hello", knownSecret)`. Its README's own vector uses the 10-byte secret "tobiiscool",
// which sign() refuses.
const knownValue = "hello";
const knownSecret = "tobiiscool-and-this-secret-is-long-enough-now";
const knownSigned = "hello.PRgJFTrlhWsqBy7KBD7vmUvsFdGjFhE4mCMYrqejOCE";
const generateHint = "generate one with: " +
  `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`;

const secret = randomBytes(32).toString("base64url");
const oldSecret = randomBytes(32).toString("base64url");
const otherSecret = randomBytes(32).toString("base64url");

describe("sign", () => {
  it("matches the cookie-signature known-answer vector", () => {
    assert.equal(sign(knownValue, knownSecret), knownSigned);
  });

  it("is value + '.' + base64(HMAC-SHA256) without '=' padding, computed independently", () => {
    const mac = createHmac("sha256", secret).update("session-id").digest("base64");
    assert.ok(mac.endsWith("="), "a 32-byte MAC in base64 has one '=' of padding");
    assert.equal(sign("session-id", secret), `session-id.${mac.slice(0, -1)}`);
    assert.equal(sign("", secret), `.${createHmac("sha256", secret).update("").digest("base64").slice(0, -1)}`);
  });

  it("gives different signatures for different secrets", () => {
    assert.notEqual(sign(knownValue, otherSecret), knownSigned);
  });

  // [label, secret, message]: sign() and unsign() refuse secrets short of 32 bytes of entropy.
  const weakSecrets: Array<[string, string, string]> = [
    ["an empty secret", "", `must be a non-empty string; ${generateHint}`],
    ["cookie-signature's README secret", "tobiiscool", `must be at least 32 bytes, got 10 (RFC 2104 §3); ${generateHint}`],
    ["16 random bytes in hex (128 bits in 32 characters)", "9f86d081884c7d659a2feaa0c55ad015",
      `holds at most 128 bits in 32 characters of hex; 32 bytes of entropy need 64 such characters; ${generateHint}`],
    ["24 random bytes in base64url", "q3L8vZ0xN2pR5tW7yB1dF4hJ6kM9sU0c",
      `holds at most 192 bits in 32 characters of base64; 32 bytes of entropy need 43 such characters; ${generateHint}`],
    ["a 40-digit number", "1234567890".repeat(3) + "9876543210",
      `holds at most 132 bits in 40 characters of decimal digits; 32 bytes of entropy need 78 such characters; ${generateHint}`],
  ];
  for (const [label, weak, rule] of weakSecrets) {
    it(`refuses ${label}, with a TypeError that doesn't show it`, () => {
      assert.throws(() => sign("x", weak), { name: "TypeError", message: `secret "secret" is invalid: ${rule}` });
      assert.throws(() => unsign(sign("x", secret), [secret, weak]), {
        name: "TypeError",
        message: `secret "secrets[1]" is invalid: ${rule}`,
      });
    });
  }

  it("accepts 32 random bytes in hex or base64url, and a long passphrase", () => {
    for (const strong of [randomBytes(32).toString("hex"), randomBytes(32).toString("base64url"),
      "correct horse battery staple, rode a bike 2 Mars"]) {
      assert.equal(unsign(sign("x", strong), [strong]), "x");
    }
  });
});

describe("unsign", () => {
  it("R11: returns the value of a correctly signed string", () => {
    assert.equal(unsign(knownSigned, [knownSecret]), knownValue);
    assert.equal(unsign(sign("a.b.c", secret), [secret]), "a.b.c");
    assert.equal(unsign(sign("", secret), [secret]), "");
  });

  it("R11: compares MACs with crypto.timingSafeEqual, never ===, for the right MAC and a wrong one alike", (t) => {
    // The answers would be the same with ===; only the timing would leak how much of a guess matched.
    const spy = t.mock.method(crypto, "timingSafeEqual");
    syncBuiltinESMExports();
    try {
      const signed = sign("user-1", secret);
      assert.equal(unsign(signed, [secret]), "user-1");
      assert.equal(spy.mock.callCount(), 1);
      const last = signed.at(-1) === "A" ? "B" : "A";
      assert.equal(unsign(signed.slice(0, -1) + last, [secret]), null); // same length, one character off
      assert.equal(spy.mock.callCount(), 2);
    } finally {
      t.mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  it("R11: treats a tampered value as unsigned", () => {
    const signed = sign("user-1", secret);
    assert.equal(unsign(signed.replace("user-1", "user-2"), [secret]), null);
    assert.equal(unsign(`x${signed}`, [secret]), null);
  });

  it("R11: treats a tampered signature as unsigned", () => {
    const signed = sign("user-1", secret);
    const last = signed.at(-1) === "A" ? "B" : "A";
    assert.equal(unsign(signed.slice(0, -1) + last, [secret]), null);
  });

  it("R11: treats a value signed with another secret as unsigned", () => {
    assert.equal(unsign(sign("user-1", otherSecret), [secret]), null);
    assert.equal(unsign(knownSigned, [otherSecret]), null);
  });

  it("R11: accepts a value signed with any listed secret, so rotation keeps sessions valid", () => {
    const rotated = [secret, oldSecret]; // The first signs; the old one still verifies.
    assert.equal(unsign(sign("before-rotation", oldSecret), rotated), "before-rotation");
    assert.equal(unsign(sign("after-rotation", rotated[0] ?? ""), rotated), "after-rotation");
    assert.equal(unsign(sign("before-rotation", oldSecret), [secret]), null, "dropped secrets stop verifying");
  });

  it("accepts express-session's 's:' prefix, as read from its cookie", () => {
    assert.equal(unsign(`s:${knownSigned}`, [knownSecret]), knownValue);
    // express-session's Set-Cookie value is encodeURIComponent("s:" + signature.sign(id, secret)).
    const cookies = parseCookies(`connect.sid=${encodeURIComponent(`s:${knownSigned}`)}`);
    assert.equal(cookies["connect.sid"], "s:hello.PRgJFTrlhWsqBy7KBD7vmUvsFdGjFhE4mCMYrqejOCE");
    assert.equal(unsign(cookies["connect.sid"] ?? "", [knownSecret]), knownValue);
    assert.equal(unsign(`s:${sign("id", otherSecret)}`, [secret]), null);
  });

  it("still verifies our own signature of a value that itself starts with 's:'", () => {
    assert.equal(unsign(sign("s:abc", secret), [secret]), "s:abc");
  });

  describe("R11: returns null, never throws, for malformed input", () => {
    const signed = sign("real data", secret);
    const malformed: Array<[string, unknown]> = [
      ["an empty string", ""],
      ["no dot", "fake unsigned data"],
      ["only a dot", "."],
      ["only the prefix", "s:"],
      ["garbage before the value", `garbage${signed}`],
      ["garbage before a dot", `garbage.${signed}`],
      ["garbage after a dot", `${signed}.garbage`],
      ["garbage after the signature", `${signed}garbage`],
      ["a truncated signature (wrong length)", signed.slice(0, -1)],
      ["a signature with padding (wrong length)", `${signed}=`],
      ["an empty signature", "real data."],
      ["a multi-byte signature of the right character count", `real data.${"\u00e9".repeat(43)}`],
      ["binary junk", "\u0000\uffff.\ud800"],
      ["a huge value", `${"a".repeat(100_000)}.${"b".repeat(43)}`],
      ["a number", 42],
      ["undefined", undefined],
      ["null", null],
    ];
    for (const [label, input] of malformed) {
      it(`for ${label}`, () => {
        assert.equal(unsign(input as string, [secret]), null);
      });
    }
  });

  it("throws a TypeError when given no secrets (a programmer error, not bad input)", () => {
    assert.throws(() => unsign(knownSigned, []), {
      name: "TypeError",
      message: 'secrets "secrets" is invalid: must list at least one secret (the first signs)',
    });
  });
});
