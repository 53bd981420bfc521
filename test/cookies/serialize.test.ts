import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { clearCookie, serializeCookie, type CookieOptions } from "../../src/cookies/serialize.ts";
import { parseCookies } from "../../src/cookies/parse.ts";

const dayMs = 24 * 60 * 60 * 1000;
const fixedNowMs = Date.UTC(2025, 0, 15, 12, 0, 0); // An injected clock: no test depends on today.
const now = () => fixedNowMs;
const identity = (value: string) => value;

// The grammar every emitted cookie must follow (RFC 6265 §4.1.1 / 6265bis), written out again here
// so the check does not reuse the serializer's own regexes.
// cookie-pair = cookie-name "=" cookie-value, then only known attributes, each at most once.
const cookiePairRegExp = new RegExp(
  "^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+=" +
    '(?:[\\x21\\x23-\\x2B\\x2D-\\x3A\\x3C-\\x5B\\x5D-\\x7E]*|"[\\x21\\x23-\\x2B\\x2D-\\x3A\\x3C-\\x5B\\x5D-\\x7E]*")$',
);
const attributeRegExps: Record<string, RegExp> = {
  "Max-Age": /^Max-Age=\d+$/,
  Domain: /^Domain=\.?[a-zA-Z0-9.-]+$/,
  Path: /^Path=\/[\x21-\x3A\x3C-\x7E]*$/,
  Expires: /^Expires=(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  HttpOnly: /^HttpOnly$/,
  Secure: /^Secure$/,
  Partitioned: /^Partitioned$/,
  Priority: /^Priority=(?:Low|Medium|High)$/,
  SameSite: /^SameSite=(?:Strict|Lax|None)$/,
};

function assertWellFormed(header: string): void {
  const [pair = "", ...attributes] = header.split("; ");
  assert.match(pair, cookiePairRegExp);
  const seen = new Set<string>();
  for (const attribute of attributes) {
    const name = attribute.split("=")[0] ?? "";
    const grammar = Object.hasOwn(attributeRegExps, name) ? attributeRegExps[name] : undefined;
    assert.ok(grammar, `unknown attribute ${name} in ${header}`);
    assert.match(attribute, grammar);
    assert.ok(!seen.has(name), `duplicate attribute ${name} in ${header}`);
    seen.add(name);
  }
  assert.doesNotMatch(header, /[\r\n\0]/);
}

// A test title for an input: JSON-quoted, shortened when long.
function describeInput(input: string): string {
  return JSON.stringify(input.length > 40 ? `${input.slice(0, 20)}… (${input.length} characters)` : input);
}

function assertRejected(run: () => unknown, message: string, secretText?: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof TypeError);
    assert.equal(error.message, message);
    // The input is never echoed (a value may be a secret; a short one like ";" proves nothing).
    if (secretText !== undefined && secretText.length >= 3) {
      assert.ok(!error.message.includes(secretText), "message echoes the input");
    }
    return true;
  });
}

