// Checks, once at start-up, that a secret is strong enough to key an HMAC, a cipher or a file-name
// hash: at least 32 bytes (RFC 2104 §3: shorter than the hash output weakens the HMAC) and, judged by
// the characters it uses, room for 256 bits of entropy (64 hex digits, 43 base64 characters: 32
// random bytes either way; text beyond ASCII counts per character, never more than printable ASCII);
// no control characters (a line break means two secrets pasted into one); and not obviously guessable
// (few distinct characters, a repeated block, a placeholder word copied from a README, such as
// express-session's "keyboard cat", also when spelt with accents or full-width letters). Every module
// that takes a secret calls this; sign()/unsign() repeat the cheap checks on every call.
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

// 32 random bytes: what a secret must be able to hold, judged by the characters it is written with.
const minSecretBits = 8 * minSecretBytes;
// Alphabets a secret is commonly written in, smallest first: name, characters, bits per character.
const alphabets: ReadonlyArray<readonly [string, RegExp, number]> = [
  ["decimal digits", /^[0-9]+$/, Math.log2(10)],
  ["hex", /^[0-9a-fA-F]+$/, Math.log2(16)],
  ["base64", /^[A-Za-z0-9+/=_-]+$/, Math.log2(64)],
  ["printable ASCII", /^[\x20-\x7e]+$/, Math.log2(95)],
];
// Beyond ASCII a character may take 2–4 bytes, but a person picks it from far fewer than 2^16 likely
// ones ("àáâ…", a row of emoji), so it counts at most as much as a printable ASCII character.
const beyondAsciiBitsPerCharacter = Math.log2(95);
// C0 and C1 controls, DEL included: a tab or line break is a paste accident or two secrets in one.
const controlCharacterRegExp = /\p{Cc}/u;

/**
 * The cheap part of assertStrongSecret(), fast enough for every call of sign()/unsign(): a non-empty
 * string of at least 32 bytes, without control characters, whose alphabet leaves room for 256 bits
 * (so 32 hex digits, 128 bits, are refused). Text beyond ASCII is judged by its code points, each
 * worth at most log2(95) bits, like printable ASCII: 39 of them at least.
 */
export function assertSecretLength(secret: string, name = "secret"): void {
  if (typeof secret !== "string" || secret === "") {
    throw invalidSecret(name, `must be a non-empty string; ${generateHint}`);
  }
  // UTF-8 has at least one byte per UTF-16 unit, so only a short string needs counting.
  const bytes = secret.length >= minSecretBytes ? minSecretBytes : Buffer.byteLength(secret, "utf8");
  if (bytes < minSecretBytes) {
    throw invalidSecret(name, `must be at least ${minSecretBytes} bytes, got ${bytes} (RFC 2104 §3); ${generateHint}`);
  }
  for (const [alphabetName, characters, bitsPerCharacter] of alphabets) {
    if (characters.test(secret)) return assertRoom(name, secret.length, alphabetName, bitsPerCharacter);
  }
  // Only here, off the usual path: every alphabet above already leaves control characters out.
  if (controlCharacterRegExp.test(secret)) {
    throw invalidSecret(name, "must not contain control characters such as a line break or a tab: it is one " +
      `secret; to rotate, list the secrets in the setting as "new,old" (e.g. SESSION_SECRET="new,old"); ${generateHint}`);
  }
  // Not ASCII: count code points (an emoji is one, though two UTF-16 units and four bytes).
  let codePoints = 0;
  for (const _ of secret) codePoints += 1;
  assertRoom(name, codePoints, "text beyond ASCII (counted like printable ASCII)", beyondAsciiBitsPerCharacter);
}

function assertRoom(name: string, characterCount: number, alphabetName: string, bitsPerCharacter: number): void {
  const maxBits = Math.floor(characterCount * bitsPerCharacter);
  if (maxBits >= minSecretBits) return;
  throw invalidSecret(name, `holds at most ${maxBits} bits in ${characterCount} characters of ${alphabetName}; ` +
    `32 bytes of entropy need ${Math.ceil(minSecretBits / bitsPerCharacter)} such characters; ${generateHint}`);
}

function invalidSecret(name: string, rule: string): TypeError {
  return new TypeError(`secret "${name}" is invalid: ${rule}`);
}

/** Throws a TypeError, naming the setting but never showing the secret, unless it looks random. */
export function assertStrongSecret(secret: string, name = "secret"): void {
  assertSecretLength(secret, name);
  const fail = (rule: string) => new TypeError(`secret "${name}" is invalid: ${rule}`);
  // Judge the letters a reader sees: "chängeme" is "changeme", "ｃｈａｎｇｅｍｅ" too (NFKD, then
  // without the combining marks it split off), and "àáâ…" is a row of a's.
  const plain = secret.normalize("NFKD").replace(/\p{M}/gu, "");
  if (new Set(plain).size < minDistinctCharacters) {
    throw fail(`has fewer than ${minDistinctCharacters} distinct characters, so it is not ` +
      `random; ${generateHint}`);
  }
  if (repeatsShortPattern(plain)) {
    throw fail(`repeats a shorter pattern, so it is not random; ${generateHint}`);
  }
  const letters = plain.toLowerCase().replace(/[^a-z0-9]/g, "");
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
