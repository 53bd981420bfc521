// Signs a cookie value so the server can tell whether a browser altered it: `value.mac` where mac is
// base64(HMAC-SHA256(secret, value)) without "=" padding, exactly the `cookie-signature` format, and
// express-session's "s:" prefix is accepted, so sessions survive a migration from express-session.
// Spec: HMAC, RFC 2104 (§3 on key length); OWASP CSRF Cheat Sheet on constant-time comparison.
// Pitfall prevented: comparing MACs with === leaks how many leading characters matched; a single
// secret cannot be rotated without logging everyone out. unsign() returns null for anything
// tampered, truncated or malformed (never throws on input); a weak secret is a TypeError at start-up.
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

const expressSessionPrefix = "s:";
// RFC 2104 §3: a key shorter than the hash output (32 bytes for SHA-256) weakens the HMAC.
const minSecretBytes = 32;
// Random base64url or hex text of 32 bytes has far more distinct characters than this.
const minDistinctCharacters = 8;
// Placeholders copied from documentation into production (express-session's README has "keyboard cat").
const placeholderWords = ["keyboardcat", "changeme", "changethis", "replaceme", "yoursecret",
  "mysecret", "supersecret", "secretkey", "password"];
const generateHint = "generate one with: " +
  `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`;

/** `sign("hello", secret)` → `"hello.<43 base64 characters>"`. Check the secret with assertSecrets. */
export function sign(value: string, secret: string): string {
  if (typeof value !== "string") throw new TypeError('signed "value" is invalid: must be a string');
  if (typeof secret !== "string" || secret === "") {
    throw new TypeError('secret "secret" is invalid: must be a non-empty string');
  }
  return `${value}.${computeMac(value, secret)}`;
}

/**
 * The value inside `signed` if its MAC matches one of `secrets`, else null. The first secret is the
 * one sign() uses; older ones stay here until every cookie signed with them has expired (rotation).
 */
export function unsign(signed: string, secrets: readonly string[]): string | null {
  if (!Array.isArray(secrets) || secrets.length === 0) throw emptySecretsError("secrets");
  if (typeof signed !== "string") return null;
  if (signed.startsWith(expressSessionPrefix)) {
    // express-session stores "s:" + sign(id, secret); our own values never start with it unless the
    // signed value itself did, hence the second try.
    return verify(signed.slice(expressSessionPrefix.length), secrets) ?? verify(signed, secrets);
  }
  return verify(signed, secrets);
}

function verify(signed: string, secrets: readonly string[]): string | null {
  const dot = signed.lastIndexOf(".");
  if (dot === -1) return null;
  const value = signed.slice(0, dot);
  const givenMac = Buffer.from(signed.slice(dot + 1), "utf8");
  for (const secret of secrets) {
    const expectedMac = Buffer.from(computeMac(value, secret), "utf8");
    // timingSafeEqual throws on unequal lengths, so check first; the length (43) is public anyway.
    if (givenMac.length === expectedMac.length && timingSafeEqual(givenMac, expectedMac)) return value;
  }
  return null;
}

// base64 (not base64url) with the "=" padding stripped: the cookie-signature wire format.
function computeMac(value: string, secret: string): string {
  return createHmac("sha256", secret).update(value).digest("base64").replace(/=+$/, "");
}

/** Throws a TypeError, naming the setting but never showing the secret, unless it looks random. */
export function assertStrongSecret(secret: string, name = "secret"): void {
  const fail = (rule: string) => new TypeError(`secret "${name}" is invalid: ${rule}`);
  if (typeof secret !== "string" || secret === "") {
    throw fail(`must be a non-empty string; ${generateHint}`);
  }
  const bytes = Buffer.byteLength(secret, "utf8");
  if (bytes < minSecretBytes) {
    throw fail(`must be at least ${minSecretBytes} bytes, got ${bytes} (RFC 2104 §3); ` +
      generateHint);
  }
  if (new Set(secret).size < minDistinctCharacters) {
    throw fail(`has fewer than ${minDistinctCharacters} distinct characters, so it is not ` +
      `random; ${generateHint}`);
  }
  if (repeatsShortPattern(secret)) {
    throw fail(`repeats a shorter pattern, so it is not random; ${generateHint}`);
  }
  const letters = secret.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (placeholderWords.some((word) => letters.includes(word))) {
    throw fail(`contains a well-known placeholder word, so it is guessable; ${generateHint}`);
  }
}

/** Checks a rotation list at start-up: at least one secret, each strong ("name[0]" in messages). */
export function assertSecrets(secrets: readonly string[], name = "secrets"): void {
  if (!Array.isArray(secrets) || secrets.length === 0) throw emptySecretsError(name);
  secrets.forEach((secret, index) => assertStrongSecret(secret, `${name}[${index}]`));
}

function emptySecretsError(name: string): TypeError {
  return new TypeError(`secrets "${name}" is invalid: must list at least one secret (the first signs)`);
}

// True when the text is a block written at least twice ("abcdefgh" * 4): text[i] === text[i + period].
function repeatsShortPattern(text: string): boolean {
  for (let period = 1; period <= text.length / 2; period++) {
    if (text.slice(period) === text.slice(0, text.length - period)) return true;
  }
  return false;
}
