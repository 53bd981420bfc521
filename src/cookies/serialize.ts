// Builds one Set-Cookie header value, with the options and output of the `cookie` npm package 0.7
// (`serialize`, used by Express 5), but stricter: only RFC 6265 / 6265bis-grammar cookies come out.
// Pitfall prevented: a value or attribute holding ";" or CR LF ("example.com; Path=/",
// "x\r\nSet-Cookie: admin=1") would inject attributes or whole headers; a cookie the browser
// silently drops (__Host- without Secure, SameSite=None without Secure, over 4096 bytes) would look
// like a session bug. Bad input is a programmer error: it throws a TypeError naming the option and
// the rule, never echoing the value. clearCookie() builds the matching deletion.

export interface CookieOptions {
  /** Lifetime in seconds: a whole number from 0 (delete now) to 34560000 (400 days). */
  maxAge?: number;
  /** Absolute expiry, at most 400 days after `now()`; sent as an IMF-fixdate. */
  expires?: Date;
  domain?: string;
  path?: string;
  httpOnly?: boolean;
  secure?: boolean;
  /** Case-insensitive, as in `cookie` 0.7; `true` means "Strict", `false` omits the attribute. */
  sameSite?: "Strict" | "Lax" | "None" | "strict" | "lax" | "none" | boolean;
  partitioned?: boolean;
  priority?: "Low" | "Medium" | "High" | "low" | "medium" | "high";
  /** Turns the value into cookie-octets; default `encodeURIComponent` (what parseCookies decodes). */
  encode?: (value: string) => string;
  /** Clock for the 400-day check of `expires` (milliseconds since the epoch); default Date.now. */
  now?: () => number;
}

// RFC 6265bis "Cookie Lifetime Limits": browsers cap every lifetime at 400 days.
const maxLifetimeSeconds = 400 * 24 * 60 * 60; // 34560000
// RFC 6265 §6.1: browsers keep at least 4096 bytes of name + value; Chrome drops longer cookies.
const maxNameAndValueBytes = 4096;

// cookie-name = token (RFC 6265 §4.1.1; token = 1*tchar, RFC 9110 §5.6.2)
// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
//       / DIGIT / ALPHA
const cookieNameRegExp = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE )                 (RFC 6265 §4.1.1)
// cookie-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
//   ; US-ASCII characters excluding CTLs, whitespace, DQUOTE, comma, semicolon and backslash
const cookieValueRegExp =
  /^(?:[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*|"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*")$/;

// domain-value = <subdomain>   ; RFC 1034 §3.5 as enhanced by RFC 1123 §2.1   (RFC 6265 §4.1.1)
// <subdomain>  = <label> | <subdomain> "." <label>
// <label>      = <let-dig> [ [ <ldh-str> ] <let-dig> ]   ; 63 characters or fewer
// A leading "." is accepted as in `cookie` 0.7: user agents ignore it (RFC 6265 §5.2.3).
const domainValueRegExp =
  /^\.?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const maxDomainLength = 253; // RFC 1034 §3.1: 255 octets on the wire, 253 characters as text.

// path-value = <any CHAR except CTLs or ";">                                     (RFC 6265 §4.1.1)
// Stricter than the grammar: it must start with "/" (RFC 6265 §5.2.4: otherwise the browser silently
// uses the default path), and spaces are refused (a request path never holds a raw space).
const pathValueRegExp = /^\/[\x21-\x3A\x3C-\x7E]*$/;
const maxAttributeValueBytes = 1024; // RFC 6265bis: longer attribute values are ignored.

// IMF-fixdate = day-name "," SP day SP month SP year SP time-of-day SP "GMT"     (RFC 9110 §5.6.7)
const imfFixdateRegExp =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

const sameSiteValues = { strict: "Strict", lax: "Lax", none: "None" } as const;
const priorityValues = { low: "Low", medium: "Medium", high: "High" } as const;

/** `serializeCookie("sid", "abc", { httpOnly: true, path: "/" })` → `"sid=abc; Path=/; HttpOnly"`. */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (typeof name !== "string" || !cookieNameRegExp.test(name)) {
    throw invalid("name", "must be a token: letters, digits and !#$%&'*+-.^_`|~ (RFC 6265 §4.1.1)");
  }
  const encode = options.encode ?? encodeURIComponent;
  if (typeof encode !== "function") throw invalid("encode", "must be a function");
  const encoded = encodeValue(encode, value);
  if (!cookieValueRegExp.test(encoded)) {
    throw invalid("value", "must encode to cookie-octets: no whitespace, DQUOTE, comma, " +
      "semicolon, backslash or control character (RFC 6265 §4.1.1)");
  }
  if (name.length + encoded.length > maxNameAndValueBytes) {
    throw invalid("value", "name and encoded value together must be at most 4096 bytes " +
      "(RFC 6265 §6.1)");
  }
  let header = `${name}=${encoded}`;

  if (options.maxAge != null) {
    const maxAge = options.maxAge;
    if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > maxLifetimeSeconds) {
      throw invalid("maxAge", "must be a whole number of seconds from 0 to 34560000 " +
        '(400 days, RFC 6265bis "Cookie Lifetime Limits")');
    }
    header += `; Max-Age=${maxAge}`;
  }
  if (options.domain) {
    const domain = options.domain;
    const isHostName = typeof domain === "string" && domain.length <= maxDomainLength &&
      domainValueRegExp.test(domain);
    if (!isHostName) {
      throw invalid("domain", "must be a host name (RFC 6265 §4.1.2.3)");
    }
    header += `; Domain=${domain}`;
  }
  if (options.path) {
    const path = options.path;
    const isUrlPath = typeof path === "string" && path.length <= maxAttributeValueBytes &&
      pathValueRegExp.test(path) && !hasDotSegment(path);
    if (!isUrlPath) {
      throw invalid("path", 'must be a URL path starting with "/", without whitespace, ";", ' +
        "control characters or dot segments (RFC 6265 §4.1.2.4)");
    }
    header += `; Path=${path}`;
  }
  if (options.expires) {
    header += `; Expires=${formatExpires(options.expires, options.now ?? Date.now)}`;
  }
  if (options.httpOnly) header += "; HttpOnly";
  if (options.secure) header += "; Secure";
  if (options.partitioned) header += "; Partitioned";
  if (options.priority) {
    const priority = lookUp(priorityValues, options.priority);
    if (priority === undefined) {
      throw invalid("priority", 'must be "Low", "Medium" or "High" (draft-west-cookie-priority)');
    }
    header += `; Priority=${priority}`;
  }
  let sameSite: string | undefined;
  if (options.sameSite) {
    sameSite = options.sameSite === true ? "Strict" : lookUp(sameSiteValues, options.sameSite);
    if (sameSite === undefined) {
      throw invalid("sameSite", 'must be "Strict", "Lax" or "None" (RFC 6265bis §4.1.2.7)');
    }
    header += `; SameSite=${sameSite}`;
  }

  checkBrowserRules(name, options, sameSite === "None");
  return header;
}

