import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { safeReturnTo } from "../../src/auth/safe-return-to.ts";

const appOrigin = "https://app.example";

describe("safeReturnTo", () => {
  it("R21: keeps same-origin relative paths with their query and fragment", () => {
    const cases: Array<[string, string]> = [
      ["/", "/"],
      ["/a", "/a"],
      ["/account/password", "/account/password"],
      ["/search?q=1&page=2", "/search?q=1&page=2"],
      ["/page#section", "/page#section"],
      ["/a/./b/../c", "/a/c"],
      ["/users/%3Cscript%3E", "/users/%3Cscript%3E"],
    ];
    for (const [input, expected] of cases) {
      assert.equal(safeReturnTo(input), expected, input);
    }
  });

  it("R21: refuses every way out to another origin, answering the fallback", () => {
    const attacks = [
      "//evil.example",
      "//evil.example/path",
      "/\\evil.example",
      "\\\\evil.example",
      "/\t/evil.example",
      "/\n/evil.example",
      "/\r\n/evil.example",
      " /evil",
      "/.//evil.example",
      "/a/../..//evil.example",
      "/..//evil.example",
      "/%2e%2e//evil.example", // the URL parser reads %2e%2e as ".."
      "/%2E./%2e//evil.example",
      "https://evil.example",
      "http:evil.example",
      "HTTPS://evil.example/",
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "evil.example",
      "",
      "?next=/",
      "#top",
      "/\u0000",
      "/caf\u00e9",
      "/\u3002evil",
      `/${"a".repeat(2048)}`,
      // More of the usual open-redirect payloads:
      "///evil.example",
      "\t//evil.example",
      "https:evil.example",
      "https:/evil.example",
      "/\uFF0Fevil.example", // fullwidth solidus
      "/\u2215evil.example", // division slash
      "/\u2044evil.example", // fraction slash
      "/.\\./evil.example",
      "/?\\evil.example",
      "/\u3000/evil.example",
    ];
    for (const attack of attacks) {
      assert.equal(safeReturnTo(attack, "/home"), "/home", JSON.stringify(attack));
    }
  });

  it("R21: answers the fallback for values that are not strings", () => {
    for (const value of [undefined, null, 1, ["/a"], { toString: () => "/a" }]) {
      assert.equal(safeReturnTo(value), "/");
    }
  });

  it("R21: keeps percent-encoded slashes as a path on this site, where the browser resolves them", () => {
    // Decision: "/%2F%2Fevil" is not decoded by a browser when it follows a Location header, so it is a
    // (strange) path on our own origin, not an open redirect. It is returned unchanged.
    for (const input of ["/%2F%2Fevil.example", "/%5C%5Cevil.example", "/%5Cevil.example", "/%09/evil.example", "/%0d%0a/evil.example"]) {
      const result = safeReturnTo(input);
      assert.notEqual(result, "/");
      assert.equal(new URL(result, appOrigin).origin, appOrigin, input);
    }
  });

  it("R21: every accepted value resolves to the app's own origin", () => {
    const inputs = ["/a", "/.//x", "/%2F%2Fx", "/a/../..//x", "/?a=//x", "/#//x", "/a//b"];
    for (const input of inputs) {
      assert.equal(new URL(safeReturnTo(input), appOrigin).origin, appOrigin, input);
    }
  });

  it("throws a TypeError at start-up for a fallback that is not a local path", () => {
    // Browsers read "/\evil.example" as "//evil.example": the same way out, so refused too.
    for (const fallback of ["//evil.example", "/\\evil.example", "evil.example"]) {
      assert.throws(() => safeReturnTo("/a", fallback), {
        name: "TypeError",
        message: `safeReturnTo "fallback" is invalid: must be a path starting with one "/" (RFC 9700 §4.11)`,
      }, JSON.stringify(fallback));
    }
  });
});
