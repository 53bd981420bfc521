import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { arcgisProvider, customProvider, localProvider } from "../../src/oauth/providers.ts";
import { buildRevocationRequest, revokeGrant } from "../../src/oauth/revoke.ts";
import type { OAuthTokens } from "../../src/oauth/token-response.ts";
import { jsonResponse, scriptedFetch } from "./helpers.ts";

const provider = localProvider({ baseUrl: "http://127.0.0.1:4000", clientId: "demo", redirectUri: "http://127.0.0.1:3000/authenticate" });
const tokens: OAuthTokens = {
  accessToken: "at-1", tokenType: "Bearer", expiresAtMs: null, refreshToken: "rt-1", refreshTokenExpiresAtMs: null, scope: null, username: null,
};

describe("revocation (RFC 7009)", () => {
  it("R25: revokes the refresh token with token= and token_type_hint, authenticated as the client", () => {
    const request = buildRevocationRequest(customProvider({
      clientId: "c", clientSecret: "s", redirectUri: "https://app.example/cb", authorizationEndpoint: "https://id.example/a",
      tokenEndpoint: "https://id.example/t", revocationEndpoint: "https://id.example/revoke",
    }), "rt-1", "refresh_token");
    assert.equal(request?.url, "https://id.example/revoke");
    assert.equal(request?.method, "POST");
    assert.equal(request?.body, "token=rt-1&token_type_hint=refresh_token");
    assert.equal(request?.headers.Authorization, `Basic ${Buffer.from("c:s").toString("base64")}`);
  });

  it("R25: prefers the refresh token (its access tokens go with it, §2.1), else the access token", async () => {
    const { fetch, requests } = scriptedFetch(() => new Response(null, { status: 200 }), () => new Response(null, { status: 204 }));
    assert.deepEqual(await revokeGrant(provider, tokens, { fetch }), { ok: true, value: { revoked: true } });
    assert.deepEqual(await revokeGrant(provider, { ...tokens, refreshToken: null }, { fetch }), { ok: true, value: { revoked: true } });
    assert.equal(requests[0]!.body.get("token"), "rt-1");
    assert.equal(requests[0]!.body.get("token_type_hint"), "refresh_token");
    assert.equal(requests[1]!.body.get("token"), "at-1");
    assert.equal(requests[1]!.body.get("token_type_hint"), "access_token");
  });

  it("says 'not revoked' without a request when the provider has no revocation endpoint", async () => {
    const { fetch, requests } = scriptedFetch();
    const none = customProvider({ clientId: "c", redirectUri: "https://app.example/cb", authorizationEndpoint: "https://id.example/a", tokenEndpoint: "https://id.example/t" });
    assert.equal(buildRevocationRequest(none, "rt-1", "refresh_token"), null);
    assert.deepEqual(await revokeGrant(none, tokens, { fetch }), { ok: true, value: { revoked: false } });
    assert.equal(requests.length, 0);
  });

  it("R25: reports an error body or a 503 as a failure (the caller signs the user out anyway)", async () => {
    const { fetch } = scriptedFetch(
      () => jsonResponse(400, { error: "unsupported_token_type" }),
      () => new Response("busy", { status: 503, headers: { "retry-after": "5" } }),
      () => jsonResponse(500, { status: "down" }),
    );
    const refused = await revokeGrant(provider, tokens, { fetch });
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, "unsupported_token_type");
    const busy = await revokeGrant(provider, tokens, { fetch });
    assert.ok(!busy.ok);
    assert.equal(busy.error.code, "http_status");
    const broken = await revokeGrant(provider, tokens, { fetch });
    assert.ok(!broken.ok);
    assert.equal(broken.error.code, "http_status");
  });

  it("R25: ArcGIS: only {\"success\": true} counts as revoked; an answer without it, or with \"true\" as text, is an error", async () => {
    const arcgis = arcgisProvider({ clientId: "abc123", redirectUri: "https://app.example/authenticate" });
    const { fetch, requests } = scriptedFetch(
      () => jsonResponse(200, { success: true }),
      () => jsonResponse(200, {}),
      () => jsonResponse(200, { success: "true" }),
    );
    assert.deepEqual(await revokeGrant(arcgis, tokens, { fetch }), { ok: true, value: { revoked: true } });
    assert.equal(requests[0]!.url, "https://www.arcgis.com/sharing/rest/oauth2/revokeToken");
    assert.equal(requests[0]!.body.get("auth_token"), "rt-1");
    for (const answer of ["{}", '{"success":"true"}']) {
      const result = await revokeGrant(arcgis, tokens, { fetch });
      assert.ok(!result.ok, answer);
      assert.equal(result.error.code, "malformed_response");
    }
  });
});
