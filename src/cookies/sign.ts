// Signs a cookie value so the server can tell whether a browser altered it: `value.mac` where mac is
// base64(HMAC-SHA256(secret, value)) without "=" padding, exactly the `cookie-signature` format, and
// express-session's "s:" prefix is accepted, so its cookies verify here with its secret (see step 02).
// Spec: HMAC, RFC 2104 (§3 on key length); OWASP CSRF Cheat Sheet on constant-time comparison.
// Pitfall prevented: comparing MACs with === leaks how many leading characters matched; a single
// secret cannot be rotated without logging everyone out. unsign() returns null for anything
// tampered, truncated or malformed (never throws on input).
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";
import { assertSecretLength, emptySecretsError } from "../crypto/secret-strength.ts";

const expressSessionPrefix = "s:";

/**
 * `sign("hello", secret)` → `"hello.<43 base64 characters>"`. A secret shorter than 32 bytes of entropy
 * is refused here too (TypeError); check secrets fully at start-up with assertSecrets (secret-strength.ts).
 */
export function sign(value: string, secret: string): string {
  if (typeof value !== "string") throw new TypeError('signed "value" is invalid: must be a string');
  assertSecretLength(secret); // a short secret is a configuration error, refused on every call
  return `${value}.${computeMac(value, secret)}`;
}

/**
 * The value inside `signed` if its MAC matches one of `secrets`, else null. The first secret is the
 * one sign() uses; older ones stay here until every cookie signed with them has expired (rotation).
 */
export function unsign(signed: string, secrets: readonly string[]): string | null {
  if (!Array.isArray(secrets) || secrets.length === 0) throw emptySecretsError("secrets");
  for (let index = 0; index < secrets.length; index++) assertSecretLength(secrets[index]!, `secrets[${index}]`);
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
