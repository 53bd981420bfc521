import assert from "node:assert/strict";
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { describe, it } from "node:test";
import type { PendingAuthorization } from "../../src/oauth/authorization-request.ts";
import { stateMaxAgeSeconds, validateCallback } from "../../src/oauth/callback.ts";
import { OAuthCallbackError } from "../../src/oauth/errors.ts";

const pending: PendingAuthorization = {
  state: "Qm9vdHN0cmFwLXN0YXRlLTI1Ni1iaXRzLW9mLXJhbmRvbQ",
  codeVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
  createdAtMs: 1_000_000,
  redirectUri: "https://app.example/authenticate",
  issuer: "https://id.example",
  issuerRequired: true,
};
const now = () => pending.createdAtMs + 5_000;
const query = (fields: string) => new URLSearchParams(fields);
const good = `state=${pending.state}&code=abc&iss=${encodeURIComponent(pending.issuer!)}`;

describe("validateCallback", () => {
  it("R22: accepts a callback with the pending state, a code and the expected iss", () => {
    assert.deepEqual(validateCallback(query(good), pending, { now }), { ok: true, value: { code: "abc", pending } });
  });

  const rejections: Array<[string, string, PendingAuthorization | null | undefined, string]> = [
    ["R22: no pending sign-in in this session (or its state was used already)", good, undefined, "no_pending_sign_in"],
    ["R22: a null pending sign-in", good, null, "no_pending_sign_in"],
    ["R22: a missing state", `code=abc&iss=${encodeURIComponent(pending.issuer!)}`, pending, "missing_state"],
    ["R22: an empty state", `state=&code=abc`, pending, "missing_state"],
    ["R22: another sign-in's state (login CSRF)", `state=AAAA${pending.state.slice(4)}&code=abc&iss=https%3A%2F%2Fid.example`, pending, "state_mismatch"],
    ["R22: a state with an extra character", `state=${pending.state}x&code=abc&iss=https%3A%2F%2Fid.example`, pending, "state_mismatch"],
    ["R22: a state of a different length, in non-ASCII", `state=%C3%A9&code=abc`, pending, "state_mismatch"],
    ["a duplicated state parameter", `${good}&state=${pending.state}`, pending, "malformed_callback"],
    ["a duplicated code parameter (parameter pollution)", `${good}&code=evil`, pending, "malformed_callback"],
    ["a duplicated iss parameter (a second issuer must not hide behind the first)", `${good}&iss=https%3A%2F%2Fevil.example`, pending, "malformed_callback"],
    ["a duplicated error parameter", `state=${pending.state}&iss=https%3A%2F%2Fid.example&error=access_denied&error=server_error`, pending, "malformed_callback"],
    ["R22: an iss of another provider (mix-up attack, RFC 9207)", `state=${pending.state}&code=abc&iss=https%3A%2F%2Fevil.example`, pending, "issuer_mismatch"],
    ["R22: an iss differing by a trailing slash", `state=${pending.state}&code=abc&iss=https%3A%2F%2Fid.example%2F`, pending, "issuer_mismatch"],
    ["R22: an iss that is the expected issuer cut short", `state=${pending.state}&code=abc&iss=${encodeURIComponent(pending.issuer!.slice(0, -1))}`, pending, "issuer_mismatch"],
    ["a missing iss from a provider that always sends one", `state=${pending.state}&code=abc`, pending, "missing_issuer"],
    ["R22: a provider error= response", `state=${pending.state}&error=access_denied&iss=https%3A%2F%2Fid.example`, pending, "provider_error"],
    ["a missing code", `state=${pending.state}&iss=https%3A%2F%2Fid.example`, pending, "missing_code"],
    ["an empty code", `state=${pending.state}&code=&iss=https%3A%2F%2Fid.example`, pending, "missing_code"],
  ];
  for (const [name, fields, pendingValue, code] of rejections) {
    const title = name.startsWith("R22: ") ? `R22: refuses ${name.slice(5)}` : `refuses ${name}`;
    it(`${title} → ${code}`, () => {
      const result = validateCallback(query(fields), pendingValue, { now });
      assert.ok(!result.ok);
      assert.ok(result.error instanceof OAuthCallbackError);
      assert.equal(result.error.code, code);
      assert.equal(result.error.httpStatus, 400);
    });
  }

  it("R22: refuses a state older than 10 minutes, and accepts one exactly 10 minutes old", () => {
    const at = (ms: number) => () => pending.createdAtMs + ms;
    assert.ok(validateCallback(query(good), pending, { now: at(stateMaxAgeSeconds * 1000) }).ok);
    const late = validateCallback(query(good), pending, { now: at(stateMaxAgeSeconds * 1000 + 1) });
    assert.ok(!late.ok);
    assert.equal(late.error.code, "state_expired");
    assert.equal(late.error.publicMessage, "The sign-in took too long. Please start the sign-in again.");
  });

  it("R22: treats a pending sign-in without a usable creation time (a damaged session) as expired", () => {
    for (const createdAtMs of [Number.NaN, undefined as unknown as number]) {
      const result = validateCallback(query(good), { ...pending, createdAtMs }, { now });
      assert.ok(!result.ok);
      assert.equal(result.error.code, "state_expired", String(createdAtMs));
    }
  });

  it("R22: compares states with crypto.timingSafeEqual, never ===, for the right state and a wrong one alike", (t) => {
    // The answers would be the same with ===; only the timing would leak how much of a guessed state matched.
    const spy = t.mock.method(crypto, "timingSafeEqual");
    syncBuiltinESMExports();
    try {
      assert.ok(validateCallback(query(good), pending, { now }).ok);
      assert.equal(spy.mock.callCount(), 1);
      const last = pending.state.at(-1) === "A" ? "B" : "A";
      const wrong = validateCallback(query(`state=${pending.state.slice(0, -1)}${last}&code=abc`), pending, { now });
      assert.ok(!wrong.ok);
      assert.equal(wrong.error.code, "state_mismatch");
      assert.equal(spy.mock.callCount(), 2);
    } finally {
      t.mock.restoreAll();
      syncBuiltinESMExports();
    }
  });

  it("checks state before error=: a forged error cannot end someone else's sign-in", () => {
    const result = validateCallback(query("state=forged&error=access_denied"), pending, { now });
    assert.ok(!result.ok);
    assert.equal(result.error.code, "state_mismatch");
  });

  it("tells a user who declined, and keeps attacker text out of the error", () => {
    const declined = validateCallback(query(`state=${pending.state}&error=access_denied&iss=https%3A%2F%2Fid.example`), pending, { now });
    assert.ok(!declined.ok && declined.error instanceof OAuthCallbackError);
    assert.equal(declined.error.publicMessage, "You declined the sign-in.");
    assert.equal(declined.error.providerError, "access_denied");
    const hostile = `<script>alert(1)</script>${"x".repeat(100)}\r\nSet-Cookie: a=b`;
    const forged = validateCallback(query(`state=${pending.state}&iss=https%3A%2F%2Fid.example&error=${encodeURIComponent(hostile)}&error_description=${encodeURIComponent(hostile)}`), pending, { now });
    assert.ok(!forged.ok && forged.error instanceof OAuthCallbackError);
    assert.equal(forged.error.providerError, "invalid");
    assert.equal(forged.error.publicMessage, "The sign-in provider reported an error. Please start the sign-in again.");
    assert.ok(!forged.error.message.includes("script"));
  });

  it("accepts a callback without iss when the provider is not known to send one", () => {
    const arcgisPending = { ...pending, issuer: null, issuerRequired: false };
    assert.ok(validateCallback(query(`state=${pending.state}&code=abc`), arcgisPending, { now }).ok);
    // ...and still ignores an iss it has nothing to compare with (RFC 9207 §2.4 applies to known issuers).
    assert.ok(validateCallback(query(`state=${pending.state}&code=abc&iss=https%3A%2F%2Fx.example`), arcgisPending, { now }).ok);
  });
});
