import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { checkRequestOrigin } from "../../src/csrf/fetch-metadata.ts";

const appOrigin = "http://127.0.0.1:3000";
const post = (headers: IncomingHttpHeaders) => ({ method: "POST", headers });
const check = (headers: IncomingHttpHeaders, allowedOrigins?: string[]) =>
  checkRequestOrigin(post(headers), { appOrigin, ...(allowedOrigins ? { allowedOrigins } : {}) });

describe("checkRequestOrigin", () => {
  it("R18: lets safe methods through whatever their headers say", () => {
    for (const method of ["GET", "HEAD", "OPTIONS", "TRACE"]) {
      const headers = { "sec-fetch-site": "cross-site", origin: "https://evil.example" };
      assert.deepEqual(checkRequestOrigin({ method, headers }, { appOrigin }), { ok: true }, method);
    }
  });

  it("R18: accepts same-origin and user-initiated (none) requests by Fetch Metadata", () => {
    assert.deepEqual(check({ "sec-fetch-site": "same-origin", origin: appOrigin }), { ok: true });
    assert.deepEqual(check({ "sec-fetch-site": "none" }), { ok: true });
  });

  it("R18: refuses cross-site and same-site requests by Fetch Metadata, even with a matching Origin", () => {
    const reason = "cross-origin request refused (Sec-Fetch-Site is not same-origin)";
    for (const headers of [
      { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
      { "sec-fetch-site": "same-site", origin: "http://sub.127.0.0.1:3000" },
      { "sec-fetch-site": "cross-site" },
      // The app's own Origin with a cross-site or same-site request is a contradiction (a non-browser
      // client, or a request redirected through another site): the browser's Sec-Fetch-Site decides.
      { "sec-fetch-site": "cross-site", origin: appOrigin },
      { "sec-fetch-site": "same-site", origin: appOrigin },
      // A lying Origin does not override what the browser says about the request's site.
      { "sec-fetch-site": "cross-site", origin: "null" },
      // Unknown values and repeated headers (Node joins them with ", ") fail closed.
      { "sec-fetch-site": "same-origin, cross-site" },
      { "sec-fetch-site": "" },
      { "sec-fetch-site": "SAME-ORIGIN" },
    ]) {
      assert.deepEqual(check(headers), { ok: false, reason }, JSON.stringify(headers));
    }
  });

  it("R18: accepts a cross-site request from an exact origin on the allow-list", () => {
    const allowed = ["https://front.example"];
    assert.deepEqual(check({ "sec-fetch-site": "cross-site", origin: "https://front.example" }, allowed), { ok: true });
    assert.deepEqual(check({ origin: "https://front.example" }, allowed), { ok: true });
    for (const origin of ["https://front.example.evil", "https://front.example:444", "http://front.example", "null"]) {
      assert.equal(check({ "sec-fetch-site": "cross-site", origin }, allowed).ok, false, origin);
    }
  });

  it("R18: never trusts the opaque origin \"null\" (sandboxed frames, data: URLs), even when put on the allow-list", () => {
    const allowed = ["null"];
    assert.equal(check({ "sec-fetch-site": "cross-site", origin: "null" }, allowed).ok, false);
    assert.equal(check({ "sec-fetch-site": "same-site", origin: "null" }, allowed).ok, false);
    assert.deepEqual(check({ origin: "null" }, allowed), { ok: false, reason: "cross-origin request refused (Origin does not match)" });
  });

  it("R18: without Fetch Metadata, accepts only an Origin exactly equal to the app origin", () => {
    assert.deepEqual(check({ origin: appOrigin }), { ok: true });
    const reason = "cross-origin request refused (Origin does not match)";
    for (const origin of [
      "https://evil.example",
      "http://127.0.0.1:3000.evil.example",
      "http://127.0.0.1:3001",
      "https://127.0.0.1:3000",
      "http://127.0.0.1",
      `${appOrigin}/`,
      `${appOrigin}, https://evil.example`,
      "null",
      "",
    ]) {
      assert.deepEqual(check({ origin }), { ok: false, reason }, origin);
    }
  });

  it("R18: without Fetch Metadata or Origin, compares the Referer's origin", () => {
    assert.deepEqual(check({ referer: `${appOrigin}/login?next=/` }), { ok: true });
    const reason = "cross-origin request refused (Referer does not match)";
    for (const referer of [
      "https://evil.example/",
      `https://evil.example/?${appOrigin}`,
      // Start with the app origin's text but name another origin: a prefix match would let them in.
      `${appOrigin}.evil.example/`,
      `${appOrigin}0/`,
      `${appOrigin}@evil.example/`,
      `${appOrigin}:8443/`,
      "not a url",
      "about:blank",
      "",
    ]) {
      assert.deepEqual(check({ referer }), { ok: false, reason }, referer);
    }
  });

  it("R18: refuses an unsafe request that carries none of the three headers", () => {
    assert.deepEqual(check({}), { ok: false, reason: "request refused: no Sec-Fetch-Site, Origin or Referer header" });
    assert.equal(checkRequestOrigin({ headers: {} }, { appOrigin }).ok, false);
    for (const method of ["PUT", "PATCH", "DELETE", "post"]) {
      assert.equal(checkRequestOrigin({ method, headers: {} }, { appOrigin }).ok, false, method);
    }
  });

  it("R18: compares against the app origin as a browser serializes it", () => {
    const options = { appOrigin: "HTTPS://App.Example:443" };
    assert.deepEqual(checkRequestOrigin(post({ origin: "https://app.example" }), options), { ok: true });
  });

  it("R18: refuses everything when the app origin cannot be parsed, instead of throwing", () => {
    const result = checkRequestOrigin(post({ origin: "garbage" }), { appOrigin: "garbage" });
    assert.equal(result.ok, false);
  });
});
