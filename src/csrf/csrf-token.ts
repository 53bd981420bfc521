// Synchronizer tokens against cross-site request forgery (OWASP CSRF CS "Synchronizer Token Pattern";
// R19): one random token per session, kept in the session and sent back in every HTML form as a hidden
// field (never in the URL or a cookie), compared on every POST.
// Pitfall prevented: comparing with `===` stops at the first differing character, so response time
// tells an attacker how much of a guess is right; timingSafeEqual always looks at every byte.
// A missing, non-string or wrong-length token simply doesn't match: false, never an exception.
import { timingSafeEqual } from "node:crypto";
import { randomToken } from "../crypto/random.ts";

/** 32 random bytes, base64url (43 characters). Create one per session; replace it at login. */
export function createCsrfToken(): string {
  return randomToken(32);
}

/** True only when `given` (from the form) equals `expected` (from the session), in constant time. */
export function csrfTokensMatch(expected: string | undefined, given: unknown): boolean {
  if (typeof expected !== "string" || expected === "" || typeof given !== "string") return false;
  const expectedBytes = Buffer.from(expected, "utf8");
  const givenBytes = Buffer.from(given, "utf8");
  // timingSafeEqual throws on unequal lengths; a token's length is no secret, so check it first.
  if (expectedBytes.length !== givenBytes.length) return false;
  return timingSafeEqual(expectedBytes, givenBytes);
}
