import assert from "node:assert/strict";
import { createHmac, scryptSync } from "node:crypto";
import { describe, it } from "node:test";
import {
  defaultScryptParams,
  deriveKey,
  deriveKeyFromPassphrase,
  keyId,
  scryptAsync,
  scryptMaxmemBytes,
} from "../../src/crypto/keys.ts";
import { fastScryptParamsForTests } from "../../src/crypto/password.ts";

const secret = "known-answer-secret-0123456789-abcdefghijklmnop";

// RFC 5869 §2.2-2.3 written out with HMAC, to check deriveKey against an independent implementation.
function hkdfByHand(ikm: string, salt: Buffer, info: string, length: number): Buffer {
  const prk = createHmac("sha256", salt.length > 0 ? salt : Buffer.alloc(32)).update(ikm).digest();
  let block = Buffer.alloc(0);
  const output: Buffer[] = [];
  for (let counter = 1; Buffer.concat(output).length < length; counter += 1) {
    block = createHmac("sha256", prk).update(Buffer.concat([block, Buffer.from(info), Buffer.from([counter])])).digest();
    output.push(block);
  }
  return Buffer.concat(output).subarray(0, length);
}

describe("deriveKey", () => {
  it("is HKDF-SHA256 of the secret with no salt and the purpose as info (RFC 5869)", () => {
    const key = deriveKey(secret, "known-answer");
    assert.equal(key.length, 32);
    assert.deepEqual(key, hkdfByHand(secret, Buffer.alloc(0), "known-answer", 32));
    // Pinned, so a refactor can't silently change the keys existing sealed files need.
    assert.equal(key.toString("hex"), "25873a806a3ec9371c3afd9c3de17daa96a0fac709a2c5deec02d03a8fe535b7");
  });

  it("gives unrelated keys for different purposes and different secrets", () => {
    const a = deriveKey(secret, "session-files");
    assert.notDeepEqual(a, deriveKey(secret, "csrf"));
    assert.notDeepEqual(a, deriveKey(`${secret}x`, "session-files"));
    assert.deepEqual(a, deriveKey(secret, "session-files"));
  });

  // The rules themselves are tested in secret-strength.test.ts; here: deriveKey applies them.
  const hint = "; generate one with: " +
    `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`;
  const weakSecrets: [string, unknown, string][] = [
    ["an empty secret", "", `secret "secret" is invalid: must be a non-empty string${hint}`],
    ["a 31-byte secret", "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p", `secret "secret" is invalid: must be at least 32 bytes, got 31 (RFC 2104 §3)${hint}`],
    ["a non-string", 12345, `secret "secret" is invalid: must be a non-empty string${hint}`],
    ["a long repeated character", "a".repeat(64), `secret "secret" is invalid: has fewer than 8 distinct characters, so it is not random${hint}`],
    ["a long repeated word", "secret".repeat(10), `secret "secret" is invalid: has fewer than 8 distinct characters, so it is not random${hint}`],
  ];
  for (const [label, weak, message] of weakSecrets) {
    it(`refuses ${label} without echoing it`, () => {
      assert.throws(() => deriveKey(weak as string, "purpose"), { name: "TypeError", message });
    });
  }

  it("refuses an empty purpose", () => {
    assert.throws(() => deriveKey(secret, ""), {
      name: "TypeError",
      message: 'key "purpose" is invalid: must be a non-empty string (the HKDF "info", RFC 5869 §3.2)',
    });
  });
});

describe("keyId", () => {
  it("is 8 base64url characters derived from the key, not the secret", () => {
    const key = deriveKey(secret, "known-answer");
    assert.equal(keyId(key), "sKE4X1LK");
    assert.notEqual(keyId(deriveKey(secret, "other")), keyId(key));
  });
});

