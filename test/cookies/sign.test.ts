import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { sign, unsign } from "../../src/cookies/sign.ts";
import { parseCookies } from "../../src/cookies/parse.ts";

// Known-answer vector from the cookie-signature package's README and tests.
const knownValue = "hello";
const knownSecret = "tobiiscool";
const knownSigned = "hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI";

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
    assert.notEqual(sign(knownValue, "luna"), knownSigned);
  });

  it("refuses an empty secret", () => {
    assert.throws(() => sign("x", ""), {
      name: "TypeError",
      message: 'secret "secret" is invalid: must be a non-empty string',
    });
  });
});

describe("unsign", () => {
  it("R11: returns the value of a correctly signed string", () => {
    assert.equal(unsign(knownSigned, [knownSecret]), knownValue);
    assert.equal(unsign(sign("a.b.c", secret), [secret]), "a.b.c");
    assert.equal(unsign(sign("", secret), [secret]), "");
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
    assert.equal(unsign(knownSigned, ["luna"]), null);
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
    const cookies = parseCookies("connect.sid=s%3Ahello.DGDUkGlIkCzPz%2BC0B064FNgHdEjox7ch8tOBGslZ5QI");
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
