import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createAuthorizationRequest } from "../../src/oauth/authorization-request.ts";
import { codeChallengeS256 } from "../../src/oauth/pkce.ts";
import { customProvider, localProvider } from "../../src/oauth/providers.ts";

const provider = customProvider({
  clientId: "my app",
  redirectUri: "https://app.example/callback?from=oauth",
  authorizationEndpoint: "https://id.example/authorize?tenant=t1",
  tokenEndpoint: "https://id.example/token",
  scope: "openid profile",
  issuer: "https://id.example",
});

describe("createAuthorizationRequest", () => {
  it("R22: builds the authorization URL with response_type=code, state and an S256 challenge", () => {
    const { url, pending } = createAuthorizationRequest(provider, { now: () => 1234 });
    const parsed = new URL(url);
    assert.equal(parsed.origin + parsed.pathname, "https://id.example/authorize");
    assert.deepEqual([...parsed.searchParams.keys()], [
      "tenant", "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
    ]);
    assert.equal(parsed.searchParams.get("tenant"), "t1"); // the endpoint's own query is kept (RFC 6749 §3.1)
    assert.equal(parsed.searchParams.get("response_type"), "code");
    assert.equal(parsed.searchParams.get("client_id"), "my app");
    assert.equal(parsed.searchParams.get("redirect_uri"), "https://app.example/callback?from=oauth");
    assert.equal(parsed.searchParams.get("scope"), "openid profile");
    assert.equal(parsed.searchParams.get("state"), pending.state);
    assert.equal(parsed.searchParams.get("code_challenge"), codeChallengeS256(pending.codeVerifier));
    assert.equal(parsed.searchParams.get("code_challenge_method"), "S256");
    assert.match(url, /scope=openid\+profile/); // form encoding (RFC 6749 Appendix B)
    assert.deepEqual(pending, {
      state: pending.state,
      codeVerifier: pending.codeVerifier,
      createdAtMs: 1234,
      redirectUri: "https://app.example/callback?from=oauth",
      issuer: "https://id.example",
      issuerRequired: false,
    });
  });

  it("R22: uses a fresh 256-bit state and verifier for every request, never in the URL as the verifier", () => {
    const requests = Array.from({ length: 200 }, () => createAuthorizationRequest(provider));
    assert.equal(new Set(requests.map((r) => r.pending.state)).size, 200);
    assert.equal(new Set(requests.map((r) => r.pending.codeVerifier)).size, 200);
    for (const { url, pending } of requests) {
      assert.match(pending.state, /^[A-Za-z0-9_-]{43}$/); // 32 bytes ≥ 128 bits
      assert.match(pending.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
      assert.ok(!url.includes(pending.codeVerifier));
    }
  });

  it("omits scope when the provider has none, and expects iss for the local provider", () => {
    const local = localProvider({ baseUrl: "http://127.0.0.1:4000/", clientId: "demo", redirectUri: "http://127.0.0.1:3000/authenticate", scope: "" });
    const { url, pending } = createAuthorizationRequest(local);
    assert.equal(new URL(url).searchParams.has("scope"), false);
    assert.equal(pending.issuer, "http://127.0.0.1:4000");
    assert.equal(pending.issuerRequired, true);
  });

  it("R22: keeps provider extras from replacing state, the PKCE challenge or any other protocol parameter", () => {
    const extras = {
      prompt: "login", state: "fixed", code_challenge: "chosen", code_challenge_method: "plain",
      response_type: "token", client_id: "other", redirect_uri: "https://evil.example/cb", scope: "admin",
    };
    const { url, pending } = createAuthorizationRequest({ ...provider, authorizationParams: extras });
    const params = new URL(url).searchParams;
    assert.equal(params.get("prompt"), "login"); // a harmless extra is sent
    assert.equal(params.get("state"), pending.state);
    assert.equal(params.get("code_challenge"), codeChallengeS256(pending.codeVerifier));
    assert.equal(params.get("code_challenge_method"), "S256");
    assert.equal(params.get("response_type"), "code");
    assert.equal(params.get("client_id"), "my app");
    assert.equal(params.get("redirect_uri"), "https://app.example/callback?from=oauth");
    assert.equal(params.get("scope"), "openid profile");
    for (const name of Object.keys(extras)) assert.equal(params.getAll(name).length, 1, name);
  });
});
