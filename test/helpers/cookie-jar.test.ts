// The test cookie jar behaves like a browser in the ways step tests rely on.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CookieJar } from "./cookie-jar.ts";

function responseWith(...setCookies: string[]): Response {
  const headers = new Headers();
  for (const line of setCookies) headers.append("set-cookie", line);
  return new Response(null, { headers });
}

describe("CookieJar", () => {
  it("stores every Set-Cookie of a response and sends them back as one Cookie header", () => {
    const jar = new CookieJar();
    assert.equal(jar.header(), undefined);
    jar.store(responseWith("sid=abc.def%2B; Max-Age=1800; Path=/; HttpOnly; SameSite=Lax", "theme=dark; Path=/"));
    assert.equal(jar.header(), "sid=abc.def%2B; theme=dark");
    assert.equal(jar.get("sid"), "abc.def%2B");
  });

  it("replaces a cookie of the same name", () => {
    const jar = new CookieJar();
    jar.storeSetCookie("sid=old; Path=/");
    jar.storeSetCookie("sid=new; Path=/");
    assert.equal(jar.header(), "sid=new");
  });

  it("deletes on Max-Age=0 (or less), and on an Expires in the past without Max-Age", () => {
    const jar = new CookieJar();
    for (const deletion of [
      "sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
      "sid=; max-age=-1",
      "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ]) {
      jar.set("sid", "x");
      jar.storeSetCookie(deletion);
      assert.equal(jar.get("sid"), undefined, deletion);
    }
  });

  it("lets Max-Age win over Expires (RFC 6265 §5.3)", () => {
    const jar = new CookieJar();
    jar.storeSetCookie("sid=kept; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    assert.equal(jar.get("sid"), "kept");
  });

  it("ignores a Set-Cookie without a name", () => {
    const jar = new CookieJar();
    jar.storeSetCookie("=value; Path=/");
    jar.storeSetCookie("novalue");
    assert.deepEqual(jar.names(), []);
  });
});
