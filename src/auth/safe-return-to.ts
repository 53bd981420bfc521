// Where to send the user after login: only a path on this site, never somewhere else (R21).
// Follows RFC 9700 §4.11 (open redirectors) and RFC 3986 §4.2: "//evil.example" is a network-path
// reference, so the browser leaves for evil.example. Browsers also read "/\evil.example" as "//…" and
// drop tabs and newlines from URLs ("/\t/evil.example"), so both are refused outright.
// Pitfall prevented: a `startsWith("/")` check alone lets "//evil.example" and "/.//evil.example"
// (which the URL parser turns into "//evil.example") through.
// Returns the path to redirect to, normalized by the WHATWG URL parser, or `fallback` for anything else.

const maxReturnToLength = 2048; // a URL longer than this is no bookmark; refusing it is cheap

// RFC 3986 §2: a request target is printable US-ASCII; everything else arrives percent-encoded.
// Space, backslash and controls are refused (browsers strip or reinterpret them).
const pathCharactersRegExp = /^[\x21-\x5B\x5D-\x7E]+$/;

// A fixed, unresolvable base: only the path, query and fragment of the result are ever used.
const placeholderOrigin = "http://return-to.invalid";

export function safeReturnTo(value: unknown, fallback = "/"): string {
  if (!isLocalPath(fallback)) {
    throw new TypeError(`safeReturnTo "fallback" is invalid: must be a path starting with one "/" (RFC 9700 §4.11)`);
  }
  if (typeof value !== "string" || value.length > maxReturnToLength) return fallback;
  if (!pathCharactersRegExp.test(value) || !isLocalPath(value)) return fallback;
  let url: URL;
  try {
    url = new URL(value, placeholderOrigin);
  } catch {
    return fallback;
  }
  // Defence in depth: the checks above already leave only same-origin paths, so this never fires
  // unless one of them is weakened (no test can make it fire on its own).
  if (url.origin !== placeholderOrigin) return fallback;
  const path = url.pathname + url.search + url.hash;
  // Dot segments can collapse into a network-path reference: "/.//evil" becomes "//evil".
  return isLocalPath(path) ? path : fallback;
}

// "/x" or "/", but not "//x" (another host) and not "/\x" (browsers treat "\" as "/").
function isLocalPath(value: string): boolean {
  return value.startsWith("/") && value[1] !== "/" && value[1] !== "\\";
}
