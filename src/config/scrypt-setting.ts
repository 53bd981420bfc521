// Which scrypt parameters the app hashes passwords with, from the SCRYPT_PARAMS setting.
// Unset (or empty): OWASP's N=2^17, r=8, p=1 (R14). "fast-for-tests": N=2^10, a thousand times cheaper,
// which keeps a suite of hundreds of logins fast and would make a stolen users file as cheap to crack.
// Pitfall prevented: a test shortcut left switched on in production. The fast value is refused unless
// the process runs under the node:test runner (it sets NODE_TEST_CONTEXT in every test file's
// process), so a stray setting stops the server at start-up instead of weakening every new hash.
// Bad input: any other value is a TypeError naming the setting.
import { defaultScryptParams, fastScryptParamsForTests, type ScryptParams } from "../crypto/password.ts";

export const fastForTestsValue = "fast-for-tests";

export interface ScryptSettingOptions {
  /** Is this process a node:test test file? Default: NODE_TEST_CONTEXT is set. */
  underTestRunner?: boolean;
}

export function readScryptParamsSetting(
  value: string | undefined,
  options: ScryptSettingOptions = {},
): Readonly<ScryptParams> {
  if (value === undefined || value.trim() === "") return defaultScryptParams;
  if (value.trim() !== fastForTestsValue) {
    throw new TypeError(
      `SCRYPT_PARAMS is invalid: leave it unset (OWASP's N=2^17, r=8, p=1); "${fastForTestsValue}" exists for tests only`,
    );
  }
  const underTestRunner = options.underTestRunner ?? process.env.NODE_TEST_CONTEXT !== undefined;
  if (!underTestRunner) {
    throw new TypeError(`SCRYPT_PARAMS is invalid: "${fastForTestsValue}" makes stored passwords cheap to crack ` +
      `and is honoured only under node --test; unset it`);
  }
  return fastScryptParamsForTests;
}
