import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { customProvider } from "../../src/oauth/providers.ts";
import type { OAuthTokens } from "../../src/oauth/token-response.ts";
import { fetchUser, userFromClaims } from "../../src/oauth/userinfo.ts";
import { jsonResponse, scriptedFetch } from "./helpers.ts";

const base = {
  clientId: "app",
  redirectUri: "https://app.example/authenticate",
  authorizationEndpoint: "https://id.example/authorize",
  tokenEndpoint: "https://id.example/token",
};
const tokens: OAuthTokens = {
  accessToken: "at-1", tokenType: "Bearer", expiresAtMs: null, refreshToken: null, refreshTokenExpiresAtMs: null, scope: null, username: null,
};

describe("userinfo", () => {
  it("takes preferred_username, else name, else sub; the subject is sub when given", () => {
    assert.deepEqual(userFromClaims({ sub: "u-1", name: "Ada L", preferred_username: "ada" }), { username: "ada", subject: "u-1" });
    assert.deepEqual(userFromClaims({ sub: "u-1", name: "Ada L" }), { username: "Ada L", subject: "u-1" });
    assert.deepEqual(userFromClaims({ sub: "u-1" }), { username: "u-1", subject: "u-1" });
    assert.deepEqual(userFromClaims({ name: "Ada" }), { username: "Ada", subject: "Ada" });
    assert.equal(userFromClaims({}), null);
  });

  it("skips unusable claims: non-strings, empty, control characters, absurd lengths", () => {
    assert.deepEqual(userFromClaims({ preferred_username: 42, name: "  ", sub: "s" }), { username: "s", subject: "s" });
    assert.deepEqual(userFromClaims({ preferred_username: "a\u0000b", name: "x".repeat(257), sub: "s" }), { username: "s", subject: "s" });
    assert.deepEqual(userFromClaims({ preferred_username: "  </p><script>  " }), { username: "</p><script>", subject: "</p><script>" });
  });

  it("uses the username from the token response without calling userinfo (ArcGIS)", async () => {
    const { fetch, requests } = scriptedFetch();
    const result = await fetchUser(customProvider({ ...base, userinfoEndpoint: "https://id.example/userinfo" }), { ...tokens, username: "jsmith" }, { fetch });
    assert.deepEqual(result, { ok: true, value: { username: "jsmith", subject: "jsmith" } });
    assert.equal(requests.length, 0);
  });

  it("calls the userinfo endpoint with the access token as a Bearer header", async () => {
    const { fetch, requests } = scriptedFetch(() => jsonResponse(200, { sub: "248289761001", preferred_username: "j.doe" }));
    const result = await fetchUser(customProvider({ ...base, userinfoEndpoint: "https://id.example/userinfo" }), tokens, { fetch });
    assert.deepEqual(result, { ok: true, value: { username: "j.doe", subject: "248289761001" } });
    assert.equal(requests[0]!.method, "GET");
    assert.equal(requests[0]!.url, "https://id.example/userinfo");
    assert.equal(requests[0]!.headers.authorization, "Bearer at-1");
  });

  it("fails clearly when the provider never says who signed in", async () => {
    const none = await fetchUser(customProvider(base), tokens);
    assert.ok(!none.ok);
    assert.equal(
      none.error.message,
      "the sign-in provider did not answer as expected: malformed_response: the token response has no username and no userinfo endpoint is configured (set USERINFO_ENDPOINT)",
    );
    const { fetch } = scriptedFetch(() => jsonResponse(200, { email: "a@b.example" }), () => jsonResponse(401, { error: "invalid_token" }));
    const provider = customProvider({ ...base, userinfoEndpoint: "https://id.example/userinfo" });
    const noClaims = await fetchUser(provider, tokens, { fetch });
    assert.ok(!noClaims.ok);
    assert.equal(noClaims.error.code, "malformed_response");
    const refused = await fetchUser(provider, tokens, { fetch });
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, "invalid_token");
  });
});
