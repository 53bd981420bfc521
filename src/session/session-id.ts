// Session IDs: 32 bytes (256 bits) from the operating system's CSPRNG, base64url, 43 characters (R01).
// OWASP asks for at least 64 bits of entropy and ASVS for 128; 256 satisfies every source, and the ID
// carries no user data. Pitfall prevented: a guessable or client-chosen ID (session fixation, OWASP
// Session Management CS "Permissive and Strict"): the server only adopts IDs it generated.
// isWellFormedSessionId() answers false for anything else (wrong length, path characters, "../").
// storeKeyOf() is what stores see instead of the ID: its SHA-256, useless as a cookie (R02).
// createSessionIdSource() makes the same IDs for the session manager, from pooled random bytes.
import { Buffer } from "node:buffer";
import * as crypto from "node:crypto";
import { randomToken } from "../crypto/random.ts";

const sessionIdBytes = 32; // 256 bits (see the security bar: R01)

// 32 bytes in base64url without padding (RFC 4648 §5): 43 characters of [A-Za-z0-9_-]. The last one
// carries 4 bits and 2 zero bits, so only 16 characters can end a canonical ID.
const sessionIdRegExp = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** A fresh, unguessable session ID: 43 base64url characters. */
export function generateSessionId(): string {
  return randomToken(sessionIdBytes);
}

const idsPerRefill = 64; // 2 KiB of random bytes per call to the CSPRNG

/**
 * generateSessionId() for a server that makes many: the bytes come from the same CSPRNG, drawn 64 IDs
 * at a time, because each call costs ~3 µs whatever its size (as for randomUUID(), which Node feeds
 * from a cache the same way). Each ID's bytes are handed out once and zeroed at once; the buffer is
 * private to the returned function (Buffer.alloc: never Node's shared pool).
 */
export function createSessionIdSource(): () => string {
  const pool = Buffer.alloc(sessionIdBytes * idsPerRefill);
  let next = pool.length;
  return () => {
    if (next === pool.length) {
      crypto.randomFillSync(pool);
      next = 0;
    }
    const end = next + sessionIdBytes;
    const id = pool.toString("base64url", next, end);
    pool.fill(0, next, end);
    next = end;
    return id;
  };
}

/** True only for strings shaped like generateSessionId()'s output. Never throws. */
export function isWellFormedSessionId(value: unknown): value is string {
  return typeof value === "string" && value.length === 43 && sessionIdRegExp.test(value);
}

/**
 * The key a store files a session under: SHA-256 of the ID, base64url. A store dump can't be replayed
 * as cookies (R02). Unkeyed on purpose: the ID has 256 random bits, so its hash can't be inverted or
 * guessed, and no secret is involved whose rotation would orphan every stored session.
 */
export function storeKeyOf(id: string): string {
  return sha256Base64url(id);
}

/** SHA-256 as base64url. crypto.hash() (Node ≥ 20.12) is several times cheaper than a createHash() object. */
export const sha256Base64url: (text: string) => string = typeof crypto.hash === "function"
  ? (text) => crypto.hash("sha256", text, "base64url")
  : (text) => crypto.createHash("sha256").update(text).digest("base64url");
