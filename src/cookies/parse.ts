// Reads the Cookie request header into a record of name → value, with the semantics of the `cookie`
// npm package 0.7 (`parse`, used by Express 5), so code written against it ports over; readCookie()
// gives one value with the same semantics without building the record (a session needs one name).
// Spec: RFC 6265 §4.2.1 / §5.4 (cookie-string = cookie-pair *( ";" SP cookie-pair )).
// Pitfall prevented: a browser sends whatever a sibling site or a script wrote, so the header is
// untrusted input: a malformed `%` escape, a pair without `=`, binary junk or `__proto__` must never
// throw or pollute an object. Bad input gives fewer entries (a pair is skipped or kept raw), never
// an exception. Duplicate names: the first occurrence wins (RFC 6265 §5.4 lists longer paths
// first, so the first is the most specific cookie).

export type ParsedCookies = Record<string, string>;

// One Cookie header, or several: `req.headers.cookie` (Node joins repeated headers with "; ") or
// `req.headersDistinct.cookie` (an array).
export type CookieHeader = string | readonly string[] | undefined;

/**
 * Parses one or several Cookie headers; `undefined` gives an empty record. The record has a null
 * prototype: `cookies.__proto__` or `cookies.constructor` is only ever a cookie.
 */
export function parseCookies(header: CookieHeader): ParsedCookies {
  const cookies: ParsedCookies = Object.create(null) as ParsedCookies;
  forEachHeaderLine(header, (line) => {
    forEachPair(line, (name, valueStart, valueEnd) => {
      // First occurrence wins: a later duplicate never overwrites.
      if (!Object.hasOwn(cookies, name)) cookies[name] = readValue(line, valueStart, valueEnd);
      return false;
    });
    return false;
  });
  return cookies;
}

/**
 * The value of the cookie `name`: exactly `parseCookies(header)[name]` (first occurrence, unquoted,
 * decoded), without building the record or decoding any other value. `undefined` when absent.
 */
export function readCookie(header: CookieHeader, name: string): string | undefined {
  let value: string | undefined;
  forEachHeaderLine(header, (line) => {
    // A cheap pre-check: most requests carry no cookie of this name at all.
    if (!line.includes(name)) return false;
    return forEachPair(line, (pairName, valueStart, valueEnd) => {
      if (pairName !== name) return false;
      value = readValue(line, valueStart, valueEnd);
      return true;
    });
  });
  return value;
}

// Calls visit(line) for each header line in order until it returns true (found what it looked for).
function forEachHeaderLine(header: CookieHeader, visit: (line: string) => boolean): void {
  if (typeof header === "string") {
    visit(header);
    return;
  }
  if (!Array.isArray(header)) return; // undefined, or (from untyped callers) null, a number...: no cookies
  for (const line of header) {
    if (typeof line !== "string") continue; // Untyped callers: ignore, never throw.
    if (visit(line)) return;
  }
}

// Calls visit(name, valueStart, valueEnd) for each "name=value" pair of one line, in order, until it
// returns true; returns whether one did. Names are trimmed; the value is line[valueStart, valueEnd)
// as sent (readValue() trims, unquotes and decodes it).
function forEachPair(line: string, visit: (name: string, valueStart: number, valueEnd: number) => boolean): boolean {
  let start = 0;
  let equals = -1; // The next "=" at or after `start`, found once and reused: linear on any input.
  while (start < line.length) {
    if (equals < start) equals = line.indexOf("=", start);
    if (equals === -1) return false; // No "=" left: no more pairs.
    let end = line.indexOf(";", start);
    if (end === -1) end = line.length;
    // A pair without "=" is skipped, as `cookie` 0.7 does (browsers send a nameless cookie as "value").
    if (equals < end) {
      const name = trimOptionalWhitespace(line.slice(start, equals));
      // An empty name is skipped too (`cookie` 0.7 would store it under "").
      if (name !== "" && visit(name, equals + 1, end)) return true;
    }
    start = end + 1;
  }
  return false;
}

function readValue(line: string, start: number, end: number): string {
  return decodeValue(unquote(trimOptionalWhitespace(line.slice(start, end))));
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
