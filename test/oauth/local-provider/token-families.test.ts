// Token families without HTTP: rotation, reuse detection, revocation, bounded memory.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  liveAccessTokensPerGrant,
  retiredRefreshTokensRemembered,
  TokenFamilies,
} from "../../../src/oauth/local-provider/token-families.ts";
import { createClock } from "../../helpers/clock.ts";

const grant = { clientId: "app", username: "alice", scope: "profile" };

function families(maxEntries?: number) {
  const clock = createClock();
  return { clock, store: new TokenFamilies({ now: clock.now, accessTokenLifetimeSeconds: 600, refreshTokenLifetimeSeconds: 3600, maxEntries }) };
}

describe("TokenFamilies", () => {
  it("R24: rotation retires the used refresh token; its reuse revokes the family", () => {
    const { store } = families();
    const { tokens } = store.start(grant);
    const next = store.refresh(tokens.refreshToken, "app");
    assert.ok(next.ok);
    assert.deepEqual(store.refresh(tokens.refreshToken, "app"), {
      ok: false, error: "invalid_grant", description: "the refresh token was already used; all tokens of this grant are revoked",
    });
    assert.equal(store.lookupAccessToken(next.tokens.accessToken), null);
    assert.equal(store.refresh(next.tokens.refreshToken, "app").ok, false);
  });

  it("R24: access tokens expire after their lifetime; refresh tokens keep the family's lifetime", () => {
    const { clock, store } = families();
    const { tokens } = store.start(grant);
    clock.advance(599_999);
    assert.deepEqual(store.lookupAccessToken(tokens.accessToken), grant);
    clock.advance(1);
    assert.equal(store.lookupAccessToken(tokens.accessToken), null);
    const next = store.refresh(tokens.refreshToken, "app");
    assert.ok(next.ok);
    clock.advance(3600_000);
    assert.deepEqual(store.refresh(next.tokens.refreshToken, "app"), { ok: false, error: "invalid_grant", description: "the refresh token has expired" });
  });

  it("revoking is bound to the client: another client's token is refused and keeps working", () => {
    const { store } = families();
    const { tokens } = store.start(grant);
    assert.equal(store.revoke(tokens.refreshToken, "evil"), "other_client");
    assert.notEqual(store.lookupAccessToken(tokens.accessToken), null);
    assert.equal(store.revoke(tokens.refreshToken, "app"), "revoked");
    assert.equal(store.lookupAccessToken(tokens.accessToken), null);
    assert.equal(store.revoke("unknown", "app"), "revoked");
  });

  it("stays bounded while one grant rotates without end: old retired tokens and superseded access tokens are forgotten", () => {
    const { store } = families();
    let { tokens } = store.start(grant);
    const first = tokens;
    for (let i = 0; i < 2_000; i++) {
      const next = store.refresh(tokens.refreshToken, "app");
      assert.ok(next.ok);
      tokens = next.tokens;
    }
    // One live refresh token, the retired ones still watched for reuse, the newest access tokens.
    assert.ok(store.size <= 1 + retiredRefreshTokensRemembered + liveAccessTokensPerGrant, `size ${store.size}`);
    assert.equal(store.lookupAccessToken(first.accessToken), null); // superseded long ago
    assert.deepEqual(store.lookupAccessToken(tokens.accessToken), grant);
    // A retired token from before the watch window is unknown: refused, but the grant lives on.
    assert.deepEqual(store.refresh(first.refreshToken, "app"), { ok: false, error: "invalid_grant", description: "the refresh token is unknown or revoked" });
    assert.deepEqual(store.lookupAccessToken(tokens.accessToken), grant);
  });

  it("R24: still detects reuse of any of the last retired refresh tokens", () => {
    const { store } = families();
    let { tokens } = store.start(grant);
    const retired: string[] = [];
    for (let i = 0; i < retiredRefreshTokensRemembered; i++) {
      retired.push(tokens.refreshToken);
      const next = store.refresh(tokens.refreshToken, "app");
      assert.ok(next.ok);
      tokens = next.tokens;
    }
    assert.equal(store.refresh(retired[0]!, "app").ok, false);
    assert.equal(store.lookupAccessToken(tokens.accessToken), null, "the whole grant is revoked");
    assert.equal(store.refresh(tokens.refreshToken, "app").ok, false);
  });

  it("stays bounded: past maxEntries the oldest grant is dropped", () => {
    const { store } = families(3);
    const issued = Array.from({ length: 4 }, () => store.start(grant).tokens);
    assert.equal(store.lookupAccessToken(issued[0]!.accessToken), null);
    assert.equal(store.refresh(issued[0]!.refreshToken, "app").ok, false);
    for (const tokens of issued.slice(1)) assert.notEqual(store.lookupAccessToken(tokens.accessToken), null);
  });
});
