// Whole-number settings (src/config/integer-setting.ts): the default when unset, plain digits in range
// otherwise, and a TypeError naming the setting for anything else.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readIntegerSetting } from "../../src/config/integer-setting.ts";

const rule = { defaultValue: 120, min: 10, max: 28800, unit: "seconds" };

describe("readIntegerSetting", () => {
  it("gives the default when unset or blank", () => {
    assert.equal(readIntegerSetting("SESSION_LIFETIME_SECONDS", undefined, rule), 120);
    assert.equal(readIntegerSetting("SESSION_LIFETIME_SECONDS", "  ", rule), 120);
  });

  it("reads plain digits within the range, bounds included, spaces trimmed", () => {
    assert.equal(readIntegerSetting("SESSION_LIFETIME_SECONDS", "10", rule), 10);
    assert.equal(readIntegerSetting("SESSION_LIFETIME_SECONDS", " 300 ", rule), 300);
    assert.equal(readIntegerSetting("SESSION_LIFETIME_SECONDS", "28800", rule), 28800);
    assert.equal(readIntegerSetting("SESSION_LIFETIME_SECONDS", "0120", rule), 120);
  });

  // What Number() or parseInt() would quietly accept, and values out of range.
  for (const value of ["2m", "120s", "1e3", "-5", "+60", "12.5", "0x20", "9", "28801", "Infinity", "NaN", "1 20", "９０"]) {
    it(`refuses ${JSON.stringify(value)}`, () => {
      assert.throws(() => readIntegerSetting("SESSION_LIFETIME_SECONDS", value, rule), {
        name: "TypeError",
        message: `SESSION_LIFETIME_SECONDS is invalid: must be a whole number of seconds from 10 to 28800, got "${value}"`,
      });
    });
  }

  it("cuts a long bad value in the message and words it without a unit when none is given", () => {
    assert.throws(() => readIntegerSetting("WORKERS", "x".repeat(100), { defaultValue: 1, min: 1, max: 8 }), {
      name: "TypeError",
      message: `WORKERS is invalid: must be a whole number from 1 to 8, got "${"x".repeat(20)}"`,
    });
  });
});
