// PKCE (RFC 7636): the client keeps a random `code_verifier` and sends only its SHA-256 hash, the
// `code_challenge`, with the authorization request; at the token endpoint it proves it started the
// flow by sending the verifier. A stolen authorization code is useless without it (RFC 9700 §2.1.1).
// Verifier: 32 random bytes, base64url = 43 characters (RFC 7636 §4.1). Method: S256 only; `plain`
// sends the secret itself and is refused (RFC 7636 §4.2, RFC 9700 §2.1.1).
// Bad input (a malformed verifier, a wrong-length challenge) gives false, never an exception.
import { createHash, timingSafeEqual } from "node:crypto";
import { randomToken } from "../crypto/random.ts";

// code-verifier = 43*128unreserved ; unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 7636 §4.1)
const codeVerifierRegExp = /^[A-Za-z0-9\-._~]{43,128}$/;
// An S256 challenge is base64url(SHA-256), 32 bytes → exactly 43 characters, no padding (§4.2).
const s256ChallengeRegExp = /^[A-Za-z0-9\-_]{43}$/;

/** A fresh verifier: 32 bytes from the CSPRNG as base64url (43 characters, 256 bits). */
export function createCodeVerifier(): string {
  return randomToken(32);
}

/** code_challenge = BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 §4.2). */
export function codeChallengeS256(codeVerifier: string): string {
  if (!isWellFormedCodeVerifier(codeVerifier)) {
    throw new TypeError(
      'PKCE "code_verifier" is invalid: must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 §4.1)',
    );
  }
  return createHash("sha256").update(codeVerifier, "ascii").digest("base64url");
}

export function isWellFormedCodeVerifier(value: unknown): value is string {
  return typeof value === "string" && codeVerifierRegExp.test(value);
}

export function isWellFormedS256Challenge(value: unknown): value is string {
  return typeof value === "string" && s256ChallengeRegExp.test(value);
}

/**
 * The authorization server's check (RFC 7636 §4.6): does `codeVerifier` hash to `codeChallenge`?
 * Constant-time comparison; anything malformed is simply false.
 */
export function verifyCodeChallengeS256(codeVerifier: unknown, codeChallenge: unknown): boolean {
  if (!isWellFormedCodeVerifier(codeVerifier) || !isWellFormedS256Challenge(codeChallenge)) return false;
  const computed = Buffer.from(codeChallengeS256(codeVerifier), "ascii");
  return timingSafeEqual(computed, Buffer.from(codeChallenge, "ascii"));
}
