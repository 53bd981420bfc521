// Authenticated encryption for data at rest (session files): AES-256-GCM (NIST SP 800-38D) with a
// fresh random 96-bit IV per message. Text format, base64url parts: `v1.<keyId>.<iv>.<ciphertext>.<tag>`.
// Keys come from the secrets through HKDF once, here, never per message. The first secret seals, every
// secret unseals (rotation: put the new secret first, keep the old ones until their files expire).
// Optional associated data binds a message to its context, e.g. a session file to its file name, so
// swapping two users' files makes both unreadable. Random IVs allow about 2^32 messages per key in all
// (SP 800-38D §8.3; R12); enforced is only a per-process guard (each sealer counts its own seals, then
// answers HttpError 503), so rotate keys well before 2^32 in total. `unseal` never throws: anything
// malformed, truncated, tampered, sealed with an unknown key or for other associated data → null.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { HttpError } from "../http/http-error.ts";
import { deriveKey, keyId } from "./keys.ts";
import { assertStrongSecret } from "./secret-strength.ts";

export interface Sealer {
  seal(plaintext: string, associatedData?: string): string;
  unseal(sealed: string, associatedData?: string): string | null;
}

export interface SealerOptions {
  /** HKDF "info": the same secrets give unrelated keys for different purposes. */
  purpose?: string;
  /** Refuse to seal after this many messages by this sealer, i.e. this process (default 2^32). Tests lower it. */
  maxMessagesPerKey?: number;
}

const formatVersion = "v1";
const ivBytes = 12; // 96 bits: GCM's native IV length (SP 800-38D §8.2.2)
const tagBytes = 16; // the full 128-bit tag; shorter tags weaken forgery resistance
const maxRandomIvMessages = 2 ** 32; // SP 800-38D §8.3 for random IVs
// keyId and iv have fixed lengths; the ciphertext may be empty; the tag is 16 bytes (22 characters).
const sealedRegExp = /^v1\.([A-Za-z0-9_-]{8})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{22})$/;

export function createSealer(secrets: readonly string[], options: SealerOptions = {}): Sealer {
  const { purpose = "sealed-data", maxMessagesPerKey = maxRandomIvMessages } = options;
  if (!Array.isArray(secrets) || secrets.length === 0) {
    throw new TypeError(`sealer "secrets" is invalid: must be a non-empty list (the first one seals)`);
  }
  if (!Number.isInteger(maxMessagesPerKey) || maxMessagesPerKey < 1 || maxMessagesPerKey > maxRandomIvMessages) {
    throw new TypeError(
      `sealer "maxMessagesPerKey" is invalid: must be a whole number from 1 to 2^32 (NIST SP 800-38D §8.3)`,
    );
  }
  const keys = secrets.map((secret, index) => {
    assertStrongSecret(secret, `sealer secrets[${index}]`); // names which one, never shows it
    const key = deriveKey(secret, purpose);
    return { id: keyId(key), key };
  });
  const sealingKey = keys[0]!;
  // Per sealer, in memory: create one sealer per process and share it. Not per key: other processes,
  // and earlier runs, that sealed with the same key are not counted.
  let sealedCount = 0;

  return {
    seal(plaintext, associatedData = "") {
      if (typeof plaintext !== "string" || typeof associatedData !== "string") {
        throw new TypeError(`seal() takes strings: plaintext and optional associated data`);
      }
      if (sealedCount >= maxMessagesPerKey) {
        // 503, not 500: the server works, but may not seal more until an operator rotates the key. The
        // cause, logged by the error boundary, says so; the client sees only the public message.
        const cause = new Error(
          `key "${sealingKey.id}" must be rotated: it sealed ${maxMessagesPerKey} messages, the limit for random IVs (NIST SP 800-38D §8.3); put a new secret first in the list`,
        );
        throw new HttpError(503, "Cannot save right now. Please try again later.", { cause });
      }
      sealedCount += 1;
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv("aes-256-gcm", sealingKey.key, iv, { authTagLength: tagBytes });
      cipher.setAAD(additionalData(sealingKey.id, associatedData));
      // UTF-8: a lone surrogate (never produced by JSON.stringify) would come back as U+FFFD.
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      const parts = [iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString("base64url"));
      return [formatVersion, sealingKey.id, ...parts].join(".");
    },

    unseal(sealed, associatedData = "") {
      if (typeof sealed !== "string" || typeof associatedData !== "string") return null;
      const match = sealedRegExp.exec(sealed);
      if (match === null) return null;
      const [, id = "", ivText = "", ciphertextText = "", tagText = ""] = match;
      const iv = decodeCanonical(ivText);
      const ciphertext = decodeCanonical(ciphertextText);
      const tag = decodeCanonical(tagText);
      if (iv === null || ciphertext === null || tag === null) return null;
      // Ids are 48-bit hashes: two keys could share one, so try every key that carries it.
      for (const candidate of keys) {
        if (candidate.id !== id) continue;
        try {
          const decipher = createDecipheriv("aes-256-gcm", candidate.key, iv, { authTagLength: tagBytes });
          decipher.setAAD(additionalData(id, associatedData));
          decipher.setAuthTag(tag);
          const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
          return plaintext.toString("utf8");
        } catch {
          // final() throws when the tag doesn't match: tampered, or another key with the same id.
        }
      }
      return null;
    },
  };
}

// The header is authenticated too, so the version and key id can't be swapped either. Its length is
// fixed, so header + caller's data is an unambiguous encoding.
function additionalData(id: string, associatedData: string): Buffer {
  return Buffer.from(`${formatVersion}.${id}.${associatedData}`, "utf8");
}

// Buffer.from(x, "base64url") skips invalid characters and ignores trailing bits; accept only the one
// canonical spelling of each byte string, so every change to the text is a change to the bytes.
function decodeCanonical(text: string): Buffer | null {
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : null;
}
