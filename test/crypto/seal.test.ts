import assert from "node:assert/strict";
import crypto, { createDecipheriv } from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { describe, it } from "node:test";
import { deriveKey } from "../../src/crypto/keys.ts";
import { createSealer } from "../../src/crypto/seal.ts";
import { HttpError } from "../../src/http/http-error.ts";

const secretA = "sealer-test-secret-A-0123456789abcdefghijklmnopq";
const secretB = "sealer-test-secret-B-zyxwvutsrqponmlkjihgfedcba98";
const sealedRegExp = /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/;

describe("createSealer", () => {
  it("round-trips text, including empty and non-ASCII text", () => {
    const sealer = createSealer([secretA]);
    for (const plaintext of ["", '{"views":1}', "Zoë 😀 日本語", "x".repeat(100_000)]) {
      const sealed = sealer.seal(plaintext);
      assert.match(sealed, sealedRegExp);
      assert.equal(sealer.unseal(sealed), plaintext);
    }
  });

  it("derives its keys once, at creation: 2,000 seal/unseal pairs run no key derivation", (t) => {
    // Counted from outside: deriveKey (keys.ts) calls node:crypto's hkdfSync, wrapped here. The
    // wrapper must also reach keys.ts's ESM named import, hence syncBuiltinESMExports() on both ends.
    const hkdf = t.mock.method(crypto, "hkdfSync");
    syncBuiltinESMExports();
    try {
      const sealer = createSealer([secretA, secretB]);
      assert.equal(hkdf.mock.callCount(), 2); // one key per secret
      for (let i = 0; i < 2000; i += 1) assert.equal(sealer.unseal(sealer.seal(`message ${i}`)), `message ${i}`);
      assert.equal(hkdf.mock.callCount(), 2);
    } finally {
      t.mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  it("R12: uses a fresh random IV for every message", () => {
    const sealer = createSealer([secretA]);
    const ivs = new Set<string>();
    const messages = new Set<string>();
    for (let i = 0; i < 1000; i += 1) {
      const sealed = sealer.seal("same plaintext");
      messages.add(sealed);
      ivs.add(sealed.split(".")[2]!);
    }
    assert.equal(ivs.size, 1000);
    assert.equal(messages.size, 1000);
  });

  it("R12: flipping any bit of any character makes the message unreadable (null)", () => {
    const sealer = createSealer([secretA]);
    const sealed = sealer.seal('{"userId":"alice","views":3}', "store-key");
    let tried = 0;
    for (let position = 0; position < sealed.length; position += 1) {
      for (let bit = 0; bit < 7; bit += 1) {
        const flipped = String.fromCharCode(sealed.charCodeAt(position) ^ (1 << bit));
        const tampered = sealed.slice(0, position) + flipped + sealed.slice(position + 1);
        assert.equal(sealer.unseal(tampered, "store-key"), null, `position ${position}, bit ${bit}`);
        tried += 1;
      }
    }
    assert.equal(tried, sealed.length * 7);
  });

  it("R12: flipping any bit of the IV, ciphertext or tag bytes fails authentication (null)", () => {
    const sealer = createSealer([secretA]);
    const sealed = sealer.seal("attack at dawn");
    const [version, id, ...parts] = sealed.split(".");
    for (let partIndex = 0; partIndex < parts.length; partIndex += 1) {
      const bytes = Buffer.from(parts[partIndex]!, "base64url");
      for (let byte = 0; byte < bytes.length; byte += 1) {
        for (let bit = 0; bit < 8; bit += 1) {
          const copy = Buffer.from(bytes);
          copy[byte]! ^= 1 << bit;
          const newParts = parts.map((part, i) => (i === partIndex ? copy.toString("base64url") : part));
          assert.equal(sealer.unseal([version, id, ...newParts].join(".")), null);
        }
      }
    }
  });

  it("R12: a message sealed with another key is unreadable (null)", () => {
    const sealed = createSealer([secretA]).seal("secret data");
    assert.equal(createSealer([secretB]).unseal(sealed), null);
  });

  it("R12: rotation: the first secret seals, every secret unseals", () => {
    const old = createSealer([secretA]);
    const rotated = createSealer([secretB, secretA]);
    const sealedWithOld = old.seal("from before the rotation");
    const sealedWithNew = rotated.seal("after the rotation");
    assert.equal(rotated.unseal(sealedWithOld), "from before the rotation");
    assert.equal(rotated.unseal(sealedWithNew), "after the rotation");
    assert.equal(old.unseal(sealedWithNew), null);
    assert.notEqual(sealedWithOld.split(".")[1], sealedWithNew.split(".")[1], "the key id names the key");
  });

  it("names the key by an id derived from the key, which differs per purpose", () => {
    const files = createSealer([secretA], { purpose: "session-files" });
    const other = createSealer([secretA], { purpose: "oauth-state" });
    const sealed = files.seal("data");
    assert.ok(!sealed.includes(secretA));
    assert.notEqual(sealed.split(".")[1], other.seal("data").split(".")[1]);
    assert.equal(other.unseal(sealed), null);
  });

  it("binds a message to its associated data: another file name or none gives null", () => {
    const sealer = createSealer([secretA]);
    const aliceFile = sealer.seal('{"userId":"alice"}', "store-key-alice");
    assert.equal(sealer.unseal(aliceFile, "store-key-alice"), '{"userId":"alice"}');
    assert.equal(sealer.unseal(aliceFile, "store-key-mallory"), null, "a swapped file is no session");
    assert.equal(sealer.unseal(aliceFile), null);
    assert.equal(sealer.unseal(sealer.seal("no context")), "no context");
    assert.equal(sealer.unseal(sealer.seal("no context"), "store-key-alice"), null);
  });

  it("R12: treats garbage, truncation and other versions as null, never throwing", () => {
    const sealer = createSealer([secretA]);
    const sealed = sealer.seal('{"views":1}');
    const [, id, iv, ciphertext, tag] = sealed.split(".");
    const garbage: unknown[] = [
      "",
      "v1",
      "v1....",
      "null",
      "../../etc/passwd",
      "%00",
      "\r\nSet-Cookie: x=y",
      " " + sealed,
      sealed + " ",
      sealed + "\n",
      sealed + ".",
      sealed + "AA",
      `v2.${id}.${iv}.${ciphertext}.${tag}`,
      `V1.${id}.${iv}.${ciphertext}.${tag}`,
      `v1.${id}.${iv}.${ciphertext}`,
      `v1.${id}.${iv}.${ciphertext}.${tag}.${tag}`,
      `v1.${id}.${iv}=.${ciphertext}.${tag}`,
      `v1.${id}.${iv}.${ciphertext}==.${tag}`,
      `v1.${id}.${iv}.${ciphertext}.${tag!.slice(0, 21)}`,
      `v1.${id}.${iv!.replace(/./g, "A")}.${ciphertext}.${tag}`,
      `v1.AAAAAAAA.${iv}.${ciphertext}.${tag}`,
      Buffer.from(sealed).toString("base64"),
      "v1." + "A".repeat(1_000_000),
      undefined,
      null,
      42,
      { toString: () => sealed },
    ];
    for (const input of garbage) {
      assert.equal(sealer.unseal(input as string), null, String(input).slice(0, 40));
    }
    for (let length = 0; length < sealed.length; length += 1) {
      assert.equal(sealer.unseal(sealed.slice(0, length)), null, `truncated to ${length}`);
    }
    assert.equal(sealer.unseal(sealed, 42 as unknown as string), null);
  });

  it("R12: refuses to seal past maxMessagesPerKey with a 503 whose logged cause says to rotate, and still unseals", () => {
    const sealer = createSealer([secretA], { maxMessagesPerKey: 3 });
    const sealed = [sealer.seal("1"), sealer.seal("2"), sealer.seal("3")];
    const id = sealed[0]!.split(".")[1];
    for (const plaintext of ["4", "5"]) {
      assert.throws(() => sealer.seal(plaintext), (error: unknown) => {
        assert.ok(error instanceof HttpError);
        assert.equal(error.status, 503);
        assert.equal(error.publicMessage, "Cannot save right now. Please try again later.");
        assert.equal((error.cause as Error).message, `key "${id}" must be rotated: it sealed 3 messages, the limit ` +
          "for random IVs (NIST SP 800-38D §8.3); put a new secret first in the list");
        return true;
      });
    }
    assert.deepEqual(sealed.map((message) => sealer.unseal(message)), ["1", "2", "3"]);
    const rotated = createSealer([secretB, secretA], { maxMessagesPerKey: 3 });
    assert.equal(rotated.unseal(rotated.seal("4")), "4");
    assert.equal(rotated.unseal(sealed[2]!), "3");
  });

  it("still unseals a message sealed by an earlier build (known answer: the format is pinned)", () => {
    const secret = "known-answer-secret-0123456789-abcdefghijklmnop";
    const sealer = createSealer([secret], { purpose: "known-answer" });
    const withContext = "v1.sKE4X1LK.QVa7sBSNWkRfcbXE.S60HM2LhX58i6o8.DCSXXvt4MxzlBZqgj_EdUg";
    const withoutContext = "v1.sKE4X1LK.VTqfwZHI_Y7X1vKO.zeZAJGMVpjjX1Zk.PZs-WhcRMnF8x_E03Kzytw";
    assert.equal(sealer.unseal(withContext, "store-key-1"), '{"views":1}');
    assert.equal(sealer.unseal(withoutContext), '{"views":1}');

    // The same message decrypted by hand, spelling out the format: AES-256-GCM, key = HKDF(secret,
    // purpose), AAD = "v1.<keyId>.<associated data>", parts base64url.
    const [, id, iv, ciphertext, tag] = withContext.split(".");
    const decipher = createDecipheriv("aes-256-gcm", deriveKey(secret, "known-answer"), Buffer.from(iv!, "base64url"));
    decipher.setAAD(Buffer.from(`v1.${id}.store-key-1`));
    decipher.setAuthTag(Buffer.from(tag!, "base64url"));
    const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext!, "base64url")), decipher.final()]);
    assert.equal(plaintext.toString("utf8"), '{"views":1}');
  });

  const hint = "; generate one with: " +
    `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`;
  const badOptions: [string, () => unknown, string][] = [
    ["no secrets", () => createSealer([]), 'sealer "secrets" is invalid: must be a non-empty list (the first one seals)'],
    ["a short secret", () => createSealer(["too short"]), `secret "sealer secrets[0]" is invalid: must be at least 32 bytes, got 9 (RFC 2104 §3)${hint}`],
    ["a non-string secret", () => createSealer([secretA, 7 as unknown as string]), `secret "sealer secrets[1]" is invalid: must be a non-empty string${hint}`],
    ["a low-entropy secret", () => createSealer(["x".repeat(44)]), `secret "sealer secrets[0]" is invalid: has fewer than 8 distinct characters, so it is not random${hint}`],
    ["16 random bytes in hex", () => createSealer(["9f86d081884c7d659a2feaa0c55ad015"]), `secret "sealer secrets[0]" is invalid: holds at most 128 bits in 32 characters of hex; 32 bytes of entropy need 64 such characters${hint}`],
    ["an empty purpose", () => createSealer([secretA], { purpose: "" }), 'key "purpose" is invalid: must be a non-empty string (the HKDF "info", RFC 5869 §3.2)'],
    ["maxMessagesPerKey 0", () => createSealer([secretA], { maxMessagesPerKey: 0 }), 'sealer "maxMessagesPerKey" is invalid: must be a whole number from 1 to 2^32 (NIST SP 800-38D §8.3)'],
    ["maxMessagesPerKey 1.5", () => createSealer([secretA], { maxMessagesPerKey: 1.5 }), 'sealer "maxMessagesPerKey" is invalid: must be a whole number from 1 to 2^32 (NIST SP 800-38D §8.3)'],
    ["maxMessagesPerKey 2^32 + 1", () => createSealer([secretA], { maxMessagesPerKey: 2 ** 32 + 1 }), 'sealer "maxMessagesPerKey" is invalid: must be a whole number from 1 to 2^32 (NIST SP 800-38D §8.3)'],
  ];
  for (const [label, create, message] of badOptions) {
    it(`throws a TypeError at creation for ${label}`, () => {
      assert.throws(create, { name: "TypeError", message });
    });
  }

  it("throws a TypeError when asked to seal something other than a string", () => {
    const sealer = createSealer([secretA]);
    assert.throws(() => sealer.seal({ views: 1 } as unknown as string), {
      name: "TypeError",
      message: "seal() takes strings: plaintext and optional associated data",
    });
  });
});