/** A Set-Cookie value that deletes the cookie: same name, Path, Domain and Secure as when it was set. */
export function clearCookie(
  name: string,
  options: Omit<CookieOptions, "maxAge" | "expires"> = {},
): string {
  return serializeCookie(name, "", { ...options, maxAge: 0, expires: new Date(0) });
}

// Rules under which browsers silently drop a cookie: enforced here so the mistake is loud.
function checkBrowserRules(name: string, options: CookieOptions, sameSiteNone: boolean): void {
  const lowerName = name.toLowerCase(); // Browsers match prefixes case-insensitively.
  if (lowerName.startsWith("__secure-") && !options.secure) {
    throw invalid("secure", 'must be true for a name starting with "__Secure-" ' +
      "(RFC 6265bis §4.1.3.1)");
  }
  if (lowerName.startsWith("__host-")) {
    const rule = 'for a name starting with "__Host-" (RFC 6265bis §4.1.3.2)';
    if (!options.secure) throw invalid("secure", `must be true ${rule}`);
    if (options.domain) throw invalid("domain", `must be absent ${rule}`);
    if (options.path !== "/") throw invalid("path", `must be "/" ${rule}`);
  }
  if (sameSiteNone && !options.secure) {
    throw invalid("sameSite", '"None" requires secure: true (RFC 6265bis §4.1.2.7)');
  }
  if (options.partitioned && !options.secure) {
    throw invalid("partitioned", "requires secure: true " +
      "(CHIPS, draft-cutler-httpbis-partitioned-cookies)");
  }
}

function encodeValue(encode: (value: string) => string, value: string): string {
  let encoded: unknown;
  try {
    encoded = encode(value);
  } catch {
    // encodeURIComponent throws URIError on a lone UTF-16 surrogate. No `cause`: it may hold the value.
    throw invalid("value", "could not be encoded " +
      "(encodeURIComponent rejects a lone UTF-16 surrogate)");
  }
  if (typeof encoded !== "string") throw invalid("encode", "must return a string");
  return encoded;
}

function formatExpires(expires: Date, now: () => number): string {
  const time = expires instanceof Date ? expires.getTime() : Number.NaN;
  const text = Number.isNaN(time) ? "" : expires.toUTCString();
  // Browsers parse dates by RFC 6265 §5.1.1: years 0–69 and 70–99 become 20xx and 19xx, and a year
  // before 1601 fails the date, so the cookie would outlive the date meant to delete it.
  if (!imfFixdateRegExp.test(text) || expires.getUTCFullYear() < 1601) {
    throw invalid("expires", "must be a valid Date from year 1601 on (RFC 6265 §5.1.1)");
  }
  // Rejected rather than capped: a longer lifetime is a configuration mistake the browser would hide.
  if (time > now() + maxLifetimeSeconds * 1000) {
    throw invalid("expires", "must be at most 400 days from now " +
      '(RFC 6265bis "Cookie Lifetime Limits")');
  }
  return text;
}

// "/a/../b" never path-matches: browsers normalize request paths but compare cookie paths literally.
function hasDotSegment(path: string): boolean {
  return path.split("/").some((segment) => segment === "." || segment === "..");
}

function lookUp<T extends Record<string, string>>(table: T, key: unknown): T[keyof T] | undefined {
  if (typeof key !== "string") return undefined;
  const lower = key.toLowerCase();
  return Object.hasOwn(table, lower) ? table[lower as keyof T] : undefined;
}

function invalid(option: string, rule: string): TypeError {
  return new TypeError(`cookie "${option}" is invalid: ${rule}`);
}
