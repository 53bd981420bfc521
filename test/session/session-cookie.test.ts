import assert from "node:assert/strict";
import { ServerResponse } from "node:http";
import { describe, it } from "node:test";
import { sign } from "../../src/cookies/sign.ts";
import { randomToken } from "../../src/crypto/random.ts";
import { SessionCookie, type SessionCookieSettings } from "../../src/session/session-cookie.ts";
import { generateSessionId, storeKeyOf } from "../../src/session/session-id.ts";
import { fakeRequest } from "./manager-helpers.ts";

const secret = randomToken();

function sessionCookie(change: Partial<SessionCookieSettings> = {}): SessionCookie {
  return new SessionCookie({
    name: "sid",
    secrets: [secret],
    path: "/",
    domain: undefined,
    sameSite: "Lax",
    persistent: true,
    isSecureRequest: (req) => req.headers["x-https"] === "1",
    ...change,
  });
}

describe("SessionCookie", () => {
  it("reads a signed ID and gives its store key with it", () => {
    const id = generateSessionId();
    const reading = sessionCookie().readId(fakeRequest({ cookie: `theme=dark; sid=${encodeURIComponent(sign(id, secret))}` }));
    assert.deepEqual(reading, { present: true, verified: { id, storeKey: storeKeyOf(id) } });
  });

  it("reports a rejected value as present but unverified, and a missing one as absent", () => {
    const cookie = sessionCookie();
    assert.deepEqual(cookie.readId(fakeRequest({ cookie: "sid=forged" })), { present: true, verified: null });
    assert.deepEqual(cookie.readId(fakeRequest({ cookie: "other=1" })), { present: false, verified: null });
    assert.deepEqual(cookie.readId(fakeRequest()), { present: false, verified: null });
  });

  it("reports an overlong value as present (so it gets cleared) and unverified", () => {
    const reading = sessionCookie().readId(fakeRequest({ cookie: `sid=${"x".repeat(4000)}` }));
    assert.deepEqual(reading, { present: true, verified: null });
  });

  it("R04: refuses a correctly signed value that isn't one of our IDs (only the secret's holder can make one)", () => {
    const cookie = sessionCookie();
    const id = generateSessionId();
    for (const value of ["../../etc/passwd", id.slice(0, 42), `${id.slice(0, 20)}/${id.slice(21)}`, `${id}x`]) {
      const header = `sid=${encodeURIComponent(sign(value, secret))}`;
      assert.deepEqual(cookie.readId(fakeRequest({ cookie: header })), { present: true, verified: null }, value);
    }
  });

  it("reads only the __Host- name over HTTPS and only the plain name over HTTP", () => {
    const value = encodeURIComponent(sign(generateSessionId(), secret));
    const cookie = sessionCookie();
    assert.equal(cookie.readId(fakeRequest({ cookie: `sid=${value}`, "x-https": "1" })).verified, null);
    assert.notEqual(cookie.readId(fakeRequest({ cookie: `__Host-sid=${value}`, "x-https": "1" })).verified, null);
    assert.equal(cookie.readId(fakeRequest({ cookie: `__Host-sid=${value}` })).verified, null);
  });

  it("keeps verifying a remembered value after 10k other values pushed it out of memory", () => {
    const cookie = sessionCookie();
    const id = generateSessionId();
    const header = `sid=${encodeURIComponent(sign(id, secret))}`;
    assert.equal(cookie.readId(fakeRequest({ cookie: header })).verified?.id, id);
    for (let i = 0; i < 10_001; i++) {
      cookie.readId(fakeRequest({ cookie: `sid=${encodeURIComponent(sign(generateSessionId(), secret))}` }));
    }
    assert.equal(cookie.readId(fakeRequest({ cookie: header })).verified?.id, id);
  });

  it("R11: reads the secrets once: changing the caller's array later changes nothing, remembered values or not", () => {
    const oldSecret = randomToken();
    const secrets = [secret, oldSecret];
    const cookie = sessionCookie({ secrets });
    const header = (id: string) => ({ cookie: `sid=${encodeURIComponent(sign(id, oldSecret))}` });
    const remembered = generateSessionId();
    const unseen = generateSessionId();
    assert.equal(cookie.readId(fakeRequest(header(remembered))).verified?.id, remembered);
    secrets.splice(0, 2, randomToken()); // "rotation" by editing the array in place: not supported
    // One answer for every value signed with a secret (remembered or not), and the same signing secret:
    // a live array would revoke only the values not remembered yet, and sign with a secret never checked.
    assert.equal(cookie.readId(fakeRequest(header(remembered))).verified?.id, remembered);
    assert.equal(cookie.readId(fakeRequest(header(unseen))).verified?.id, unseen);
    const req = fakeRequest();
    const res = new ServerResponse(req);
    const id = generateSessionId();
    cookie.write(req, res, id, 60);
    assert.ok(String(res.getHeader("set-cookie")).startsWith(`sid=${encodeURIComponent(sign(id, secret))};`));
  });

  it("R11: a secret left out of the list at rotation stops verifying at once, even values remembered before", () => {
    const oldSecret = randomToken();
    const value = `sid=${encodeURIComponent(sign(generateSessionId(), oldSecret))}`;
    const beforeRotation = sessionCookie({ secrets: [secret, oldSecret] });
    assert.notEqual(beforeRotation.readId(fakeRequest({ cookie: value })).verified, null);
    const afterRotation = sessionCookie({ secrets: [secret] }); // the restart with the shorter list
    assert.deepEqual(afterRotation.readId(fakeRequest({ cookie: value })), { present: true, verified: null });
  });

  it("writes one Set-Cookie per name: a second write replaces the first", () => {
    const cookie = sessionCookie();
    const req = fakeRequest();
    const res = new ServerResponse(req);
    cookie.write(req, res, generateSessionId(), 1800);
    cookie.clear(req, res);
    assert.deepEqual(res.getHeader("set-cookie"), ["sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax"]);
  });

  it("caps Max-Age at 400 days, the browsers' limit", () => {
    const req = fakeRequest();
    const res = new ServerResponse(req);
    sessionCookie().write(req, res, generateSessionId(), 10 ** 9);
    assert.match(String(res.getHeader("set-cookie")), /; Max-Age=34560000;/);
  });

  it("refuses a bad name or domain at start-up, not per request", () => {
    assert.throws(() => sessionCookie({ name: "bad name" }), { name: "TypeError", message: /^cookie "name" is invalid/ });
    assert.throws(() => sessionCookie({ domain: "exa mple.com" }), { name: "TypeError", message: /^cookie "domain" is invalid/ });
  });

  it("R11: refuses an empty or weak secret list at start-up, not at the first cookie it signs", () => {
    assert.throws(() => sessionCookie({ secrets: [] }), { name: "TypeError", message: /must list at least one secret/ });
    assert.throws(() => sessionCookie({ secrets: ["keyboard cat"] }), { name: "TypeError", message: /^secret "secrets\[0\]" is invalid/ });
    assert.throws(() => sessionCookie({ secrets: [secret, "keyboard cat"] }), { name: "TypeError", message: /^secret "secrets\[1\]" is invalid/ });
  });
});
