// Rules for a new password (registration, password change), after NIST SP 800-63B-4 §3.1.1.2 as
// OWASP's Authentication CS cites it: at least 15 characters for a password-only account (8 is the
// floor when there is a second factor), at least 64 accepted, any Unicode including spaces, no
// composition rules ("one digit, one symbol"), length counted in code points after NFKC. A byte cap
// with a clear message instead of silent truncation (bcrypt ignores everything past 72 bytes).
// Returns a message to show the user, or null when the password is acceptable. Bad options: TypeError.

export const maxPasswordBytes = 1024; // generous (NIST asks for ≥ 64 characters) yet bounds hashing work

export interface NewPasswordRules {
  /** Minimum length in characters (code points): 15 by default, 8 to 64 allowed. */
  minLength?: number;
  /** Optional blocklist check (NIST: compare against known-breached and common passwords). */
  isBlocked?: (normalizedPassword: string) => boolean;
}

const defaultMinLength = 15; // SP 800-63B-4: password as the only factor
const nistFloor = 8; // SP 800-63B-4: password used with another factor
const nistMustAccept = 64; // a minimum above this would refuse what NIST says must be allowed

// C0 and C1 control characters (tab, newline, NUL, ...) can't be typed reliably and hide in logs.
const controlCharacterRegExp = /\p{Cc}/u;
// With the u flag a well-formed surrogate pair is one code point, so this matches only lone halves.
const loneSurrogateRegExp = /\p{Cs}/u;

export function checkNewPassword(password: string, rules: NewPasswordRules = {}): string | null {
  const { minLength = defaultMinLength, isBlocked } = rules;
  if (!Number.isInteger(minLength) || minLength < nistFloor || minLength > nistMustAccept) {
    throw new TypeError(
      `password rule "minLength" is invalid: must be a whole number from ${nistFloor} to ${nistMustAccept} (NIST SP 800-63B-4 §3.1.1.2)`,
    );
  }
  if (typeof password !== "string" || password === "") return "Enter a password.";
  // UTF-16 length ≤ UTF-8 length: refuse huge input before paying for normalize().
  const normalized = password.length > maxPasswordBytes ? null : password.normalize("NFKC");
  if (normalized === null || Buffer.byteLength(normalized, "utf8") > maxPasswordBytes) {
    return `Password is too long: the limit is ${maxPasswordBytes} bytes (about ${maxPasswordBytes} Latin letters, fewer in other scripts).`;
  }
  if (controlCharacterRegExp.test(normalized)) {
    return "Password cannot contain control characters such as tabs or line breaks.";
  }
  if (loneSurrogateRegExp.test(normalized)) return "Password contains invalid characters.";
  if ([...normalized].length < minLength) return `Password must be at least ${minLength} characters.`;
  if (isBlocked?.(normalized)) return "This password is too common. Choose another one.";
  return null;
}
