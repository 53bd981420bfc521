// Key derivation. `deriveKey`: HKDF-SHA256 (RFC 5869) turns one high-entropy secret into independent
// 32-byte keys, one per purpose ("session-files", "csrf", ...), so a key leaked from one use says
// nothing about another. Derive once at start-up, never per message: session-file-store (the ArcGIS
// tutorial's store) runs a 37 ms scrypt on every read and write, about 9 requests/s in our benchmark.
// `deriveKeyFromPassphrase`: scrypt (RFC 7914), slow on purpose, for secrets a human chose.
// `scryptAsync` is shared with password.ts: the thread-pool `crypto.scrypt` (the loop keeps serving),
// with `maxmem` computed, and its synchronous throw on bad parameters turned into a rejected promise.
// A short secret or an invalid parameter is a programmer error: TypeError (rejection when async).
import { createHmac, hkdfSync, scrypt } from "node:crypto";
import { assertStrongSecret } from "./secret-strength.ts";

export const keyBytes = 32; // AES-256 and HMAC-SHA256 keys
const minSaltBytes = 16; // OWASP Password Storage CS; RFC 7914 leaves it to us

/** HKDF-SHA256(ikm = secret, salt = none, info = purpose) → 32 bytes (RFC 5869 §2). */
export function deriveKey(secret: string, purpose: string): Buffer {
  assertStrongSecret(secret, "secret");
  if (typeof purpose !== "string" || purpose === "") {
    throw new TypeError(`key "purpose" is invalid: must be a non-empty string (the HKDF "info", RFC 5869 §3.2)`);
  }
  // No salt: RFC 5869 §3.1 allows it when the input is already uniformly random (we demand that).
  return Buffer.from(hkdfSync("sha256", secret, Buffer.alloc(0), purpose, keyBytes));
}

/** A short public name for a key (8 base64url characters): says which key sealed, reveals nothing. */
export function keyId(key: Buffer): string {
  return createHmac("sha256", key).update("key id").digest().subarray(0, 6).toString("base64url");
}

/** scrypt cost: N = 2^ln (the PHC string's name for it), block size r, parallelism p. */
export interface ScryptParams {
  ln: number;
  r: number;
  p: number;
}

// OWASP Password Storage CS: N=2^17 (128 MiB), r=8, p=1. About 0.3-0.5 s per hash on a laptop core.
export const defaultScryptParams: Readonly<ScryptParams> = Object.freeze({ ln: 17, r: 8, p: 1 });

const maxScryptMemoryBytes = 1024 ** 3; // 1 GiB: a corrupt or hostile stored string can't ask for more
const mebibyte = 1024 * 1024;

/** Throws a TypeError unless the parameters are whole numbers in a sane range. */
export function assertScryptParams(params: ScryptParams): void {
  const { ln, r, p } = (params ?? {}) as Partial<ScryptParams>;
  const inRange = (value: unknown, max: number): value is number =>
    Number.isInteger(value) && (value as number) >= 1 && (value as number) <= max;
  if (!inRange(ln, 20) || !inRange(r, 32) || !inRange(p, 16) || 128 * r * 2 ** ln > maxScryptMemoryBytes) {
    throw new TypeError(
      `scrypt parameters are invalid: need whole numbers ln 1-20, r 1-32, p 1-16 and at most 1 GiB of memory (RFC 7914 §2)`,
    );
  }
}

/** The `maxmem` Node needs: 128·r·(N+2) for V plus 128·r·p for B (OpenSSL EVP_PBE_scrypt), plus 1 MiB. */
export function scryptMaxmemBytes(params: ScryptParams): number {
  const required = 128 * params.r * (2 ** params.ln + 2) + 128 * params.r * params.p;
  // Node's default maxmem is 32 MiB, which refuses N=2^17, r=8 (it needs 134,220,800 bytes).
  return Math.ceil(required / mebibyte) * mebibyte + mebibyte;
}

/** Async scrypt on libuv's thread pool. Never throws: bad parameters give a rejected promise. */
export function scryptAsync(password: string | Buffer, salt: Buffer, outputBytes: number, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    try {
      assertScryptParams(params);
      const options = { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: scryptMaxmemBytes(params) };
      scrypt(password, salt, outputBytes, options, (error, derived) => (error ? reject(error) : resolve(derived)));
    } catch (error) {
      reject(error); // crypto.scrypt throws synchronously (ERR_CRYPTO_INVALID_SCRYPT_PARAMS) on bad parameters
    }
  });
}

/** scrypt(NFKC(passphrase), salt) → 32 bytes. Store the salt (≥ 16 random bytes) beside your config. */
export async function deriveKeyFromPassphrase(
  passphrase: string,
  salt: Buffer | string,
  params: ScryptParams = defaultScryptParams,
): Promise<Buffer> {
  if (typeof passphrase !== "string" || passphrase === "") {
    throw new TypeError(`passphrase is invalid: must be a non-empty string`);
  }
  const saltBytes = typeof salt === "string" ? Buffer.from(salt, "utf8") : salt;
  if (!Buffer.isBuffer(saltBytes) || saltBytes.length < minSaltBytes) {
    throw new TypeError(`passphrase salt is invalid: must be at least ${minSaltBytes} bytes (generate one with randomToken())`);
  }
  return scryptAsync(passphrase.normalize("NFKC"), saltBytes, keyBytes, params);
}
