// Reads the Cookie request header into a record of name → value, with the semantics of the `cookie`
// npm package 0.7 (`parse`, used by Express 5), so code written against it ports over.
// Spec: RFC 6265 §4.2.1 / §5.4 (cookie-string = cookie-pair *( ";" SP cookie-pair )).
// Pitfall prevented: a browser sends whatever a sibling site or a script wrote, so the header is
// untrusted input: a malformed `%` escape, a pair without `=`, binary junk or `__proto__` must never
// throw or pollute an object. Bad input gives fewer entries (a pair is skipped or kept raw), never
// an exception. Duplicate names: the first occurrence wins (RFC 6265 §5.4 lists longer paths
// first, so the first is the most specific cookie).

export type ParsedCookies = Record<string, string>;

/**
 * Parses one or several Cookie headers. `req.headers.cookie` (Node joins repeated headers with "; ")
 * and `req.headersDistinct.cookie` (an array) both work; `undefined` gives an empty record.
 * The record has a null prototype: `cookies.__proto__` or `cookies.constructor` is only ever a cookie.
 */
export function parseCookies(header: string | readonly string[] | undefined): ParsedCookies {
  const cookies: ParsedCookies = Object.create(null) as ParsedCookies;
  if (header === undefined) return cookies;
  const headers = typeof header === "string" ? [header] : header;
  for (const line of headers) {
    if (typeof line !== "string") continue; // Untyped callers: ignore, never throw.
    readCookiePairs(line, cookies);
  }
  return cookies;
}

function readCookiePairs(line: string, cookies: ParsedCookies): void {
  let start = 0;
  let equals = -1; // The next "=" at or after `start`, found once and reused: linear on any input.
  while (start < line.length) {
    if (equals < start) equals = line.indexOf("=", start);
    if (equals === -1) return; // No "=" left: no more pairs.
    let end = line.indexOf(";", start);
    if (end === -1) end = line.length;
    // A pair without "=" is skipped, as `cookie` 0.7 does (browsers send a nameless cookie as "value").
    if (equals < end) {
      const name = trimOptionalWhitespace(line.slice(start, equals));
      // An empty name is skipped too (`cookie` 0.7 would store it under ""). First occurrence wins:
      // a later duplicate never overwrites.
      if (name !== "" && !Object.hasOwn(cookies, name)) {
        cookies[name] = decodeValue(unquote(trimOptionalWhitespace(line.slice(equals + 1, end))));
      }
    }
    start = end + 1;
  }
}

// OWS = *( SP / HTAB ) (RFC 9110 §5.6.3). Only these two are trimmed, like `cookie` 0.7: String.trim()
// would also eat characters such as U+00A0 that are part of a (malformed) value.
function trimOptionalWhitespace(text: string): string {
  let first = 0;
  let last = text.length;
  while (first < last && isOptionalWhitespace(text.charCodeAt(first))) first++;
  while (last > first && isOptionalWhitespace(text.charCodeAt(last - 1))) last--;
  return text.slice(first, last);
}

function isOptionalWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

// cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ): the quotes are not part of the value.
// Only a value both starting and ending with DQUOTE is unquoted; a lone `"` stays (`cookie` 0.7
// turns it into "", a quirk not worth porting).
function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1);
  return value;
}

// Values are percent-decoded as `cookie` 0.7 does; a malformed escape ("%E0%A4%A", "100%") keeps the
// raw text instead of throwing URIError.
function decodeValue(value: string): string {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
