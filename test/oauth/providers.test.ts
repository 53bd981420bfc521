// Presets. The ArcGIS one is checked against the ArcGIS REST API reference (no live calls: every
// request is captured by an injected fetch):
// - developers.arcgis.com/rest/users-groups-and-items/authorize.htm
// - developers.arcgis.com/rest/users-groups-and-items/token.htm
// - developers.arcgis.com/rest/users-groups-and-items/revoke-token.htm
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createOAuthClient } from "../../src/oauth/client.ts";
import { arcgisProvider, customProvider, endpointUrlProblem, localProvider } from "../../src/oauth/providers.ts";
import { jsonResponse, scriptedFetch } from "./helpers.ts";

const arcgis = arcgisProvider({ clientId: "GGjeDjEY6kKEiDmX", redirectUri: "http://localhost:3000/authenticate" });

describe("arcgis preset (ArcGIS REST API reference)", () => {
  it("has the ArcGIS Online endpoints", () => {
    assert.equal(arcgis.authorizationEndpoint, "https://www.arcgis.com/sharing/rest/oauth2/authorize");
    assert.equal(arcgis.tokenEndpoint, "https://www.arcgis.com/sharing/rest/oauth2/token");
    assert.equal(arcgis.revocationEndpoint, "https://www.arcgis.com/sharing/rest/oauth2/revokeToken");
    assert.equal(arcgis.userinfoEndpoint, null);
  });

  it("authorize.htm: client_id, response_type=code, redirect_uri, expiration in minutes, state and PKCE S256", () => {
    const { url, pending } = createOAuthClient(arcgis).startSignIn();
    const parsed = new URL(url);
    assert.equal(`${parsed.origin}${parsed.pathname}`, "https://www.arcgis.com/sharing/rest/oauth2/authorize");
    assert.deepEqual(Object.fromEntries(parsed.searchParams), {
      expiration: "20160", // 2 weeks, the refresh token's lifetime (arcgis-rest-js default)
      response_type: "code",
      client_id: "GGjeDjEY6kKEiDmX",
      redirect_uri: "http://localhost:3000/authenticate",
      state: pending.state,
      code_challenge: parsed.searchParams.get("code_challenge"),
      code_challenge_method: "S256",
    });
    assert.equal(parsed.searchParams.has("scope"), false);
    assert.equal(pending.issuerRequired, false); // ArcGIS sends no iss
  });

  it("R24: token.htm: the code exchange, the username from the token response, and exchange_refresh_token rotation", async () => {
    const { fetch, requests } = scriptedFetch(
      () => jsonResponse(200, { access_token: "at-1", expires_in: 1800, username: "jsmith", ssl: true, refresh_token: "rt-1", refresh_token_expires_in: 1209599 }),
      () => jsonResponse(200, { access_token: "at-2", expires_in: 1800, username: "jsmith", ssl: true, refresh_token: "rt-2", refresh_token_expires_in: 1209599 }),
      () => jsonResponse(200, { success: true }),
    );
    const recorded = createOAuthClient(arcgis, { now: () => 1_000_000, fetch });
    const { pending } = recorded.startSignIn();
    const signedIn = await recorded.finishSignIn(new URLSearchParams({ state: pending.state, code: "the-code" }), pending);
    assert.ok(signedIn.ok);
    assert.deepEqual(signedIn.value.user, { username: "jsmith", subject: "jsmith" });
    assert.equal(signedIn.value.tokens.expiresAtMs, 1_000_000 + 1_800_000); // ~30-minute access tokens
    assert.equal(requests[0]!.url, "https://www.arcgis.com/sharing/rest/oauth2/token");
    assert.equal(requests[0]!.method, "POST");
    assert.deepEqual(Object.fromEntries(requests[0]!.body), {
      grant_type: "authorization_code",
      code: "the-code",
      redirect_uri: "http://localhost:3000/authenticate",
      code_verifier: pending.codeVerifier,
      client_id: "GGjeDjEY6kKEiDmX",
      f: "json",
    });
    assert.equal(requests.length, 1); // no userinfo call: the username came with the tokens

    const refreshed = await recorded.refreshIfNeeded({ ...signedIn.value.tokens, expiresAtMs: 1_000_000 });
    assert.ok(refreshed.ok && refreshed.value.refreshed);
    assert.equal(refreshed.value.tokens.refreshToken, "rt-2");
    // exchange_refresh_token: client_id, redirect_uri, refresh_token; a new refresh token, the old one invalidated.
    assert.deepEqual(Object.fromEntries(requests[1]!.body), {
      grant_type: "exchange_refresh_token",
      refresh_token: "rt-1",
      redirect_uri: "http://localhost:3000/authenticate",
      client_id: "GGjeDjEY6kKEiDmX",
      f: "json",
    });

    const signedOut = await recorded.signOut(refreshed.value.tokens);
    assert.deepEqual(signedOut, { ok: true, value: { revoked: true } });
    assert.equal(requests[2]!.url, "https://www.arcgis.com/sharing/rest/oauth2/revokeToken");
    assert.equal(requests[2]!.method, "POST");
    // revoke-token.htm: auth_token (not RFC 7009's token), token_type_hint, client_id.
    assert.deepEqual(Object.fromEntries(requests[2]!.body), {
      auth_token: "rt-2",
      token_type_hint: "refresh_token",
      client_id: "GGjeDjEY6kKEiDmX",
      f: "json",
    });
  });

  it("sends the client secret in the form body when one is configured (never as Basic)", async () => {
    const { fetch, requests } = scriptedFetch(() => jsonResponse(200, { access_token: "at", expires_in: 1800, username: "u" }));
    const provider = arcgisProvider({ clientId: "id", clientSecret: "secret", redirectUri: "https://app.example/authenticate" });
    const client = createOAuthClient(provider, { fetch });
    const { pending } = client.startSignIn();
    await client.finishSignIn(new URLSearchParams({ state: pending.state, code: "c" }), pending);
    assert.equal(requests[0]!.headers.authorization, undefined);
    assert.equal(requests[0]!.body.get("client_secret"), "secret");
  });

  it("treats ArcGIS's 200-with-error answers as failures, at the token and the revocation endpoint", async () => {
    const { fetch } = scriptedFetch(
      () => jsonResponse(200, { error: { code: 400, error: "invalid_request", error_description: "Invalid redirect_uri", message: "Invalid redirect_uri", details: [] } }),
      () => jsonResponse(200, { error: { code: 400, message: "Unable to revoke token.", details: [] } }),
      () => jsonResponse(200, { success: false }),
    );
    const client = createOAuthClient(arcgis, { fetch });
    const { pending } = client.startSignIn();
    const signIn = await client.finishSignIn(new URLSearchParams({ state: pending.state, code: "c" }), pending);
    assert.ok(!signIn.ok);
    assert.equal(signIn.error.code, "invalid_request");
    const tokens = { accessToken: "a", tokenType: "Bearer" as const, expiresAtMs: null, refreshToken: "r", refreshTokenExpiresAtMs: null, scope: null, username: "u" };
    const revokeError = await client.signOut(tokens);
    assert.ok(!revokeError.ok);
    assert.equal(revokeError.error.code, "400");
    const notSuccess = await client.signOut(tokens);
    assert.ok(!notSuccess.ok);
    assert.equal(notSuccess.error.code, "malformed_response");
  });

  it("refuses a portal URL that is not the portal's REST root (…/sharing/rest), naming the option", () => {
    for (const portalUrl of ["https://gis.example.com/portal", "https://www.arcgis.com", "https://gis.example.com/portal/sharing/rest?f=json"]) {
      assert.throws(() => arcgisProvider({ clientId: "id", redirectUri: "https://app.example/authenticate", portalUrl }), {
        name: "TypeError",
        message: `oauth "portalUrl" is invalid: must be the portal's REST root, ending in /sharing/rest (e.g. "https://gis.example.com/portal/sharing/rest"), got "${portalUrl}"`,
      });
    }
    const org = arcgisProvider({ clientId: "id", redirectUri: "https://app.example/authenticate", portalUrl: "https://myorg.maps.arcgis.com/sharing/rest" });
    assert.equal(org.revocationEndpoint, "https://myorg.maps.arcgis.com/sharing/rest/oauth2/revokeToken");
  });

  it("uses an ArcGIS Enterprise portal URL and a custom expiration", () => {
    const enterprise = arcgisProvider({
      clientId: "id",
      redirectUri: "https://app.example/authenticate",
      portalUrl: "https://gis.example.com/portal/sharing/rest/",
      expirationMinutes: 43200,
    });
    assert.equal(enterprise.tokenEndpoint, "https://gis.example.com/portal/sharing/rest/oauth2/token");
    assert.equal(enterprise.authorizationParams.expiration, "43200");
    assert.throws(() => arcgisProvider({ clientId: "id", redirectUri: "https://a.example/cb", expirationMinutes: 0.5 }), {
      name: "TypeError",
      message: 'arcgis "expirationMinutes" is invalid: must be a whole number of minutes above 0',
    });
  });
});

