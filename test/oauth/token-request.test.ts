import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { customProvider, localProvider } from "../../src/oauth/providers.ts";
import { buildAuthorizationCodeRequest, buildRefreshRequest } from "../../src/oauth/token-request.ts";

const base = {
  clientId: "my client",
  redirectUri: "https://app.example/authenticate",
  authorizationEndpoint: "https://id.example/authorize",
  tokenEndpoint: "https://id.example/token",
};
const grant = { code: "the-code", codeVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk" };

describe("token requests", () => {
  it("a public client sends client_id in a form-encoded body with the code, redirect_uri and code_verifier", () => {
    const request = buildAuthorizationCodeRequest(customProvider(base), grant);
    assert.equal(request.url, "https://id.example/token");
    assert.equal(request.method, "POST");
    assert.deepEqual(request.headers, { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" });
    assert.equal(
      request.body,
      "grant_type=authorization_code&code=the-code&redirect_uri=https%3A%2F%2Fapp.example%2Fauthenticate&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&client_id=my+client",
    );
  });

  it("repeats the redirect URI of the authorization request exactly when given one", () => {
    const request = buildAuthorizationCodeRequest(customProvider(base), { ...grant, redirectUri: "https://app.example/authenticate?x=1" });
    assert.equal(new URLSearchParams(request.body!).get("redirect_uri"), "https://app.example/authenticate?x=1");
  });

  it("a confidential client uses HTTP Basic with form-encoded credentials (RFC 6749 §2.3.1), not the body", () => {
    const provider = customProvider({ ...base, clientSecret: "s3cr:et%+ é" });
    const request = buildAuthorizationCodeRequest(provider, grant);
    const expected = Buffer.from("my+client:s3cr%3Aet%25%2B+%C3%A9").toString("base64");
    assert.equal(request.headers.Authorization, `Basic ${expected}`);
    const body = new URLSearchParams(request.body!);
    assert.equal(body.has("client_id"), false);
    assert.equal(body.has("client_secret"), false);
  });

  it("client_secret_post puts id and secret in the body instead (one method only, RFC 6749 §2.3)", () => {
    const provider = customProvider({ ...base, clientSecret: "s3cret", tokenEndpointAuthMethod: "client_secret_post" });
    const request = buildRefreshRequest(provider, "rt-1");
    assert.equal(request.headers.Authorization, undefined);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(request.body!)), {
      grant_type: "refresh_token", refresh_token: "rt-1", client_id: "my client", client_secret: "s3cret",
    });
  });

  it("a standard refresh sends grant_type=refresh_token and the refresh token only (RFC 6749 §6)", () => {
    const provider = localProvider({ baseUrl: "http://127.0.0.1:4000", clientId: "demo", redirectUri: "http://127.0.0.1:3000/authenticate" });
    const request = buildRefreshRequest(provider, "rt-1");
    assert.equal(request.url, "http://127.0.0.1:4000/token");
    assert.deepEqual(Object.fromEntries(new URLSearchParams(request.body!)), { grant_type: "refresh_token", refresh_token: "rt-1", client_id: "demo" });
  });
});
