import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { localProvider } from "../../src/oauth/providers.ts";
import { accessTokenNeedsRefresh, refreshIfNeeded, refreshTokens } from "../../src/oauth/refresh.ts";
import type { OAuthTokens } from "../../src/oauth/token-response.ts";
import { jsonResponse, scriptedFetch } from "./helpers.ts";

const provider = localProvider({ baseUrl: "http://127.0.0.1:4000", clientId: "demo", redirectUri: "http://127.0.0.1:3000/authenticate" });
const tokens: OAuthTokens = {
  accessToken: "at-old", tokenType: "Bearer", expiresAtMs: 1_000_000, refreshToken: "rt-old",
  refreshTokenExpiresAtMs: 9_000_000, scope: "profile", username: "alice",
};

describe("refresh", () => {
  it("R24: refreshes within the margin before expiry, not earlier, and never for an unknown expiry", () => {
    assert.equal(accessTokenNeedsRefresh(tokens, { now: () => 1_000_000 - 60_001 }), false);
    assert.equal(accessTokenNeedsRefresh(tokens, { now: () => 1_000_000 - 60_000 }), true);
    assert.equal(accessTokenNeedsRefresh(tokens, { now: () => 2_000_000 }), true);
    assert.equal(accessTokenNeedsRefresh(tokens, { now: () => 1_000_000 - 300_000, marginSeconds: 300 }), true);
    assert.equal(accessTokenNeedsRefresh({ ...tokens, expiresAtMs: null }, { now: () => 9e15 }), false);
  });

  it("R24: a rotated refresh token replaces the old one", async () => {
    const { fetch, requests } = scriptedFetch(() =>
      jsonResponse(200, { access_token: "at-new", token_type: "Bearer", expires_in: 600, refresh_token: "rt-new" }),
    );
    const result = await refreshIfNeeded(provider, tokens, { fetch, now: () => 1_000_000 });
    assert.deepEqual(result, {
      ok: true,
      value: {
        refreshed: true,
        tokens: { ...tokens, accessToken: "at-new", expiresAtMs: 1_600_000, refreshToken: "rt-new", refreshTokenExpiresAtMs: null },
      },
    });
    assert.equal(requests.length, 1);
    assert.equal(requests[0]!.body.get("refresh_token"), "rt-old");
  });

  it("keeps the old refresh token when the provider does not rotate (RFC 6749 §6)", async () => {
    const { fetch } = scriptedFetch(() => jsonResponse(200, { access_token: "at-new", token_type: "Bearer", expires_in: 600 }));
    const result = await refreshTokens(provider, tokens, { fetch, now: () => 1_000_000 });
    assert.ok(result.ok);
    assert.equal(result.value.refreshToken, "rt-old");
    assert.equal(result.value.refreshTokenExpiresAtMs, 9_000_000);
    assert.equal(result.value.username, "alice"); // kept from the sign-in
  });

  it("does not call the provider when the token is fresh", async () => {
    const { fetch, requests } = scriptedFetch();
    const result = await refreshIfNeeded(provider, tokens, { fetch, now: () => 0 });
    assert.deepEqual(result, { ok: true, value: { tokens, refreshed: false } });
    assert.equal(requests.length, 0);
  });

  it("R24: an expired access token without a refresh token is invalid_grant: sign the user in again", async () => {
    const { fetch, requests } = scriptedFetch();
    const result = await refreshIfNeeded(provider, { ...tokens, refreshToken: null }, { fetch, now: () => 2_000_000 });
    assert.ok(!result.ok);
    assert.equal(result.error.code, "invalid_grant");
    assert.equal(requests.length, 0);
  });

  it("passes the provider's refusal through (invalid_grant: the grant was revoked)", async () => {
    const { fetch } = scriptedFetch(() => jsonResponse(400, { error: "invalid_grant" }));
    const result = await refreshTokens(provider, tokens, { fetch });
    assert.ok(!result.ok);
    assert.equal(result.error.code, "invalid_grant");
  });
});
