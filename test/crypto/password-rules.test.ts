import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkNewPassword, maxPasswordBytes } from "../../src/crypto/password-rules.ts";

const tooShort = (min: number) => `Password must be at least ${min} characters.`;
const tooLong = "Password is too long: the limit is 1024 bytes (about 1024 Latin letters, fewer in other scripts).";

describe("checkNewPassword", () => {
  const accepted: [string, string][] = [
    ["15 characters (NIST SP 800-63B-4 minimum for a password-only account)", "fifteen chars!!"],
    ["64 characters", "x".repeat(64)],
    ["1024 bytes", "y".repeat(maxPasswordBytes)],
    ["spaces, including only spaces", " ".repeat(15)],
    ["a passphrase", "correct horse battery staple"],
    ["non-Latin scripts", "пароль на русском языке"],
    ["15 emoji (counted as 15 characters, not 30 UTF-16 units)", "😀".repeat(15)],
    ["no digits or symbols (no composition rules)", "onlylowercaseletters"],
  ];
  for (const [label, password] of accepted) {
    it(`R16: accepts ${label}`, () => {
      assert.equal(checkNewPassword(password), null);
    });
  }

  const refused: [string, unknown, string][] = [
    ["an empty password", "", "Enter a password."],
    ["a missing password", undefined, "Enter a password."],
    ["14 characters", "fourteen chars", tooShort(15)],
    ["14 emoji", "😀".repeat(14), tooShort(15)],
    ["7 decomposed letters that NFKC composes (14 code points before)", "e\u0301".repeat(14), tooShort(15)],
    ["1025 bytes", "z".repeat(maxPasswordBytes + 1), tooLong],
    ["342 three-byte characters", "€".repeat(342), tooLong],
    ["a password NFKC expands past 1024 bytes", "\ufdfa".repeat(60), tooLong],
    ["a megabyte", "m".repeat(1024 * 1024), tooLong],
    ["a tab", "correct\thorse battery", "Password cannot contain control characters such as tabs or line breaks."],
    ["a line break", "correct horse\r\nbattery", "Password cannot contain control characters such as tabs or line breaks."],
    ["a NUL", "correct horse battery\u0000", "Password cannot contain control characters such as tabs or line breaks."],
    ["a lone surrogate", "correct horse battery \ud800", "Password contains invalid characters."],
  ];
  for (const [label, password, message] of refused) {
    it(`R16: refuses ${label}`, () => {
      assert.equal(checkNewPassword(password as string), message);
    });
  }

  it("R16: takes a configurable minimum from 8 (with a second factor) to 64", () => {
    assert.equal(checkNewPassword("8 chars!", { minLength: 8 }), null);
    assert.equal(checkNewPassword("7 chars", { minLength: 8 }), tooShort(8));
    assert.equal(checkNewPassword("x".repeat(63), { minLength: 64 }), tooShort(64));
    assert.equal(checkNewPassword("x".repeat(64), { minLength: 64 }), null);
  });

  for (const minLength of [0, 7, 65, 15.5, Number.NaN]) {
    it(`throws a TypeError for minLength ${minLength}`, () => {
      assert.throws(() => checkNewPassword("whatever password", { minLength }), {
        name: "TypeError",
        message: 'password rule "minLength" is invalid: must be a whole number from 8 to 64 (NIST SP 800-63B-4 §3.1.1.2)',
      });
    });
  }

  it("consults an optional blocklist with the normalized password", () => {
    const seen: string[] = [];
    const isBlocked = (password: string) => {
      seen.push(password);
      return password === "passwordpassword";
    };
    assert.equal(checkNewPassword("ｐａｓｓｗｏｒｄｐａｓｓｗｏｒｄ", { isBlocked }), "This password is too common. Choose another one.");
    assert.equal(checkNewPassword("correct horse battery staple", { isBlocked }), null);
    assert.deepEqual(seen, ["passwordpassword", "correct horse battery staple"]);
  });
});
