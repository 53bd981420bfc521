import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readScryptParamsSetting } from "../../src/config/scrypt-setting.ts";
import { defaultScryptParams, fastScryptParamsForTests } from "../../src/crypto/password.ts";

describe("readScryptParamsSetting", () => {
  it("R14: gives OWASP's N=2^17, r=8, p=1 when SCRYPT_PARAMS is unset or empty", () => {
    for (const value of [undefined, "", "  "]) {
      assert.deepEqual(readScryptParamsSetting(value, { underTestRunner: false }), { ln: 17, r: 8, p: 1 });
      assert.equal(readScryptParamsSetting(value), defaultScryptParams);
    }
  });

  it("gives the cheap test parameters for fast-for-tests under the test runner", () => {
    assert.equal(readScryptParamsSetting("fast-for-tests", { underTestRunner: true }), fastScryptParamsForTests);
    assert.equal(readScryptParamsSetting(" fast-for-tests "), fastScryptParamsForTests, "this file runs under node --test");
  });

  it("refuses fast-for-tests outside the test runner, so production can never hash cheaply by accident", () => {
    assert.throws(() => readScryptParamsSetting("fast-for-tests", { underTestRunner: false }), {
      name: "TypeError",
      message: `SCRYPT_PARAMS is invalid: "fast-for-tests" makes stored passwords cheap to crack and is honoured only under node --test; unset it`,
    });
  });

  it("refuses fast-for-tests by default in a process that is not a node --test file (no NODE_TEST_CONTEXT)", (t) => {
    const saved = process.env.NODE_TEST_CONTEXT;
    delete process.env.NODE_TEST_CONTEXT;
    t.after(() => {
      if (saved !== undefined) process.env.NODE_TEST_CONTEXT = saved;
    });
    assert.throws(() => readScryptParamsSetting("fast-for-tests"), { name: "TypeError", message: /honoured only under node --test/ });
  });

  it("refuses any other value", () => {
    for (const value of ["fast", "ln=10,r=8,p=1", "default", "FAST-FOR-TESTS"]) {
      assert.throws(() => readScryptParamsSetting(value, { underTestRunner: true }), {
        name: "TypeError",
        message: `SCRYPT_PARAMS is invalid: leave it unset (OWASP's N=2^17, r=8, p=1); "fast-for-tests" exists for tests only`,
      });
    }
  });
});
