// Unguessable tokens: session IDs, CSRF tokens, OAuth `state`, generated secrets.
// Bytes come from the operating system's CSPRNG (`crypto.randomBytes`), never `Math.random()`, and
// carry no user data (OWASP Session Management CS "Session ID Entropy/Content"; R01).
// Encoded as base64url without padding (RFC 4648 §5), so a token is safe in cookies, URLs and
// file names as is. A byte count below 16 (128 bits, RFC 6749 §10.10) is a programmer error: TypeError.
import { randomBytes } from "node:crypto";

const minTokenBytes = 16; // 128 bits: the least any of our sources accepts for a secret token
const maxTokenBytes = 1024; // far beyond any need; catches a unit mix-up (bits for bytes, KiB for bytes)

/** `bytes` random bytes as base64url: 32 bytes (the default, 256 bits) give 43 characters. */
export function randomToken(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < minTokenBytes || bytes > maxTokenBytes) {
    throw new TypeError(
      `randomToken "bytes" is invalid: must be a whole number from ${minTokenBytes} to ${maxTokenBytes} (at least 128 bits, RFC 6749 §10.10)`,
    );
  }
  return randomBytes(bytes).toString("base64url");
}
