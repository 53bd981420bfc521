// The local provider's RFC 7009 revocation endpoint (R25).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { appRedirectUri, approveAs, authorizeUrl, postForm, rfc7636Verifier, startLocalProvider, type RunningProvider } from "../helpers.ts";

describe("local provider: POST /revoke", () => {
  let running: RunningProvider;
  before(async () => {
    running = await startLocalProvider({
      clients: [
        { clientId: "demo-app", redirectUris: [appRedirectUri] },
        { clientId: "other-app", redirectUris: [appRedirectUri] },
      ],
    });
  });
  after(() => running.close());

  async function newTokens() {
    const code = (await approveAs(running.baseUrl, authorizeUrl(running.baseUrl))).get("code")!;
    const response = await postForm(`${running.baseUrl}/token`, {
      grant_type: "authorization_code", code, redirect_uri: appRedirectUri, code_verifier: rfc7636Verifier, client_id: "demo-app",
    });
    return (await response.json()) as { access_token: string; refresh_token: string };
  }
  const revoke = (fields: Record<string, string>) => postForm(`${running.baseUrl}/revoke`, { client_id: "demo-app", ...fields });
  const userinfo = (token: string) => fetch(`${running.baseUrl}/userinfo`, { headers: { authorization: `Bearer ${token}` } });
  const refresh = (token: string) => postForm(`${running.baseUrl}/token`, { grant_type: "refresh_token", refresh_token: token, client_id: "demo-app" });

  it("R25: revoking a refresh token revokes its grant: the refresh token and its access tokens stop working", async () => {
    const tokens = await newTokens();
    const response = await revoke({ token: tokens.refresh_token, token_type_hint: "refresh_token" });
    assert.equal(response.status, 200);
    assert.equal((await refresh(tokens.refresh_token)).status, 400);
    assert.equal((await userinfo(tokens.access_token)).status, 401);
  });

  it("revoking an access token revokes only that token; a wrong hint does not matter (§2.1)", async () => {
    const tokens = await newTokens();
    assert.equal((await revoke({ token: tokens.access_token, token_type_hint: "refresh_token" })).status, 200);
    assert.equal((await userinfo(tokens.access_token)).status, 401);
    assert.equal((await refresh(tokens.refresh_token)).status, 200);
  });

  it("answers 200 for an unknown or already revoked token (§2.2)", async () => {
    assert.equal((await revoke({ token: "x".repeat(43) })).status, 200);
    const tokens = await newTokens();
    assert.equal((await revoke({ token: tokens.refresh_token })).status, 200);
    assert.equal((await revoke({ token: tokens.refresh_token })).status, 200);
  });

  it("refuses a token of another client, and leaves it working", async () => {
    const tokens = await newTokens();
    const response = await postForm(`${running.baseUrl}/revoke`, { client_id: "other-app", token: tokens.refresh_token });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: string }).error, "unauthorized_client");
    assert.equal((await userinfo(tokens.access_token)).status, 200);
  });

  it("refuses an unauthenticated client (401) and a missing token (400)", async () => {
    const unknown = await postForm(`${running.baseUrl}/revoke`, { client_id: "evil", token: "x" });
    assert.equal(unknown.status, 401);
    assert.equal(((await unknown.json()) as { error: string }).error, "invalid_client");
    const missing = await revoke({});
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: string }).error, "invalid_request");
  });
});
