// Username rules: what a valid name is, and when two names are "the same" name.
// Names are compared after Unicode NFC normalization (UAX #15) and lowercasing, so "ÅSA" typed with a
// combining ring (NFD) and "åsa" are one account; the stored display name keeps the user's spelling.
// Pitfall prevented: the popular tutorial replaced `"`, `<`, `>` with `_` and cut names at 20 characters
// (mangling input); here any printable Unicode, HTML included, is allowed and escaped on output instead.
// validateUsername returns an error message for the form, or null when the name is acceptable.

export const usernameMaxLength = 64; // code points; 64 × 4 UTF-8 bytes bounds a name to 256 bytes

// Characters refused anywhere in a name, so two names that look alike are never two accounts:
// - by Unicode general category (UAX #44): Cc controls (\0, \t, \n, \r, DEL, C1), Co private use, Cn
//   unassigned and noncharacters (U+FFFF), Zl/Zp line and paragraph separators, Cs lone surrogates (half
//   of a UTF-16 pair: not a character at all), and Cf format characters (soft hyphen, zero-width space,
//   BOM, tags, bidi overrides such as U+202E that display "evil" as "live");
// - Default_Ignorable_Code_Point (UAX #44; drawn as nothing, Unicode §5.21): the combining grapheme
//   joiner U+034F, Khmer U+17B4, the Hangul fillers, ...;
// - blanks that are not "ignorable" but show nothing all the same: braille blank U+2800, and the Hangul
//   fillers U+115F, U+1160, U+3164, U+FFA0 again, named in case an older Unicode table lacks them.
// Except what real names need, allowed only where it means something (the two RegExps below): U+200C
// ZWNJ (Persian, Indic scripts) and U+200D ZWJ (emoji sequences such as 👩‍💻), and the variation
// selectors: U+FE0F makes "❤" the emoji "❤️" (phones insert it), U+E0100 and up pick a glyph of a
// kanji in Japanese names (葛󠄀飾), U+180B–U+180F a Mongolian letter form.
const variationSelectors = "\\uFE00-\\uFE0F\\u180B-\\u180D\\u180F\\u{E0100}-\\u{E01EF}";
const forbiddenCharacterRegExp = new RegExp("[\\p{Cc}\\p{Cs}\\p{Co}\\p{Cn}\\p{Zl}\\p{Zp}\\u115F\\u1160\\u2800\\u3164\\uFFA0]|" +
  `(?![\\u200C\\u200D${variationSelectors}])[\\p{Cf}\\p{Default_Ignorable_Code_Point}]`, "u");
// A joiner only means something between two characters of a script or emoji that uses it; at either end
// of the name, next to a space, ASCII or another invisible character, it just makes a look-alike of
// another name ("admin" + U+200D, "ad" + U+200D + "min"). A variation selector before it is part of the
// emoji it joins ("🏳️‍🌈" is 🏳 U+FE0F U+200D 🌈).
const strayJoinerRegExp = new RegExp(`(?:^|[\\s\\x00-\\x7F]|(?![${variationSelectors}])\\p{Default_Ignorable_Code_Point})[\\u200C\\u200D]|` +
  "[\\u200C\\u200D](?:$|[\\s\\x00-\\x7F])", "u");
// A page shows a run of spaces as one, so "ad  min" would look exactly like "ad min".
const spaceRunRegExp = /\s{2}/u;
// A variation selector changes the character before it; after nothing, a space, an invisible character
// or ASCII it changes nothing one can see, and only makes a look-alike ("admin" + U+FE0F). The one
// ASCII exception: keycaps, a digit, "#" or "*" + U+FE0F + U+20E3 ("1️⃣").
const strayVariationSelectorRegExp = new RegExp(`(?:^|\\s|\\p{Default_Ignorable_Code_Point}|(?![0-9#*])[\\x00-\\x7F])[${variationSelectors}]|` +
  `[0-9#*][${variationSelectors}](?!\\u20E3)`, "u");

/**
 * The display spelling stored for a name: NFC (canonically equivalent, looks identical) and trimmed
 * of surrounding whitespace, which browsers' autofill and copy-paste add. Nothing else changes.
 */
export function cleanUsername(name: string): string {
  return name.normalize("NFC").trim();
}

/**
 * The key two names are compared by: NFC, then case folded (locale-independent) and NFC again.
 * Folding is toUpperCase() then toLowerCase(): close to Unicode full case folding where plain
 * lowercasing is not ("Straße" and "STRASSE", "σασ" and "ΣΑΣ", "ſam" and "SAM", "ﬁle" and "file" are
 * one name each); the final NFC puts back together what a case mapping may take apart. Limits:
 * compatibility forms are not folded (NFC, not NFKC: fullwidth "Ａ" ≠ "A", "①" ≠ "1", NBSP ≠ space),
 * and look-alikes from other scripts (Cyrillic "а" and Latin "a") are different names (UTS #39
 * skeletons would catch them). Tighten here if impersonation matters in your app.
 */
export function usernameKey(name: string): string {
  return cleanUsername(name).toUpperCase().toLowerCase().normalize("NFC");
}

/**
 * True for any name an account could have, to look it up at sign-in: a string that isn't blank, longer
 * than the limit or holding control characters (refused by every version of the rules). Not
 * validateUsername: an account registered under older, looser rules must still be able to sign in (and
 * change its password); the rules for new names belong to registration.
 */
export function isUsernameForLookup(name: unknown): name is string {
  if (typeof name !== "string" || name.length > 4 * usernameMaxLength) return false; // bounded work on junk
  const cleaned = cleanUsername(name);
  return cleaned !== "" && [...cleaned].length <= usernameMaxLength && !/\p{Cc}/u.test(cleaned);
}

/** Error message for the form, or null when the name is acceptable. Never throws. */
export function validateUsername(name: unknown): string | null {
  if (typeof name !== "string") return "Enter a username.";
  const cleaned = cleanUsername(name);
  if (cleaned === "") return "Enter a username.";
  // Counted in code points, so "👩‍💻" counts 3 and "é" (after NFC) counts 1. A code point is at most
  // two UTF-16 units, so the cheap .length test rejects a huge input before it is split.
  if (cleaned.length > 2 * usernameMaxLength || [...cleaned].length > usernameMaxLength) {
    return `Username must be at most ${usernameMaxLength} characters.`;
  }
  if (forbiddenCharacterRegExp.test(cleaned) || strayJoinerRegExp.test(cleaned) || strayVariationSelectorRegExp.test(cleaned)) {
    return "Username must not contain control or invisible characters.";
  }
  if (spaceRunRegExp.test(cleaned)) return "Username must not contain two spaces in a row.";
  return null;
}
