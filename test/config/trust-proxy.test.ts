import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readTrustProxySetting } from "../../src/config/trust-proxy.ts";

describe("readTrustProxySetting", () => {
  it("is true only for 1 or true", () => {
    for (const value of ["1", "true", "TRUE", " 1 "]) assert.equal(readTrustProxySetting(value), true, value);
  });

  it("is false when unset, empty, 0 or false", () => {
    for (const value of [undefined, "", " ", "0", "false", "False"]) assert.equal(readTrustProxySetting(value), false, String(value));
  });

  it("refuses anything else with a TypeError naming the setting", () => {
    for (const value of ["yes", "2", "on", "127.0.0.1", "loopback"]) {
      assert.throws(() => readTrustProxySetting(value), {
        name: "TypeError",
        message: `TRUST_PROXY is invalid: must be "1" (only behind your own reverse proxy) or "0"`,
      });
    }
  });
});
