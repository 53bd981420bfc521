import assert from "node:assert/strict";
import crypto, { randomBytes } from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { describe, it } from "node:test";
import {
  defaultScryptParams,
  fastScryptParamsForTests as fast,
  hashPassword,
  isUsablePasswordHash,
  maxPasswordBytes,
  needsRehash,
  spendDummyHash,
  verifyPassword,
} from "../../src/crypto/password.ts";

const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");
const fastPhcRegExp = /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;
const tooLongMessage = "password is invalid: must be a string of at most 1024 bytes in UTF-8, without NUL";

describe("hashPassword and verifyPassword at the default parameters", () => {
  it("R14: hash with N=2^17, r=8, p=1 as a PHC string, async, and verify it", async () => {
    // The only default-parameter hashes in this file (each ~0.3-0.5 s and 128 MiB).
    const phc = await hashPassword("correct horse battery staple");
    assert.match(phc, /^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(needsRehash(phc), false);
    assert.equal(await verifyPassword("correct horse battery staple", phc), true);
  });
});

describe("hashPassword and verifyPassword", () => {
  it("R14: stores a 16-byte salt and a 32-byte hash, in standard base64 without padding", async () => {
    const phc = await hashPassword("correct horse battery staple", fast);
    assert.match(phc, fastPhcRegExp);
    const [, , , salt, hash] = phc.split("$");
    assert.equal(Buffer.from(salt!, "base64").length, 16);
    assert.equal(Buffer.from(hash!, "base64").length, 32);
  });

  it("salts every hash: one password hashed twice gives two strings that both verify", async () => {
    const first = await hashPassword("correct horse battery staple", fast);
    const second = await hashPassword("correct horse battery staple", fast);
    assert.notEqual(first, second);
    assert.equal(await verifyPassword("correct horse battery staple", first), true);
    assert.equal(await verifyPassword("correct horse battery staple", second), true);
  });

  it("rejects a wrong password, whatever its case, spacing or length", async () => {
    const phc = await hashPassword("correct horse battery staple", fast);
    for (const wrong of ["Correct horse battery staple", "correct horse battery staple ", "correct horse battery", "", " "]) {
      assert.equal(await verifyPassword(wrong, phc), false, JSON.stringify(wrong));
    }
  });

  it("verifies a known-answer string computed independently (scryptSync, salt 'saltsaltsaltsalt')", async () => {
    const phc = "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ";
    assert.equal(await verifyPassword("correct horse battery staple", phc), true);
    assert.equal(await verifyPassword("correct horse battery stapler", phc), false);
  });

  it("compares hashes with crypto.timingSafeEqual, never ===, for the right password and a wrong one alike", async (t) => {
    // The answers would be the same with Buffer.equals; only the timing would leak how much matched.
    const phc = "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ";
    const spy = t.mock.method(crypto, "timingSafeEqual");
    syncBuiltinESMExports();
    try {
      assert.equal(await verifyPassword("correct horse battery staple", phc, fast), true);
      assert.equal(spy.mock.callCount(), 1);
      assert.equal(await verifyPassword("correct horse battery stapler", phc, fast), false);
      assert.equal(spy.mock.callCount(), 2);
    } finally {
      t.mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  it("refuses a stored salt or hash whose last character has non-zero unused bits (not canonical base64)", async () => {
    // Node's decoder ignores those bits, so these decode to the known-answer bytes and would verify.
    const nonCanonical = [
      "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdB$bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuQ", // "dA" -> "dB"
      "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$bHXojks4sm1uMH4CDw9EcLZ/muyLxbYYc9xGzvNAnuR", // "uQ" -> "uR"
    ];
    for (const phc of nonCanonical) {
      assert.equal(isUsablePasswordHash(phc, fast), false, phc);
      assert.equal(await verifyPassword("correct horse battery staple", phc, fast), false, phc);
    }
  });

  it("R16: normalizes with NFKC, so one password typed two ways verifies", async () => {
    const composed = await hashPassword("caf\u00e9 \u00c5ngstr\u00f6m \ufb01le", fast); // é, Å, ö, "ﬁ" ligature
    assert.equal(await verifyPassword("cafe\u0301 A\u030angstro\u0308m file", composed), true);
    const fullWidth = await hashPassword("\uff30\uff41\uff53\uff53", fast); // "Ｐａｓｓ"
    assert.equal(await verifyPassword("Pass", fullWidth), true);
  });

  it("R16: accepts any Unicode and spaces, up to 1024 bytes", async () => {
    for (const password of ["   ", "пароль с пробелами", "😀🔑🏠 emoji 日本語のパスワード", "a".repeat(maxPasswordBytes), "€".repeat(341)]) {
      const phc = await hashPassword(password, fast);
      assert.equal(await verifyPassword(password, phc), true);
    }
  });

  it("R16: never truncates: a password and its 72-byte prefix do not both verify", async () => {
    const password = "A long passphrase that goes well beyond bcrypt's seventy-two byte limit, and then some more";
    const prefix = Buffer.from(password).subarray(0, 72).toString();
    assert.equal(prefix.length, 72);
    const phc = await hashPassword(password, fast);
    assert.equal(await verifyPassword(password, phc), true);
    assert.equal(await verifyPassword(prefix, phc), false);
    const prefixPhc = await hashPassword(prefix, fast);
    assert.equal(await verifyPassword(password, prefixPhc), false);
  });

  const tooLong: [string, string][] = [
    ["1025 ASCII characters", "a".repeat(1025)],
    ["1026 bytes of three-byte characters", "€".repeat(342)],
    ["a short string that NFKC expands past the cap", "\ufdfa".repeat(60)], // each becomes 18 characters
    ["a megabyte", "x".repeat(1024 * 1024)],
  ];
  for (const [label, password] of tooLong) {
    it(`R16: refuses ${label} with a clear error, and such a password never verifies`, async () => {
      await assert.rejects(hashPassword(password, fast), { name: "TypeError", message: tooLongMessage });
      const phc = await hashPassword(password.slice(0, 10), fast);
      assert.equal(await verifyPassword(password, phc), false);
    });
  }

  it("refuses a NUL, which would make \"pw\" and \"pw\\0\" the same key to scrypt's HMAC", async () => {
    const phc = await hashPassword("correct horse battery staple", fast);
    assert.equal(await verifyPassword("correct horse battery staple\0", phc), false);
    assert.equal(await verifyPassword("correct horse battery staple\0\0", phc), false);
    await assert.rejects(hashPassword("pass\0word is long enough", fast), { name: "TypeError", message: tooLongMessage });
  });

  it("rejects a non-string password with a TypeError (a rejected promise)", async () => {
    await assert.rejects(hashPassword(undefined as unknown as string, fast), { name: "TypeError", message: tooLongMessage });
    assert.equal(await verifyPassword(12345 as unknown as string, await hashPassword("12345", fast)), false);
  });

  it("R14: bad parameters give a rejected promise, not a synchronous throw", async () => {
    // N=2^16 with r=1 breaks scrypt's N < 2^(16r): Node's crypto.scrypt throws synchronously here.
    let pending: Promise<string> | undefined;
    assert.doesNotThrow(() => {
      pending = hashPassword("correct horse battery staple", { ln: 16, r: 1, p: 1 });
    });
    await assert.rejects(pending!, { code: "ERR_CRYPTO_INVALID_SCRYPT_PARAMS" });
    await assert.rejects(hashPassword("correct horse battery staple", { ln: 40, r: 8, p: 1 }), {
      name: "TypeError",
      message: "scrypt parameters are invalid: need whole numbers ln 1-20, r 1-32, p 1-16 and at most 1 GiB of memory (RFC 7914 §2)",
    });
  });
});

describe("verifyPassword with a malformed stored string", () => {
  const salt = b64(randomBytes(16));
  const hash = b64(randomBytes(32));
  const malformed: unknown[] = [
    "",
    "$scrypt$",
    "correct horse battery staple",
    `$scrypt$ln=10,r=8,p=1$${salt}`,
    `$scrypt$ln=10,r=8,p=1$${salt}$`,
    `$scrypt$ln=10,r=8,p=1$$${hash}`,
    `$scrypt$ln=10,r=8,p=1$${salt}$${hash}$extra`,
    `$scrypt$ln=10,r=8$${salt}$${hash}`,
    `$scrypt$r=8,ln=10,p=1$${salt}$${hash}`,
    `$scrypt$ln=010,r=8,p=1$${salt}$${hash}`,
    `$scrypt$ln=0,r=8,p=1$${salt}$${hash}`,
    `$scrypt$ln=99,r=8,p=1$${salt}$${hash}`, // would ask for 2^99 blocks of memory
    `$scrypt$ln=20,r=99,p=1$${salt}$${hash}`,
    `$scrypt$ln=-1,r=8,p=1$${salt}$${hash}`,
    `$scrypt$ln=16,r=1,p=1$${salt}$${hash}`, // N = 2^16 is not below 2^(16r): Node would refuse it
    `$scrypt$ln=10,r=8,p=1,x=1$${salt}$${hash}`,
    `$scrypt$ln=10,r=8,p=1$${salt}==$${hash}`,
    `$scrypt$ln=10,r=8,p=1$${salt}$${hash}=`,
    `$scrypt$ln=10,r=8,p=1$${salt.replace(/\+|\//g, "-")}_$${hash}`,
    `$scrypt$ln=10,r=8,p=1$${b64(randomBytes(8))}$${hash}`, // salt too short
    `$scrypt$ln=10,r=8,p=1$${salt}$${b64(randomBytes(8))}`, // hash too short
    `$scrypt$ln=10,r=8,p=1$${salt}$${b64(randomBytes(65))}`, // hash too long
    `$SCRYPT$ln=10,r=8,p=1$${salt}$${hash}`,
    `$argon2id$v=19$m=65536,t=3,p=4$${salt}$${hash}`,
    `$2b$10$abcdefghijklmnopqrstuuMvYqfOz0mVBcJXMQOUWFFDzQ6W/8u3O`,
    ` $scrypt$ln=10,r=8,p=1$${salt}$${hash}`,
    `$scrypt$ln=10,r=8,p=1$${salt}$${hash}\n`,
    undefined,
    42,
  ];
  for (const phc of malformed) {
    it(`returns false, not an error, for ${JSON.stringify(phc)?.slice(0, 60)}`, async () => {
      assert.equal(await verifyPassword("correct horse battery staple", phc as string, fast), false);
      assert.equal(needsRehash(phc as string), true);
      assert.equal(isUsablePasswordHash(phc as string), false);
    });
  }

  it("R15: spends a dummy hash with the app's parameters for a malformed stored string, like a wrong password", async () => {
    // Parameters Node refuses make the dummy hash visible as a rejection: no timing involved.
    await assert.rejects(verifyPassword("correct horse battery staple", `$scrypt$ln=10,r=8$${salt}$${hash}`, { ln: 16, r: 1, p: 1 }), {
      code: "ERR_CRYPTO_INVALID_SCRYPT_PARAMS",
    });
  });

  it("returns false when one character of a stored hash changed", async () => {
    const phc = await hashPassword("correct horse battery staple", fast);
    const last = phc.at(-2) === "A" ? "B" : "A";
    const tampered = phc.slice(0, -2) + last + phc.slice(-1);
    assert.equal(await verifyPassword("correct horse battery staple", tampered), false);
  });
});

describe("verifyPassword for an unknown user", () => {
  it("R15: returns false (after a dummy hash) when there is no stored hash", async () => {
    assert.equal(await verifyPassword("correct horse battery staple", null, fast), false);
    assert.equal(await spendDummyHash(fast), undefined); // the same dummy hash, for callers' own paths
  });

  it("R15: runs a real scrypt with the app's parameters (parameters Node refuses make it reject)", async () => {
    // Deterministic proof that the unknown-user path calls scrypt with the given cost, not a shortcut.
    await assert.rejects(verifyPassword("correct horse battery staple", null, { ln: 16, r: 1, p: 1 }), {
      code: "ERR_CRYPTO_INVALID_SCRYPT_PARAMS",
    });
  });
});

describe("verifyPassword with a stored cost beyond the bounds (a corrupt or planted hash)", () => {
  const stored = (params: string) => `$scrypt$${params}$${b64(randomBytes(16))}$${b64(randomBytes(32))}`;
  const overCost = [
    "ln=17,r=8,p=16", // 16× OWASP's work: 7 s per attempt, measured
    "ln=20,r=8,p=16", // 1 GiB and about a minute
    "ln=18,r=8,p=1", // 256 MiB: twice a hash slot's budget
    "ln=17,r=16,p=1", // 256 MiB
    "ln=17,r=8,p=5", // 5× OWASP's work
  ];
  for (const params of overCost) {
    it(`R14: never runs ${params}: unusable, flagged for rehash, and a login spends only the app's dummy hash`, async () => {
      const phc = stored(params);
      assert.equal(isUsablePasswordHash(phc), false);
      assert.equal(needsRehash(phc), true);
      // The app's parameters (refused by Node) run instead of the stored ones: a rejection proves it.
      await assert.rejects(verifyPassword("correct horse battery staple", phc, { ln: 16, r: 1, p: 1 }), {
        code: "ERR_CRYPTO_INVALID_SCRYPT_PARAMS",
      });
      assert.equal(await verifyPassword("correct horse battery staple", phc, fast), false);
    });
  }

  it("R14: keeps stored parameters within 128 MiB and 4× OWASP's work usable", () => {
    for (const params of ["ln=17,r=8,p=4", "ln=16,r=16,p=2", "ln=18,r=4,p=1", "ln=15,r=32,p=1"]) {
      assert.equal(isUsablePasswordHash(stored(params)), true, params);
    }
    assert.equal(needsRehash(stored("ln=17,r=8,p=4")), false, "stronger than OWASP's, within the bounds");
  });

  it("R14: accepts what an app configured beyond OWASP's defaults hashed, up to 4x its own work", () => {
    // An app that chose { ln: 18, r: 8, p: 1 } (256 MiB) must still verify its own hashes.
    const app = { ln: 18, r: 8, p: 1 };
    for (const params of ["ln=18,r=8,p=1", "ln=18,r=8,p=4", "ln=17,r=16,p=2"]) {
      assert.equal(isUsablePasswordHash(stored(params), app), true, params);
    }
    assert.equal(needsRehash(stored("ln=18,r=8,p=4"), app), false);
    for (const params of ["ln=19,r=8,p=1", "ln=18,r=8,p=5"]) {
      assert.equal(isUsablePasswordHash(stored(params), app), false, params);
    }
  });
});

describe("verifyPassword for a hash stored at a lower cost than the app's", () => {
  // The app's cost was raised after this hash was stored; fast (N=2^10, r=8: work 2^13) is 16× cheaper
  // than { ln: 16, r: 1, p: 2 }. The work missing is spent at the app's r, starting with ln=16, which
  // Node refuses, so the extra hashing shows as a rejection.
  const refusedButCostlier = { ln: 16, r: 1, p: 2 }; // 2^17: the work missing to it starts with ln=16, r=1

  it("R15: a wrong password also spends a hash at the app's cost, so it answers no faster than an unknown name", async () => {
    const legacy = await hashPassword("correct horse battery staple", fast);
    await assert.rejects(verifyPassword("a wrong guess, long enough", legacy, refusedButCostlier), {
      code: "ERR_CRYPTO_INVALID_SCRYPT_PARAMS",
    });
  });

  it("checks the right password at the stored cost alone (the caller rehashes it at the app's)", async () => {
    const legacy = await hashPassword("correct horse battery staple", fast);
    assert.equal(await verifyPassword("correct horse battery staple", legacy, refusedButCostlier), true);
  });

  it("spends nothing extra when the stored cost is at least the app's", async () => {
    const stronger = await hashPassword("correct horse battery staple", { ln: 14, r: 8, p: 1 }); // 2^17, as much
    assert.equal(await verifyPassword("a wrong guess, long enough", stronger, refusedButCostlier), false);
  });
});

describe("verifyPassword for an unusable password", () => {
  it("R15: spends a dummy hash before refusing an over-long password, like the unknown-user path", async () => {
    // Parameters Node refuses prove a real scrypt runs: an early "false" would reveal the user exists.
    const phc = await hashPassword("correct horse battery staple", fast);
    await assert.rejects(verifyPassword("x".repeat(2000), phc, { ln: 16, r: 1, p: 1 }), {
      code: "ERR_CRYPTO_INVALID_SCRYPT_PARAMS",
    });
  });
});

describe("needsRehash", () => {
  const stored = (params: string) => `$scrypt$${params}$${b64(randomBytes(16))}$${b64(randomBytes(32))}`;

  it("R14: flags stored parameters weaker than the current ones", () => {
    assert.equal(needsRehash(stored("ln=10,r=8,p=1")), true);
    assert.equal(needsRehash(stored("ln=17,r=4,p=1")), true);
    assert.equal(needsRehash(stored("ln=16,r=8,p=2")), true, "weaker in one dimension is weaker");
    assert.equal(needsRehash(stored("ln=17,r=8,p=1"), { ln: 17, r: 8, p: 2 }), true);
    assert.equal(needsRehash(`$scrypt$ln=17,r=8,p=1$${b64(randomBytes(16))}$${b64(randomBytes(16))}`), true, "short hash");
  });

  it("R14: keeps equal or stronger stored parameters", () => {
    assert.equal(needsRehash(stored("ln=17,r=8,p=1")), false);
    assert.equal(needsRehash(stored("ln=17,r=8,p=2")), false);
    assert.equal(needsRehash(stored("ln=12,r=16,p=2"), fast), false);
    assert.equal(needsRehash(stored("ln=10,r=8,p=1"), fast), false);
    assert.deepEqual(defaultScryptParams, { ln: 17, r: 8, p: 1 });
  });
});