describe("scrypt helpers", () => {
  it("R14: computes a maxmem Node accepts for N=2^17, r=8, p=1 (at least 134,220,800 bytes)", () => {
    const maxmem = scryptMaxmemBytes(defaultScryptParams);
    assert.ok(maxmem >= 134_220_800, `maxmem ${maxmem}`);
    assert.ok(maxmem <= 134_220_800 + 2 * 1024 * 1024, "headroom stays small");
    assert.deepEqual(defaultScryptParams, { ln: 17, r: 8, p: 1 });
  });

  it("R14: turns Node's synchronous throw on bad parameters into a rejected promise", async () => {
    // N = 2^16 with r = 1 breaks scrypt's rule N < 2^(16r): crypto.scrypt throws before any callback.
    let pending: Promise<Buffer> | undefined;
    assert.doesNotThrow(() => {
      pending = scryptAsync("password", Buffer.alloc(16), 32, { ln: 16, r: 1, p: 1 });
    });
    await assert.rejects(pending!, { code: "ERR_CRYPTO_INVALID_SCRYPT_PARAMS" });
  });

  const invalidParams = [
    { ln: 0, r: 8, p: 1 },
    { ln: 21, r: 8, p: 1 },
    { ln: 21, r: 1, p: 1 }, // only 256 MiB: refused for ln alone, not by the memory bound
    { ln: 17, r: 0, p: 1 },
    { ln: 17, r: 8.5, p: 1 },
    { ln: 17, r: 8, p: 17 },
    { ln: 20, r: 16, p: 1 }, // 2 GiB
  ];
  for (const params of invalidParams) {
    it(`rejects out-of-range parameters ${JSON.stringify(params)}`, async () => {
      await assert.rejects(scryptAsync("password", Buffer.alloc(16), 32, params), {
        name: "TypeError",
        message: "scrypt parameters are invalid: need whole numbers ln 1-20, r 1-32, p 1-16 and at most 1 GiB of memory (RFC 7914 §2)",
      });
    });
  }
});

describe("deriveKeyFromPassphrase", () => {
  const salt = Buffer.from("0123456789abcdef0123456789abcdef", "hex");

  it("is scrypt of the NFKC passphrase: 32 bytes, deterministic for one salt", async () => {
    const key = await deriveKeyFromPassphrase("correct horse battery staple", salt, fastScryptParamsForTests);
    const expected = scryptSync("correct horse battery staple", salt, 32, { N: 1024, r: 8, p: 1 });
    assert.deepEqual(key, expected);
    const composed = await deriveKeyFromPassphrase("caf\u00e9 au lait, s'il vous pla\u00eet", salt, fastScryptParamsForTests);
    const decomposed = await deriveKeyFromPassphrase("cafe\u0301 au lait, s'il vous plai\u0302t", salt, fastScryptParamsForTests);
    assert.deepEqual(composed, decomposed);
  });

  it("gives another key for another salt", async () => {
    const a = await deriveKeyFromPassphrase("correct horse battery staple", salt, fastScryptParamsForTests);
    const b = await deriveKeyFromPassphrase("correct horse battery staple", Buffer.alloc(16, 1), fastScryptParamsForTests);
    assert.notDeepEqual(a, b);
  });

  it("accepts a 16-byte salt and rejects a 15-byte one", async () => {
    await deriveKeyFromPassphrase("passphrase", Buffer.alloc(16, 7), fastScryptParamsForTests);
    await assert.rejects(deriveKeyFromPassphrase("passphrase", Buffer.alloc(15, 7), fastScryptParamsForTests), {
      name: "TypeError",
      message: "passphrase salt is invalid: must be at least 16 bytes (generate one with randomToken())",
    });
  });

  it("rejects a salt shorter than 16 bytes and an empty passphrase", async () => {
    await assert.rejects(deriveKeyFromPassphrase("passphrase", "short salt", fastScryptParamsForTests), {
      name: "TypeError",
      message: "passphrase salt is invalid: must be at least 16 bytes (generate one with randomToken())",
    });
    await assert.rejects(deriveKeyFromPassphrase("", salt, fastScryptParamsForTests), {
      name: "TypeError",
      message: "passphrase is invalid: must be a non-empty string",
    });
  });
});
