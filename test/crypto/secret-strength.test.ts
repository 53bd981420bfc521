import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { assertSecrets, assertStrongSecret } from "../../src/crypto/secret-strength.ts";

const secret = randomBytes(32).toString("base64url");
const oldSecret = randomBytes(32).toString("base64url");
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
