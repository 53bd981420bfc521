import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { assertSecrets, assertStrongSecret, sign, unsign } from "../../src/cookies/sign.ts";
import { parseCookies } from "../../src/cookies/parse.ts";

// Known-answer vector from the cookie-signature package's README and tests.
const knownValue = "hello";
const knownSecret = "tobiiscool";
const knownSigned = "hello.DGDUkGlIkCzPz+C0B064FNgHdEjox7ch8tOBGslZ5QI";

const secret = randomBytes(32).toString("base64url");
const oldSecret = randomBytes(32).toString("base64url");
const otherSecret = randomBytes(32).toString("base64url");
const generateHint = "generate one with: " +
  `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`;

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

describe("assertStrongSecret", () => {
  it("accepts 32 random bytes in base64url or hex, and a long passphrase", () => {
    for (let i = 0; i < 100; i++) {
      assertStrongSecret(randomBytes(32).toString("base64url"));
      assertStrongSecret(randomBytes(32).toString("hex"));
    }
    assertStrongSecret("correct horse battery staple, rode a bike 2 Mars");
  });

  // [label, candidate, rule]; every message ends with "; " + generateHint.
  const tooShort = (bytes: number) => `must be at least 32 bytes, got ${bytes} (RFC 2104 §3)`;
  const fewDistinct = "has fewer than 8 distinct characters, so it is not random";
  const placeholder = "contains a well-known placeholder word, so it is guessable";
  const weak: Array<[string, string, string]> = [
    ["an empty string", "", "must be a non-empty string"],
    ["31 bytes", "x9!Kq2#Lm4$Np6%Rs8&Tv0*Wy3^Za5(", tooShort(31)],
    ["express-session's example", "keyboard cat", tooShort(12)],
    ["one repeated character", "a".repeat(64), fewDistinct],
    ["seven distinct characters", "abcdefg".repeat(5), fewDistinct],
    ["a repeated block", "0123456789abcdef".repeat(2), "repeats a shorter pattern, so it is not random"],
    ["a padded placeholder", "keyboard cat keyboard cat keyboard cat!", placeholder],
    ["a sentence with a placeholder", "This-is-my-Super-Secret-value-for-prod-2024", placeholder],
    ["CHANGE_ME in capitals", "CHANGE_ME_BEFORE_DEPLOYING_TO_PROD_1234", placeholder],
  ];
  for (const [label, candidate, rule] of weak) {
    it(`rejects ${label} without revealing it`, () => {
      assert.throws(() => assertStrongSecret(candidate, "SESSION_SECRET"), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.equal(error.message, `secret "SESSION_SECRET" is invalid: ${rule}; ${generateHint}`);
        if (candidate !== "") assert.ok(!error.message.includes(candidate));
        return true;
      });
    });
  }

  it("counts bytes, not characters", () => {
    // 16 distinct non-ASCII characters of 2 bytes each: 32 bytes in 16 characters.
    assertStrongSecret("\u00e0\u00e1\u00e2\u00e3\u00e4\u00e5\u00e6\u00e7" +
      "\u00e8\u00e9\u00ea\u00eb\u00ec\u00ed\u00ee\u00ef");
  });

  it("names the setting as 'secret' by default", () => {
    assert.throws(() => assertStrongSecret("short"), {
      message: `secret "secret" is invalid: must be at least 32 bytes, got 5 (RFC 2104 §3); ${generateHint}`,
    });
  });

  it("rejects a value that is not a string", () => {
    assert.throws(() => assertStrongSecret(undefined as unknown as string), {
      name: "TypeError",
      message: `secret "secret" is invalid: must be a non-empty string; ${generateHint}`,
    });
  });
});

describe("assertSecrets", () => {
  it("accepts a rotation list of strong secrets", () => {
    assertSecrets([secret, oldSecret]);
  });

  it("rejects an empty list", () => {
    assert.throws(() => assertSecrets([]), {
      name: "TypeError",
      message: 'secrets "secrets" is invalid: must list at least one secret (the first signs)',
    });
    assert.throws(() => assertSecrets([], "SESSION_SECRETS"), {
      message: 'secrets "SESSION_SECRETS" is invalid: must list at least one secret (the first signs)',
    });
  });

  it("names the weak entry by its position, never by its content", () => {
    assert.throws(() => assertSecrets([secret, "tobiiscool"], "SESSION_SECRETS"), {
      name: "TypeError",
      message: 'secret "SESSION_SECRETS[1]" is invalid: must be at least 32 bytes, got 10 ' +
        `(RFC 2104 §3); ${generateHint}`,
    });
  });
});