describe("local and custom presets", () => {
  it("local: endpoints under the base URL, the base URL as issuer, iss always expected", () => {
    const local = localProvider({ baseUrl: "http://127.0.0.1:4000/", clientId: "demo", redirectUri: "http://127.0.0.1:3000/authenticate" });
    assert.deepEqual(
      [local.authorizationEndpoint, local.tokenEndpoint, local.revocationEndpoint, local.userinfoEndpoint, local.issuer, local.issuerInCallback],
      ["http://127.0.0.1:4000/authorize", "http://127.0.0.1:4000/token", "http://127.0.0.1:4000/revoke", "http://127.0.0.1:4000/userinfo", "http://127.0.0.1:4000", true],
    );
  });

  it("custom: every endpoint from the options, client_secret_basic by default", () => {
    const custom = customProvider({
      clientId: "c", clientSecret: "s", redirectUri: "https://app.example/cb", authorizationEndpoint: "https://id.example/a",
      tokenEndpoint: "https://id.example/t", revocationEndpoint: "https://id.example/r", userinfoEndpoint: "https://id.example/u",
      scope: " openid profile ", issuer: "https://id.example",
    });
    assert.equal(custom.tokenEndpointAuthMethod, "client_secret_basic");
    assert.equal(custom.scope, "openid profile");
    assert.equal(custom.revocationEndpoint, "https://id.example/r");
    assert.equal(custom.issuerInCallback, false);
  });

  const badUrls: Array<[unknown, RegExp]> = [
    ["id.example/token", /must be an absolute URL/],
    ["", /must be an absolute URL/],
    [undefined, /must be an absolute URL/],
    ["http://id.example/token", /must use https:\/\//],
    ["ftp://id.example/token", /must use https:\/\//],
    ["javascript:alert(1)", /must use https:\/\//],
    ["https://id.example/token#frag", /must not contain a fragment/],
    ["https://id.example/token#", /must not contain a fragment/],
    ["https://user:pw@id.example/token", /must not contain a user name or password/],
  ];
  for (const [value, message] of badUrls) {
    it(`refuses the endpoint ${JSON.stringify(value)}`, () => {
      assert.match(endpointUrlProblem(value) ?? "", message);
    });
  }

  it("never echoes a password from the URL, whatever else is wrong with it", () => {
    for (const value of ["http://user:hunter2-secret@id.example/token", "https://user:hunter2-secret@id.example/token#x"]) {
      assert.equal(endpointUrlProblem(value), "must not contain a user name or password", value);
    }
  });

  it("allows http only for loopback hosts", () => {
    for (const url of ["http://localhost:3000/cb", "http://127.0.0.1:3000/cb", "http://[::1]:3000/cb"]) assert.equal(endpointUrlProblem(url), null);
  });

  it("throws a TypeError naming the option at start-up", () => {
    assert.throws(
      () => customProvider({ clientId: "c", redirectUri: "https://app.example/cb", authorizationEndpoint: "https://id.example/a", tokenEndpoint: "http://id.example/t" }),
      { name: "TypeError", message: 'oauth "tokenEndpoint" is invalid: must use https:// (http:// only for localhost) so codes and tokens are not sent in clear text (RFC 6749 §3.1), got "http://id.example/t"' },
    );
    assert.throws(
      () => customProvider({ clientId: "c", redirectUri: "https://app.example/cb", authorizationEndpoint: "https://id.example/a", tokenEndpoint: "https://id.example/t", issuer: "http://id.example" }),
      { name: "TypeError", message: 'oauth "issuer" is invalid: must use https:// (http:// only for localhost) so codes and tokens are not sent in clear text (RFC 6749 §3.1), got "http://id.example"' },
    );
    assert.throws(() => arcgisProvider({ clientId: " ", redirectUri: "https://app.example/cb" }), {
      name: "TypeError",
      message: 'oauth "clientId" is invalid: must be the client ID your provider registered for this app',
    });
  });
});
