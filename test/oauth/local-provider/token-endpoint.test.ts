// The local provider's token endpoint: every refused request on its own (R23, R24).
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";
import { after, before, describe, it } from "node:test";
import { createClock } from "../../helpers/clock.ts";
import {
  appRedirectUri, authorizeUrl, openAuthorizePage, postForm, rfc7636Verifier, startLocalProvider, submitApproval, type RunningProvider,
} from "../helpers.ts";

const secret = "s3cr:et%+ é"; // every character RFC 6749 §2.3.1 form-encoding must handle

describe("local provider: POST /token", () => {
  const clock = createClock();
  let running: RunningProvider;
  let tokenUrl: string;
  before(async () => {
    running = await startLocalProvider({
      now: clock.now,
      clients: [
        { clientId: "demo-app", redirectUris: [appRedirectUri] },
        { clientId: "other-app", redirectUris: [appRedirectUri] },
        { clientId: "confidential", clientSecret: secret, redirectUris: [appRedirectUri] },
        { clientId: "legacy", clientSecret: secret, requirePkce: false, redirectUris: [appRedirectUri] },
      ],
    });
    tokenUrl = `${running.baseUrl}/token`;
  });
  after(() => running.close());

  async function newCode(params: Record<string, string | null> = {}): Promise<string> {
    const page = await openAuthorizePage(authorizeUrl(running.baseUrl, params));
    const response = await submitApproval(running.baseUrl, page, { pick: "alice" });
    return new URL(response.headers.get("location")!).searchParams.get("code")!;
  }
  const exchange = (code: string, extra: Record<string, string> = {}) =>
    postForm(tokenUrl, { grant_type: "authorization_code", code, redirect_uri: appRedirectUri, code_verifier: rfc7636Verifier, client_id: "demo-app", ...extra });

  async function expectError(response: Response, status: number, error: string) {
    assert.equal(response.status, status);
    assert.equal(response.headers.get("content-type"), "application/json");
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(((await response.json()) as { error: string }).error, error);
  }

  it("issues Bearer tokens for a valid code, uncached (RFC 6749 §5.1)", async () => {
    const response = await exchange(await newCode());
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(response.headers.get("pragma"), "no-cache");
    const body = (await response.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ["access_token", "token_type", "expires_in", "refresh_token", "scope"]);
    assert.equal(body.token_type, "Bearer");
    assert.equal(body.expires_in, 600);
    assert.equal(body.scope, "profile");
  });

  it("answers GET with 405 and Allow: POST", async () => {
    const response = await fetch(tokenUrl);
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
  });

  it("answers a non-form body or a malformed form with a JSON invalid_request", async () => {
    const json = await fetch(tokenUrl, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    await expectError(json, 415, "invalid_request");
    const duplicated = await fetch(tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=authorization_code&code=a&code=b&client_id=demo-app",
    });
    await expectError(duplicated, 400, "invalid_request");
    const badEscape = await fetch(tokenUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "code=%E0%A4%A" });
    await expectError(badEscape, 400, "invalid_request");
  });

  describe("client authentication (RFC 6749 §2.3)", () => {
    it("refuses an unknown or missing client with 401 invalid_client and a challenge", async () => {
      for (const fields of [{ client_id: "evil" }, {}] as Record<string, string>[]) {
        const response = await postForm(tokenUrl, { grant_type: "authorization_code", code: "x", ...fields });
        assert.equal(response.headers.get("www-authenticate"), 'Basic realm="local-provider"');
        await expectError(response, 401, "invalid_client");
      }
    });

    it("refuses a confidential client without its secret, with a wrong one, or with a malformed Basic header", async () => {
      await expectError(await postForm(tokenUrl, { grant_type: "authorization_code", code: "x", client_id: "confidential" }), 401, "invalid_client");
      await expectError(await postForm(tokenUrl, { grant_type: "authorization_code", code: "x" }, ["confidential", "wrong"]), 401, "invalid_client");
      await expectError(await postForm(tokenUrl, { grant_type: "authorization_code", code: "x", client_id: "confidential", client_secret: `${secret} ` }), 401, "invalid_client");
      const malformed = await fetch(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: "Basic !!!" },
        body: "grant_type=authorization_code&code=x",
      });
      await expectError(malformed, 401, "invalid_client");
      // Unencoded credentials (a client that skipped §2.3.1's form-encoding) do not authenticate.
      const raw = await fetch(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from(`confidential:${secret}`).toString("base64")}` },
        body: "grant_type=authorization_code&code=x",
      });
      await expectError(raw, 401, "invalid_client");
    });

    it("compares client secrets with crypto.timingSafeEqual, never ===, for the right secret and a wrong one alike", async (t) => {
      // The answers would be the same with ===; only the timing would leak how much of a guessed secret matched.
      const spy = t.mock.method(crypto, "timingSafeEqual");
      syncBuiltinESMExports();
      try {
        const secretCompares = () => spy.mock.calls.filter((call) => call.arguments.some((bytes) => Buffer.from(secret).equals(bytes as Buffer))).length;
        const form = { grant_type: "authorization_code", code: "unknown", client_id: "confidential" };
        await expectError(await postForm(tokenUrl, { ...form, client_secret: secret }), 400, "invalid_grant"); // authenticated; the code is not
        assert.equal(secretCompares(), 1);
        const wrong = `S${secret.slice(1)}`; // as many bytes, one character off
        await expectError(await postForm(tokenUrl, { ...form, client_secret: wrong }), 401, "invalid_client");
        assert.equal(secretCompares(), 2);
      } finally {
        t.mock.restoreAll();
        syncBuiltinESMExports();
      }
    });

    it("refuses two authentication methods at once, or a body client_id that contradicts Basic", async () => {
      await expectError(await postForm(tokenUrl, { grant_type: "authorization_code", code: "x", client_secret: secret }, ["confidential", secret]), 400, "invalid_request");
      await expectError(await postForm(tokenUrl, { grant_type: "authorization_code", code: "x", client_id: "demo-app" }, ["confidential", secret]), 400, "invalid_request");
    });

    it("refuses a secret from a public client", async () => {
      await expectError(await postForm(tokenUrl, { grant_type: "authorization_code", code: "x", client_id: "demo-app", client_secret: "guess" }), 401, "invalid_client");
    });

    it("accepts a confidential client by Basic (form-encoded) and by client_secret_post", async () => {
      const basic = await postForm(tokenUrl, { grant_type: "authorization_code", code: await newCode({ client_id: "confidential" }), redirect_uri: appRedirectUri, code_verifier: rfc7636Verifier }, ["confidential", secret]);
      assert.equal(basic.status, 200);
      const post = await postForm(tokenUrl, {
        grant_type: "authorization_code", code: await newCode({ client_id: "confidential" }), redirect_uri: appRedirectUri, code_verifier: rfc7636Verifier,
        client_id: "confidential", client_secret: secret,
      });
      assert.equal(post.status, 200);
    });
  });

  describe("grant_type=authorization_code", () => {
    it("refuses a missing grant_type, an unsupported grant_type, and a missing code", async () => {
      await expectError(await postForm(tokenUrl, { client_id: "demo-app", code: "x" }), 400, "invalid_request");
      for (const grant of ["password", "client_credentials", "implicit", "urn:ietf:params:oauth:grant-type:device_code"]) {
        await expectError(await postForm(tokenUrl, { client_id: "demo-app", grant_type: grant }), 400, "unsupported_grant_type");
      }
      await expectError(await postForm(tokenUrl, { client_id: "demo-app", grant_type: "authorization_code" }), 400, "invalid_request");
    });

    it("refuses an unknown code", async () => {
      await expectError(await exchange("x".repeat(43)), 400, "invalid_grant");
    });

    it("R23: refuses a code issued to another client", async () => {
      await expectError(await exchange(await newCode(), { client_id: "other-app" }), 400, "invalid_grant");
    });

    it("R23: refuses a missing or different redirect_uri, by exact string comparison", async () => {
      for (const redirectUri of [`${appRedirectUri}/`, appRedirectUri.toUpperCase(), `${appRedirectUri}?a=1`]) {
        await expectError(await exchange(await newCode(), { redirect_uri: redirectUri }), 400, "invalid_grant");
      }
      const code = await newCode();
      const response = await postForm(tokenUrl, { grant_type: "authorization_code", code, code_verifier: rfc7636Verifier, client_id: "demo-app" });
      await expectError(response, 400, "invalid_grant");
    });

    it("R22: refuses a missing, wrong or malformed code_verifier", async () => {
      for (const verifier of [null, "A".repeat(43), rfc7636Verifier.slice(0, 42), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"]) {
        const code = await newCode();
        const fields: Record<string, string> = { grant_type: "authorization_code", code, redirect_uri: appRedirectUri, client_id: "demo-app" };
        if (verifier !== null) fields.code_verifier = verifier;
        await expectError(await postForm(tokenUrl, fields), 400, "invalid_grant");
      }
    });

    it("R23: refuses a code_verifier for a code issued without a challenge (PKCE downgrade)", async () => {
      const code = await newCode({ client_id: "legacy", code_challenge: null, code_challenge_method: null });
      const downgraded = await postForm(tokenUrl, { grant_type: "authorization_code", code, redirect_uri: appRedirectUri, code_verifier: rfc7636Verifier }, ["legacy", secret]);
      await expectError(downgraded, 400, "invalid_grant");
      const plain = await newCode({ client_id: "legacy", code_challenge: null, code_challenge_method: null });
      const ok = await postForm(tokenUrl, { grant_type: "authorization_code", code: plain, redirect_uri: appRedirectUri }, ["legacy", secret]);
      assert.equal(ok.status, 200);
    });

    it("R23: a code lives 60 seconds: just before works, at 60 s it is refused", async () => {
      const early = await newCode();
      clock.advance(59_999);
      assert.equal((await exchange(early)).status, 200);
      const late = await newCode();
      clock.advance(60_000);
      await expectError(await exchange(late), 400, "invalid_grant");
    });

    it("R23: a code is single-use: a failed attempt uses it up too", async () => {
      const code = await newCode();
      await expectError(await exchange(code, { code_verifier: "A".repeat(43) }), 400, "invalid_grant");
      await expectError(await exchange(code), 400, "invalid_grant");
    });

    it("R23: a replayed code revokes the tokens issued from it", async () => {
      const code = await newCode();
      const first = (await (await exchange(code)).json()) as { access_token: string; refresh_token: string };
      assert.equal((await fetch(`${running.baseUrl}/userinfo`, { headers: { authorization: `Bearer ${first.access_token}` } })).status, 200);
      const replay = await exchange(code);
      await expectError(replay, 400, "invalid_grant");
      assert.equal((await fetch(`${running.baseUrl}/userinfo`, { headers: { authorization: `Bearer ${first.access_token}` } })).status, 401);
      await expectError(await postForm(tokenUrl, { grant_type: "refresh_token", refresh_token: first.refresh_token, client_id: "demo-app" }), 400, "invalid_grant");
    });
  });

  describe("grant_type=refresh_token", () => {
    async function newTokens() {
      return (await (await exchange(await newCode())).json()) as { access_token: string; refresh_token: string };
    }
    const refresh = (refreshToken: string, extra: Record<string, string> = {}) =>
      postForm(tokenUrl, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: "demo-app", ...extra });

    it("R24: rotates: a new access and refresh token each time", async () => {
      const tokens = await newTokens();
      const response = await refresh(tokens.refresh_token);
      assert.equal(response.status, 200);
      const next = (await response.json()) as { access_token: string; refresh_token: string };
      assert.notEqual(next.refresh_token, tokens.refresh_token);
      assert.notEqual(next.access_token, tokens.access_token);
      assert.equal((await refresh(next.refresh_token, { scope: "profile" })).status, 200);
    });

    it("refuses a missing or unknown refresh token", async () => {
      await expectError(await postForm(tokenUrl, { grant_type: "refresh_token", client_id: "demo-app" }), 400, "invalid_request");
      await expectError(await refresh("x".repeat(43)), 400, "invalid_grant");
    });

    it("refuses another client's refresh token", async () => {
      const tokens = await newTokens();
      await expectError(await refresh(tokens.refresh_token, { client_id: "other-app" }), 400, "invalid_grant");
    });

    it("refuses a wider scope than granted", async () => {
      const tokens = await newTokens();
      await expectError(await refresh(tokens.refresh_token, { scope: "profile admin" }), 400, "invalid_scope");
    });

    it("R24: reuse of a rotated refresh token revokes the whole family", async () => {
      const tokens = await newTokens();
      const next = (await (await refresh(tokens.refresh_token)).json()) as { access_token: string; refresh_token: string };
      await expectError(await refresh(tokens.refresh_token), 400, "invalid_grant");
      await expectError(await refresh(next.refresh_token), 400, "invalid_grant");
      assert.equal((await fetch(`${running.baseUrl}/userinfo`, { headers: { authorization: `Bearer ${next.access_token}` } })).status, 401);
    });

    it("refuses a refresh token past its 30-day lifetime", async () => {
      const tokens = await newTokens();
      clock.advance(30 * 24 * 3600 * 1000);
      await expectError(await refresh(tokens.refresh_token), 400, "invalid_grant");
    });
  });
});
