// A whole-number setting read from the environment, such as SESSION_LIFETIME_SECONDS=120.
// Unset or empty gives the default; the value must be plain decimal digits within [min, max].
// Pitfall prevented: `Number(value) || fallback` quietly turns "2m", "1e3" or "-5" into something
// nobody asked for (0 → the default, 1000, a negative timeout); `parseInt("120s")` reads 120.
// Bad input: a TypeError at start-up naming the setting and the accepted range.

export interface IntegerSettingRule {
  defaultValue: number;
  min: number;
  max: number;
  /** Shown in the error message, e.g. "seconds". */
  unit?: string;
}

export function readIntegerSetting(name: string, value: string | undefined, rule: IntegerSettingRule): number {
  const { defaultValue, min, max, unit } = rule;
  if (value === undefined || value.trim() === "") return defaultValue;
  const text = value.trim();
  const number = Number(text);
  if (!/^\d{1,15}$/.test(text) || number < min || number > max) {
    const what = unit === undefined ? "a whole number" : `a whole number of ${unit}`;
    throw new TypeError(`${name} is invalid: must be ${what} from ${min} to ${max}, got "${text.slice(0, 20)}"`);
  }
  return number;
}
