import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanUsername, isUsernameForLookup, usernameKey, usernameMaxLength, validateUsername } from "../../src/users/username.ts";

describe("validateUsername", () => {
  it("accepts ordinary names, inner spaces, any script and emoji", () => {
    for (const name of ["alice", "Mary Ann", "ÅSA", "Зоя", "李小龍", "علی\u200Cرضا", "👩‍💻", "a"]) {
      assert.equal(validateUsername(name), null, name);
    }
  });

  it("accepts HTML in a name: it is escaped on output, never mangled on input", () => {
    for (const name of ["</div><script>alert(1)</script>", `"quoted" & 'single'`, "<b>bob</b>"]) {
      assert.equal(validateUsername(name), null, name);
    }
  });

  it("asks for a username when the value is missing, not a string or blank", () => {
    for (const value of [undefined, null, 42, ["alice"], {}, "", "   ", "\t\n", "\u3000"]) {
      assert.equal(validateUsername(value), "Enter a username.");
    }
  });

  it("allows 64 characters, counted in code points after trimming, and refuses 65", () => {
    assert.equal(validateUsername("a".repeat(usernameMaxLength)), null);
    assert.equal(validateUsername(`  ${"a".repeat(usernameMaxLength)}  `), null);
    assert.equal(validateUsername("😀".repeat(usernameMaxLength)), null); // 128 UTF-16 units
    assert.equal(validateUsername("a".repeat(65)), "Username must be at most 64 characters.");
    assert.equal(validateUsername("😀".repeat(65)), "Username must be at most 64 characters.");
    assert.equal(validateUsername("x".repeat(1_000_000)), "Username must be at most 64 characters.");
  });

  it("counts a decomposed letter once, because it is composed first", () => {
    const decomposed = "e\u0301".repeat(usernameMaxLength); // 128 units, 64 letters after NFC
    assert.equal(validateUsername(decomposed), null);
  });

  it("refuses control, invisible and broken characters anywhere inside the name", () => {
    const attacks: Array<[string, string]> = [
      ["NUL byte", "ali\u0000ce"],
      ["CRLF injection", "alice\r\nSet-Cookie: x=1"],
      ["tab inside", "ali\tce"],
      ["escape sequence", "\u001b[31malice"],
      ["DEL", "alice\u007f"],
      ["C1 control", "alice\u0085x"],
      ["right-to-left override", "admin\u202Egnp.exe"],
      ["bidi isolate", "\u2066admin"],
      ["zero-width space", "ad\u200Bmin"],
      ["soft hyphen", "ad\u00ADmin"],
      ["byte order mark inside", "ad\uFEFFmin"],
      ["line separator", "a\u2028b"],
      ["paragraph separator", "a\u2029b"],
      ["lone high surrogate", "alice\uD800"],
      ["lone low surrogate", "\uDC00alice"],
      ["private use", "alice\uE000"],
      ["noncharacter", "alice\uFFFF"],
      ["tag characters", "flag\u{E0067}\u{E0062}"],
      ["combining grapheme joiner", "admin\u034F"],
      ["Hangul filler", "admin\u3164"],
      ["Hangul choseong filler", "admin\u115F"],
      ["Hangul jungseong filler", "admin\u1160"],
      ["halfwidth Hangul filler", "ad\uFFA0min"],
      ["braille blank", "admin\u2800"],
      ["Khmer inherent vowel", "admin\u17B4"],
      ["Mongolian vowel separator", "admin\u180E"],
      ["only a Hangul filler", "\u3164"],
      ["only braille blanks", "\u2800\u2800"],
    ];
    for (const [label, name] of attacks) {
      assert.equal(
        validateUsername(name),
        "Username must not contain control or invisible characters.",
        label,
      );
    }
  });
});

describe("validateUsername and the zero-width joiners", () => {
  const refused = "Username must not contain control or invisible characters.";

  it("allows ZWJ and ZWNJ between two visible characters: emoji sequences, Persian, Indic scripts", () => {
    for (const name of ["👩\u200D💻", "👨\u200D👩\u200D👧", "علی\u200Cرضا", "क्\u200Dष", "jo 👩\u200D💻", "Ali علی\u200Cرضا"]) {
      assert.equal(validateUsername(name), null, JSON.stringify(name));
    }
  });

  it("refuses a joiner at either end, next to a space or ASCII, or beside another invisible character", () => {
    const strays: Array<[string, string]> = [
      ["trailing ZWJ", "admin\u200D"],
      ["leading ZWJ", "\u200Dadmin"],
      ["trailing ZWNJ", "admin\u200C"],
      ["leading ZWNJ", "\u200Cadmin"],
      ["trailing ZWJ before trimmed spaces", "admin\u200D  "],
      ["only a ZWJ", "\u200D"],
      ["ZWJ before a space", "ad\u200D min"],
      ["ZWNJ after a space", "ad \u200Cmin"],
      ["two joiners in a row", "ad\u200D\u200Dmin"],
      ["ZWNJ then ZWJ", "ad\u200C\u200Dmin"],
      ["ZWJ after an ideographic space", "ad\u3000\u200Dmin"],
      ["ZWJ between ASCII letters: shows as 'admin'", "ad\u200Dmin"],
      ["ZWNJ between ASCII letters", "ad\u200Cmin"],
      ["ZWJ after ASCII, before an emoji", "a\u200D💻"],
      ["ZWJ after an emoji, before ASCII", "👩\u200Da"],
    ];
    for (const [label, name] of strays) assert.equal(validateUsername(name), refused, label);
  });
});

