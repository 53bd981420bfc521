import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { assertSecrets, assertStrongSecret } from "../../src/crypto/secret-strength.ts";

const secret = randomBytes(32).toString("base64url");
const oldSecret = randomBytes(32).toString("base64url");
// `count` distinct Greek letters (α…ω, then Α…), which no normalization changes.
const greek = (count: number) => [...Array.from({ length: 25 }, (_, i) => String.fromCodePoint(0x3b1 + i)),
  ...Array.from({ length: 17 }, (_, i) => String.fromCodePoint(0x391 + i))].slice(0, count).join("");
const generateHint = "generate one with: " +
  `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`;

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
    ["seven distinct characters", "abcdefg".repeat(7), fewDistinct],
    ["a repeated block", "0123456789abcdef".repeat(4), "repeats a shorter pattern, so it is not random"],
    ["a padded placeholder", "keyboard cat keyboard cat keyboard cat!", placeholder],
    ["a sentence with a placeholder", "This-is-my-Super-Secret-value-for-prod-2024", placeholder],
    ["CHANGE_ME in capitals", "CHANGE_ME_BEFORE_DEPLOYING_TO_PRODUCTION_1234", placeholder],
    ["16 random bytes in hex", "9f86d081884c7d659a2feaa0c55ad015",
      "holds at most 128 bits in 32 characters of hex; 32 bytes of entropy need 64 such characters"],
    ["a 39-character base64 string", "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2Fy".slice(0, 39),
      "holds at most 234 bits in 39 characters of base64; 32 bytes of entropy need 43 such characters"],
    ["38 characters of printable text", "Tr0ub4dor&3 is n0t a g00d p@ssw0rd!!..",
      "holds at most 249 bits in 38 characters of printable ASCII; 32 bytes of entropy need 39 such characters"],
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

  // Text beyond ASCII takes 2–4 bytes a character, but is judged by its characters, each worth at
  // most what a printable ASCII one is: otherwise these would pass on their byte count alone.
  const beyondAscii = (count: number) => `holds at most ${Math.floor(count * Math.log2(95))} bits in ${count} ` +
    "characters of text beyond ASCII (counted like printable ASCII); 32 bytes of entropy need 39 such characters";
  const controls = "must not contain control characters such as a line break or a tab: it is one secret; " +
    'to rotate, list the secrets in the setting as "new,old" (e.g. SESSION_SECRET="new,old")';
  const weakBeyondAscii: Array<[string, string, string]> = [
    ["16 consecutive accented letters (32 bytes)", "àáâãäåæçèéêëìíîï", beyondAscii(16)],
    ["8 consecutive emoji (32 bytes)", "😀😁😂😃😄😅😆😇", beyondAscii(8)],
    ["38 Greek letters", greek(38), beyondAscii(38)],
    ["a placeholder spelt with accents", "chängeme-chängeme-in-prödüctiön-2024-Q3!", placeholder],
    ["a placeholder in full-width letters", "ｃｈａｎｇｅｍｅ-before-deploying-to-prod-2024!", placeholder],
    ["a block repeated with its first letter's accent changed", "àáâãä".replace(/./gu, "$&bcdefg-"), "repeats a shorter pattern, so it is not random"],
    ["accented forms of six letters", "àáâãäåèéêëìíîïòóôõöùúûüýÿ".repeat(2), fewDistinct],
    ["31 sequential characters and a tab", "0123456789abcdefghijklmnopqrstu\t", controls],
    ["two secrets on two lines", `${secret}\n${oldSecret}`, controls],
    ["a secret and a carriage return", `${secret}\r`, controls],
    ["a NUL byte", `${secret}\u0000`, controls],
    ["a C1 control character", `${secret}\u0085`, controls],
  ];
  for (const [label, candidate, rule] of weakBeyondAscii) {
    it(`rejects ${label} without revealing it`, () => {
      assert.throws(() => assertStrongSecret(candidate, "SESSION_SECRET"), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.equal(error.message, `secret "SESSION_SECRET" is invalid: ${rule}; ${generateHint}`);
        assert.ok(!error.message.includes(candidate));
        return true;
      });
    });
  }

  it("accepts text beyond ASCII with room for 256 bits at the printable-ASCII rate (39 characters)", () => {
    assertStrongSecret(greek(39));
    assertStrongSecret("Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich");
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
