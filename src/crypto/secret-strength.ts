// Checks, once at start-up, that a secret is strong enough to key an HMAC, a cipher or a file-name
// hash: at least 32 bytes (RFC 2104 §3: shorter than the hash output weakens the HMAC), and not
// obviously guessable (few distinct characters, a repeated block, a placeholder word copied from a
// README, such as express-session's "keyboard cat"). Every module that takes a secret calls this.
// A weak secret is a configuration error: a TypeError naming the setting, never showing the secret.
import { Buffer } from "node:buffer";

// RFC 2104 §3: a key shorter than the hash output (32 bytes for SHA-256) weakens the HMAC.
export const minSecretBytes = 32;
// Random base64url or hex text of 32 bytes has far more distinct characters than this.
const minDistinctCharacters = 8;
// Placeholders copied from documentation into production (express-session's README has "keyboard cat").
const placeholderWords = ["keyboardcat", "changeme", "changethis", "replaceme", "yoursecret",
  "mysecret", "supersecret", "secretkey", "password"];
const generateHint = "generate one with: " +
  `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`;

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

export function emptySecretsError(name: string): TypeError {
  return new TypeError(`secrets "${name}" is invalid: must list at least one secret (the first signs)`);
}

// True when the text is a block written at least twice ("abcdefgh" * 4): text[i] === text[i + period].
function repeatsShortPattern(text: string): boolean {
  for (let period = 1; period <= text.length / 2; period++) {
    if (text.slice(period) === text.slice(0, text.length - period)) return true;
  }
  return false;
}