describe("serializeCookie", () => {
  it("writes name=value with the value percent-encoded", () => {
    assert.equal(serializeCookie("sid", "abc"), "sid=abc");
    assert.equal(serializeCookie("q", "a b;c=d,e\"f\\g"), "q=a%20b%3Bc%3Dd%2Ce%22f%5Cg");
    assert.equal(serializeCookie("empty", ""), "empty=");
  });

  it("gives values back unchanged through parseCookies", () => {
    for (const value of ["plain", "with space", "; Path=/", "=x=", "100%", "\u2713 \u{1F36A}", "s:a.b+c/d"]) {
      const header = serializeCookie("c", value).split("; ")[0] ?? "";
      assert.equal(parseCookies(header)["c"], value);
    }
  });

  it("writes every attribute in the cookie package's order", () => {
    const header = serializeCookie("__Secure-sid", "abc", {
      maxAge: 3600,
      domain: "example.com",
      path: "/app",
      expires: new Date(fixedNowMs + dayMs),
      now,
      httpOnly: true,
      secure: true,
      partitioned: true,
      priority: "High",
      sameSite: "None",
    });
    assert.equal(
      header,
      "__Secure-sid=abc; Max-Age=3600; Domain=example.com; Path=/app; " +
        "Expires=Thu, 16 Jan 2025 12:00:00 GMT; HttpOnly; Secure; Partitioned; Priority=High; SameSite=None",
    );
    assertWellFormed(header);
  });

  it("omits options that are absent, false or empty, as the cookie package does", () => {
    const header = serializeCookie("a", "1", {
      httpOnly: false, secure: false, partitioned: false, sameSite: false, domain: "", path: "",
    });
    assert.equal(header, "a=1");
  });

  it("accepts SameSite and Priority in any case, and sameSite: true as Strict", () => {
    const cases: Array<[CookieOptions, string]> = [
      [{ sameSite: "Strict" }, "a=1; SameSite=Strict"],
      [{ sameSite: "lax" }, "a=1; SameSite=Lax"],
      [{ sameSite: "LAX" as "Lax" }, "a=1; SameSite=Lax"],
      [{ sameSite: true }, "a=1; SameSite=Strict"],
      [{ sameSite: "none", secure: true }, "a=1; Secure; SameSite=None"],
      [{ priority: "low" }, "a=1; Priority=Low"],
      [{ priority: "Medium" }, "a=1; Priority=Medium"],
      [{ priority: "HIGH" as "High" }, "a=1; Priority=High"],
    ];
    for (const [options, expected] of cases) assert.equal(serializeCookie("a", "1", options), expected);
  });

  it("accepts a Domain with a leading dot, as the cookie package does", () => {
    assert.equal(serializeCookie("a", "1", { domain: ".example.com" }), "a=1; Domain=.example.com");
    assert.equal(serializeCookie("a", "1", { domain: "127.0.0.1" }), "a=1; Domain=127.0.0.1");
  });

  it("uses a custom encode function, and checks its output", () => {
    assert.equal(serializeCookie("a", "x.y-z", { encode: identity }), "a=x.y-z");
    assert.equal(serializeCookie("a", '"quoted"', { encode: identity }), 'a="quoted"');
  });

  describe("R10: Max-Age is a whole number of seconds up to 400 days", () => {
    it("accepts 0 and exactly 34560000", () => {
      assert.equal(serializeCookie("a", "1", { maxAge: 0 }), "a=1; Max-Age=0");
      assert.equal(serializeCookie("a", "1", { maxAge: 34_560_000 }), "a=1; Max-Age=34560000");
    });

    const message = 'cookie "maxAge" is invalid: must be a whole number of seconds from 0 to 34560000 ' +
      '(400 days, RFC 6265bis "Cookie Lifetime Limits")';
    const rejected: unknown[] = [34_560_001, -1, 1.5, Number.NaN, Infinity, -Infinity, "60", 1e21];
    for (const maxAge of rejected) {
      it(`rejects ${String(maxAge)} (${typeof maxAge})`, () => {
        assertRejected(() => serializeCookie("a", "1", { maxAge: maxAge as number }), message);
      });
    }
  });

  describe("R10: Expires is an IMF-fixdate at most 400 days ahead", () => {
    it("writes the date as an IMF-fixdate", () => {
      const expires = new Date(Date.UTC(2025, 1, 3, 4, 5, 6));
      assert.equal(serializeCookie("a", "1", { expires, now }), "a=1; Expires=Mon, 03 Feb 2025 04:05:06 GMT");
    });

    it("accepts exactly 400 days after the injected clock and dates in the past", () => {
      const header = serializeCookie("a", "1", { expires: new Date(fixedNowMs + 400 * dayMs), now });
      assert.equal(header, "a=1; Expires=Thu, 19 Feb 2026 12:00:00 GMT");
      assert.equal(serializeCookie("a", "1", { expires: new Date(0), now }),
        "a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    });

    it("rejects a date later than 400 days, with the injected clock or the real one", () => {
      const message = 'cookie "expires" is invalid: must be at most 400 days from now ' +
        '(RFC 6265bis "Cookie Lifetime Limits")';
      const justTooLate = new Date(fixedNowMs + 400 * dayMs + 1);
      assertRejected(() => serializeCookie("a", "1", { expires: justTooLate, now }), message);
      assertRejected(() => serializeCookie("a", "1", { expires: new Date(Date.now() + 401 * dayMs) }), message);
      assert.ok(serializeCookie("a", "1", { expires: new Date(Date.now() + 399 * dayMs) }).includes("Expires="));
    });

    const message = 'cookie "expires" is invalid: must be a valid Date from year 1601 on (RFC 6265 §5.1.1)';
    const rejected: Array<[string, unknown]> = [
      ["an invalid Date", new Date("not a date")],
      ["a number", 1_700_000_000_000],
      ["a string", "Thu, 01 Jan 1970 00:00:00 GMT; Domain=evil.example"],
      ["a date before year 0", new Date(-8.64e15)],
      // A browser reads year 0050 as 2050: a cookie meant to be deleted would persist.
      ["year 50", new Date(new Date(0).setUTCFullYear(50))],
      ["year 1600", new Date(new Date(0).setUTCFullYear(1600))],
    ];
    for (const [label, expires] of rejected) {
      it(`rejects ${label}`, () => {
        assertRejected(() => serializeCookie("a", "1", { expires: expires as Date, now }), message);
      });
    }
    it("accepts 1601, the first year every browser reads as written", () => {
      assert.equal(serializeCookie("a", "", { expires: new Date(new Date(0).setUTCFullYear(1601)), now }),
        "a=; Expires=Mon, 01 Jan 1601 00:00:00 GMT");
    });
  });

  describe("R10: rejects every name that is not a token", () => {
    const message =
      "cookie \"name\" is invalid: must be a token: letters, digits and !#$%&'*+-.^_`|~ (RFC 6265 §4.1.1)";
    const names = ["", "a b", "a;b", "a=b", "sid\r\nSet-Cookie: admin=1", "a,b", "(x)", '"x"', "caf\u00e9", "a\tb",
      "a/b", "a@b", "x\u0000"];
    for (const name of names) {
      it(`rejects ${JSON.stringify(name)}`, () => {
        assertRejected(() => serializeCookie(name, "1"), message);
      });
    }
  });

  describe("R10: rejects every value that would not be cookie-octets", () => {
    const message = 'cookie "value" is invalid: must encode to cookie-octets: no whitespace, DQUOTE, comma, ' +
      "semicolon, backslash or control character (RFC 6265 §4.1.1)";
    const values = ["a;b", "x; Domain=evil.example", "\r\nSet-Cookie: admin=1", "a b", '"', 'a"b', '"a', "a,b",
      "a\\b", "\u0000", "\u007f", "caf\u00e9", "\t"];
    for (const value of values) {
      it(`rejects ${JSON.stringify(value)} when encode lets it through`, () => {
        assertRejected(() => serializeCookie("a", value, { encode: identity }), message, value);
      });
    }

    it("rejects a lone UTF-16 surrogate instead of throwing URIError", () => {
      assertRejected(
        () => serializeCookie("a", "x\ud800"),
        'cookie "value" is invalid: could not be encoded (encodeURIComponent rejects a lone UTF-16 surrogate)',
      );
    });

    it("rejects an encode option that is not a function or returns no string", () => {
      assertRejected(() => serializeCookie("a", "1", { encode: "yes" as unknown as () => string }),
        'cookie "encode" is invalid: must be a function');
      assertRejected(() => serializeCookie("a", "1", { encode: () => 42 as unknown as string }),
        'cookie "encode" is invalid: must return a string');
    });

    it("rejects a name and value longer than 4096 bytes together, accepts exactly 4096", () => {
      assert.equal(serializeCookie("ab", "x".repeat(4094)).length, 4097);
      assertRejected(() => serializeCookie("ab", "x".repeat(4095)),
        'cookie "value" is invalid: name and encoded value together must be at most 4096 bytes (RFC 6265 §6.1)');
      // Encoding counts: 1366 "é" become 8196 characters of %C3%A9.
      assertRejected(() => serializeCookie("a", "\u00e9".repeat(683)),
        'cookie "value" is invalid: name and encoded value together must be at most 4096 bytes (RFC 6265 §6.1)');
    });
  });

  describe("R10: rejects every Domain that is not a host name", () => {
    const message = 'cookie "domain" is invalid: must be a host name (RFC 6265 §4.1.2.3)';
    const domains = ["example.com; Path=/", "example.com\r\nSet-Cookie: admin=1", ";", "exa mple.com", "-example.com",
      "example-.com", "example..com", "example.com.", "..example.com", `${"a".repeat(64)}.com`, "exa_mple.com",
      "http://example.com", "example.com/", "*.example.com", "example.com:8080", "b\u00fccher.example", ".",
      `${"a.".repeat(126)}ab`];
    for (const domain of domains) {
      it(`rejects ${describeInput(domain)}`, () => {
        assertRejected(() => serializeCookie("a", "1", { domain }), message, domain);
      });
    }

    it("accepts a 63-character label", () => {
      const domain = `${"a".repeat(63)}.example`;
      assert.equal(serializeCookie("a", "1", { domain }), `a=1; Domain=${domain}`);
    });
  });

  describe("R10: rejects every Path that is not an absolute URL path", () => {
    const message = 'cookie "path" is invalid: must be a URL path starting with "/", without whitespace, ";", ' +
      "control characters or dot segments (RFC 6265 §4.1.2.4)";
    const paths = ["../", "relative", "/a;b", "/; Domain=evil.example", "/a b", "/a\r\nSet-Cookie: admin=1",
      "/a/../b", "/./", "/..", "/\u0000", "/caf\u00e9", "/a\tb", " /", `/${"a".repeat(1024)}`];
    for (const path of paths) {
      it(`rejects ${describeInput(path)}`, () => {
        assertRejected(() => serializeCookie("a", "1", { path }), message, path);
      });
    }

    it("accepts ordinary paths", () => {
      for (const path of ["/", "/app", "/app/", "/a.b/c-d_e~f%20g", "/.well-known"]) {
        assert.equal(serializeCookie("a", "1", { path }), `a=1; Path=${path}`);
      }
    });
  });

  describe("rejects unknown SameSite and Priority values", () => {
    for (const sameSite of ["strictly", "Lax;", "None ", "no", 1]) {
      it(`rejects sameSite ${JSON.stringify(sameSite)}`, () => {
        assertRejected(() => serializeCookie("a", "1", { sameSite: sameSite as "Lax" }),
          'cookie "sameSite" is invalid: must be "Strict", "Lax" or "None" (RFC 6265bis §4.1.2.7)');
      });
    }
    for (const priority of ["urgent", "High; Secure", true]) {
      it(`rejects priority ${JSON.stringify(priority)}`, () => {
        assertRejected(() => serializeCookie("a", "1", { priority: priority as "High" }),
          'cookie "priority" is invalid: must be "Low", "Medium" or "High" (draft-west-cookie-priority)');
      });
    }
  });

  describe("R03: rules under which browsers would silently drop the cookie", () => {
    const host = 'for a name starting with "__Host-" (RFC 6265bis §4.1.3.2)';
    const rejected: Array<[string, string, CookieOptions, string]> = [
      ["__Host- without Secure", "__Host-sid", { path: "/" }, `cookie "secure" is invalid: must be true ${host}`],
      ["__Host- with a Domain", "__Host-sid", { secure: true, path: "/", domain: "example.com" },
        `cookie "domain" is invalid: must be absent ${host}`],
      ["__Host- with another Path", "__Host-sid", { secure: true, path: "/app" },
        `cookie "path" is invalid: must be "/" ${host}`],
      ["__Host- without a Path", "__Host-sid", { secure: true }, `cookie "path" is invalid: must be "/" ${host}`],
      ["__host- in lower case", "__host-sid", { path: "/" }, `cookie "secure" is invalid: must be true ${host}`],
      ["__HOST- in upper case", "__HOST-sid", { secure: true, path: "/", domain: "example.com" },
        `cookie "domain" is invalid: must be absent ${host}`],
      ["__Secure- without Secure", "__Secure-sid", {},
        'cookie "secure" is invalid: must be true for a name starting with "__Secure-" (RFC 6265bis §4.1.3.1)'],
      ["__SECURE- in upper case", "__SECURE-sid", { httpOnly: true },
        'cookie "secure" is invalid: must be true for a name starting with "__Secure-" (RFC 6265bis §4.1.3.1)'],
      ["SameSite=None without Secure", "sid", { sameSite: "None" },
        'cookie "sameSite" is invalid: "None" requires secure: true (RFC 6265bis §4.1.2.7)'],
      ["sameSite none in lower case without Secure", "sid", { sameSite: "none" },
        'cookie "sameSite" is invalid: "None" requires secure: true (RFC 6265bis §4.1.2.7)'],
      ["Partitioned without Secure", "sid", { partitioned: true },
        'cookie "partitioned" is invalid: requires secure: true (CHIPS, draft-cutler-httpbis-partitioned-cookies)'],
    ];
    for (const [label, name, options, message] of rejected) {
      it(`rejects ${label}`, () => {
        assertRejected(() => serializeCookie(name, "1", options), message);
      });
    }

    it("accepts the session cookie of the security bar", () => {
      const options: CookieOptions = { secure: true, httpOnly: true, path: "/", sameSite: "Lax" };
      const header = serializeCookie("__Host-sid", "abc", options);
      assert.equal(header, "__Host-sid=abc; Path=/; HttpOnly; Secure; SameSite=Lax");
      assertWellFormed(header);
    });

    it("accepts __Secure- with a Domain and any Path, and names that only contain a prefix later", () => {
      assert.equal(serializeCookie("__Secure-x", "1", { secure: true, domain: "example.com", path: "/a" }),
        "__Secure-x=1; Domain=example.com; Path=/a; Secure");
      assert.equal(serializeCookie("my__Host-x", "1"), "my__Host-x=1");
    });
  });

  it("R10: every accepted combination of options gives a well-formed cookie without duplicate attributes", () => {
    const choices: CookieOptions[] = [
      {}, { maxAge: 60 }, { domain: "example.com" }, { path: "/" }, { expires: new Date(fixedNowMs), now },
      { httpOnly: true }, { secure: true }, { secure: true, partitioned: true }, { priority: "Low" },
      { sameSite: "Lax" }, { secure: true, sameSite: "None" },
    ];
    let count = 0;
    for (const first of choices) {
      for (const second of choices) {
        for (const third of choices) {
          assertWellFormed(serializeCookie("c", "v a;l", { ...first, ...second, ...third }));
          count++;
        }
      }
    }
    assert.equal(count, choices.length ** 3);
  });
});

describe("clearCookie", () => {
  it("R06: writes an empty value with Max-Age=0 and the 1970 Expires", () => {
    assert.equal(clearCookie("sid"), "sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  });

  it("R06: keeps the Path, Domain and security attributes the cookie was set with", () => {
    const header = clearCookie("sid", { path: "/app", domain: "example.com", httpOnly: true, sameSite: "Lax" });
    assert.equal(header, "sid=; Max-Age=0; Domain=example.com; Path=/app; " +
      "Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax");
    assertWellFormed(header);
  });

  it("R03: clears a __Host- cookie, whose rules still apply", () => {
    assert.equal(clearCookie("__Host-sid", { secure: true, path: "/", httpOnly: true }),
      "__Host-sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure");
    assertRejected(() => clearCookie("__Host-sid", { path: "/" }),
      'cookie "secure" is invalid: must be true for a name starting with "__Host-" (RFC 6265bis §4.1.3.2)');
  });

  it("overrides a maxAge or expires slipped in by an untyped caller", () => {
    const options = { maxAge: 3600, expires: new Date(fixedNowMs), path: "/" } as CookieOptions;
    assert.equal(clearCookie("sid", options), "sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
  });
});
