import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { prefersJson } from "../../src/http/accept.ts";

describe("prefersJson", () => {
  const cases: [accept: string | undefined, expected: boolean][] = [
    ["application/json", true],
    ["application/json, text/plain;q=0.9", true],
    ["text/plain;q=0.5, application/*", true],
    ["APPLICATION/JSON", true],
    [undefined, false],
    ["", false],
    ["*/*", false], // fetch's default: ties go to text
    ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false], // a browser
    ["application/json;q=0", false],
    ["application/json;q=0.5, text/html", false],
    ["application/json, text/html", false], // equal weight: text
    ["text/plain, application/json;q=0.9", false], // a script that asked for text first
    ["application/json;q=0.9, */*;q=0.1", true],
    ["application/json;q=2", true], // an invalid q is ignored (weight 1)
    ["garbage, ;;, /json", false],
  ];
  for (const [accept, expected] of cases) {
    it(`answers ${expected} for Accept: ${JSON.stringify(accept)}`, () => {
      assert.equal(prefersJson(accept), expected);
    });
  }
});