describe("validateUsername and runs of spaces", () => {
  it("refuses two spaces in a row, which a page shows as one ('ad  min' would look like 'ad min')", () => {
    for (const name of ["ad  min", "Mary \u00A0Ann", "李\u3000 龍"]) {
      assert.equal(validateUsername(name), "Username must not contain two spaces in a row.", JSON.stringify(name));
    }
    for (const name of ["ad min", "  Mary Ann  ", "李\u3000龍"]) assert.equal(validateUsername(name), null, JSON.stringify(name));
  });
});

describe("validateUsername and the variation selectors", () => {
  const refused = "Username must not contain control or invisible characters.";

  it("allows a variation selector after the character it changes: emoji, keycaps, kanji glyphs, Mongolian", () => {
    const names = ["jo❤️", "❤️‍🔥", "🏳️‍🌈 fan", "☺️", "✌️ peace", "room 1️⃣", "#️⃣tag", "葛\u{E0100}飾", "ᠠ\u180B", "text ❤\uFE0E"];
    for (const name of names) assert.equal(validateUsername(name), null, JSON.stringify(name));
  });

  it("refuses one that changes nothing visible: at the start, after ASCII, a space or another invisible", () => {
    const strays: Array<[string, string]> = [
      ["after an ASCII letter", "admin\uFE0F"],
      ["at the start", "\uFE0Fadmin"],
      ["after a space", "ad \uFE0Fmin"],
      ["two in a row", "❤\uFE0F\uFE0F"],
      ["after a joiner", "👩\u200D\uFE0F"],
      ["after a digit without the keycap", "admin1\uFE0F"],
      ["ideographic selector after ASCII", "admin\u{E0100}"],
    ];
    for (const [label, name] of strays) assert.equal(validateUsername(name), refused, label);
  });
});

describe("isUsernameForLookup", () => {
  it("takes any name an account could have, also one today's rules refuse (registered under older ones)", () => {
    for (const name of ["alice", " Alice ", "admin\uFE0F", "admin\u200D", "👩‍💻"]) {
      assert.equal(isUsernameForLookup(name), true, JSON.stringify(name));
    }
  });

  it("refuses what no account can be called: blank, too long, control characters, not a string", () => {
    for (const name of ["", "   ", "x".repeat(65), "x".repeat(16 * 1024), "al\u0000ice", "a\nb", undefined, 42, ["alice"]]) {
      assert.equal(isUsernameForLookup(name), false, JSON.stringify(name));
    }
  });
});

describe("cleanUsername", () => {
  it("keeps the user's spelling apart from NFC and surrounding whitespace", () => {
    assert.equal(cleanUsername("  Alice Smith \n"), "Alice Smith");
    assert.equal(cleanUsername("A\u030ASA"), "\u00C5SA");
    assert.equal(cleanUsername("<b>Bob</b>"), "<b>Bob</b>");
  });
});

describe("usernameKey", () => {
  it("treats NFD and NFC spellings and upper and lower case as one name", () => {
    const nfdUpper = "ÅSA".normalize("NFD");
    assert.notEqual(nfdUpper, "åsa");
    assert.equal(usernameKey(nfdUpper), usernameKey("åsa"));
    assert.equal(usernameKey("Alice"), usernameKey(" alice "));
  });

  it("folds case beyond lowercasing: ß and SS, final and medial sigma, long s", () => {
    assert.equal(usernameKey("Straße"), usernameKey("STRASSE"));
    assert.equal(usernameKey("σασ"), usernameKey("ΣΑΣ"));
    assert.equal(usernameKey("ſam"), usernameKey("SAM"));
    assert.equal(usernameKey("ﬁle"), usernameKey("FILE")); // the ligature folds to "fi", as in CaseFolding.txt
    assert.equal(usernameKey("Ǆemal"), usernameKey("ǆemal")); // one letter with three cases
    assert.equal(usernameKey("ÅSA"), usernameKey("åsa"));
    assert.equal(usernameKey("Åsa"), usernameKey("Åsa".normalize("NFD")));
    assert.equal(usernameKey("Åsa"), usernameKey("Åsa").normalize("NFC"), "the key itself is in NFC");
  });

  it("documents its limits: no compatibility folding, no look-alikes", () => {
    assert.notEqual(usernameKey("Ａlice"), usernameKey("alice")); // fullwidth Ａ
    assert.notEqual(usernameKey("user①"), usernameKey("user1"));
    assert.notEqual(usernameKey("\u0430lice"), usernameKey("alice")); // Cyrillic а
  });

  it("is locale-independent: the dotted capital I lowercases the same everywhere", () => {
    assert.equal(usernameKey("İ"), "i\u0307");
    assert.equal(usernameKey("I"), "i");
  });
});
