// The OAuth client end to end: a tiny app (built on src/oauth/client.ts) and the bundled local
// provider, both on 127.0.0.1 port 0, talking real HTTP. The "browser" follows the redirects by hand.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { parseCookies } from "../../src/cookies/parse.ts";
import { randomToken } from "../../src/crypto/random.ts";
import { listen } from "../../src/http/listen.ts";
import type { PendingAuthorization } from "../../src/oauth/authorization-request.ts";
import { createOAuthClient, exchangeAuthorizationCode, type OAuthClient, type SignedIn } from "../../src/oauth/client.ts";
import { customProvider, localProvider, type OAuthProvider } from "../../src/oauth/providers.ts";
import { refreshTokens } from "../../src/oauth/refresh.ts";
import { createClock } from "../helpers/clock.ts";
import {
  approveAs, closeServer, jsonResponse, openAuthorizePage, scriptedFetch, startLocalProvider, submitApproval, type RunningProvider,
} from "./helpers.ts";

interface TinySession {
  pending?: PendingAuthorization;
  signedIn?: SignedIn;
}

/** The smallest app that signs in with OAuth: /sign-in, /authenticate, / and /sign-out. */
function createTinyApp(client: () => OAuthClient) {
  const sessions = new Map<string, TinySession>();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://app.invalid");
    const sid = parseCookies(req.headers.cookie).sid ?? randomToken();
    const session = sessions.get(sid) ?? {};
    sessions.set(sid, session);
    const cookie = `sid=${sid}; Path=/; HttpOnly; SameSite=Lax`;
    if (url.pathname === "/sign-in") {
      const { url: location, pending } = client().startSignIn();
      session.pending = pending;
      res.writeHead(303, { location, "set-cookie": cookie }).end();
    } else if (url.pathname === "/authenticate") {
      const pending = session.pending;
      delete session.pending; // single use, whatever happens next (R22)
      const result = await client().finishSignIn(url.searchParams, pending);
      if (!result.ok) {
        res.writeHead(result.error.httpStatus, { "referrer-policy": "no-referrer" }).end(result.error.code);
        return;
      }
      session.signedIn = result.value;
      res.writeHead(303, { location: "/", "referrer-policy": "no-referrer" }).end();
    } else if (url.pathname === "/sign-out") {
      const result = await client().signOut(session.signedIn?.tokens);
      sessions.delete(sid); // destroyed whatever the provider said (R25)
      res.writeHead(303, { location: "/", "x-revoked": String(result.ok && result.value.revoked) }).end();
    } else {
      res.end(session.signedIn ? `Hi ${session.signedIn.user.username}` : "Please sign in");
    }
  });
  return { server, sessions };
}

describe("OAuth client against the local provider, over HTTP", () => {
  const clock = createClock();
  let running: RunningProvider;
  let app: ReturnType<typeof createTinyApp>;
  let appUrl: string;
  let provider: OAuthProvider;
  let client: OAuthClient;

  before(async () => {
    running = await startLocalProvider({ clients: [{ clientId: "demo-app", redirectUris: [] }], now: clock.now });
    app = createTinyApp(() => client);
    appUrl = await listen(app.server, { port: 0, host: "127.0.0.1" });
    // The app's port is known only now: register its callback with the provider, then configure.
    running.provider.registerRedirectUri("demo-app", `${appUrl}/authenticate`);
    provider = localProvider({ baseUrl: running.baseUrl, clientId: "demo-app", redirectUri: `${appUrl}/authenticate` });
    client = createOAuthClient(provider, { now: clock.now });
  });
  after(async () => {
    await closeServer(app.server);
    await running.close();
  });

  /** Browser: /sign-in → provider page → approve → back to /authenticate. Returns the callback response. */
  async function signInThroughBrowser(username = "alice") {
    const signIn = await fetch(`${appUrl}/sign-in`, { redirect: "manual" });
    assert.equal(signIn.status, 303);
    const cookie = signIn.headers.getSetCookie()[0]!.split(";")[0]!;
    const query = await approveAs(running.baseUrl, signIn.headers.get("location")!, username);
    const callbackUrl = `${appUrl}/authenticate?${query}`;
    const callback = await fetch(callbackUrl, { redirect: "manual", headers: { cookie } });
    return { cookie, callback, callbackUrl, query };
  }

  it("R22: signs in with the authorization code flow, state and PKCE S256, and greets the user", async () => {
    const { cookie, callback, query } = await signInThroughBrowser("alice");
    assert.equal(callback.status, 303);
    assert.equal(callback.headers.get("referrer-policy"), "no-referrer");
    assert.equal(query.get("iss"), running.baseUrl);
    const home = await fetch(appUrl, { headers: { cookie } });
    assert.equal(await home.text(), "Hi alice");
    const sid = parseCookies(cookie).sid!;
    const signedIn = app.sessions.get(sid)!.signedIn!;
    assert.deepEqual(signedIn.user, { username: "alice", subject: "local:alice" });
    assert.equal(signedIn.tokens.tokenType, "Bearer");
    assert.equal(signedIn.tokens.expiresAtMs, clock.now() + 10 * 60 * 1000);
    assert.match(signedIn.tokens.refreshToken ?? "", /^[A-Za-z0-9_-]{43}$/);
  });

  it("R22: refuses a callback whose state was already used (the pending sign-in is deleted on first use)", async () => {
    const { cookie, callbackUrl } = await signInThroughBrowser();
    const again = await fetch(callbackUrl, { redirect: "manual", headers: { cookie } });
    assert.equal(again.status, 400);
    assert.equal(await again.text(), "no_pending_sign_in");
  });

  it("R22: refuses a callback with another sign-in's state, before any code is exchanged", async () => {
    const signIn = await fetch(`${appUrl}/sign-in`, { redirect: "manual" });
    const cookie = signIn.headers.getSetCookie()[0]!.split(";")[0]!;
    const query = await approveAs(running.baseUrl, signIn.headers.get("location")!);
    query.set("state", randomToken());
    const callback = await fetch(`${appUrl}/authenticate?${query}`, { redirect: "manual", headers: { cookie } });
    assert.equal(callback.status, 400);
    assert.equal(await callback.text(), "state_mismatch");
  });

  it("R22: a provider error= (the user denied) is a 400 with a clear code, not a crash", async () => {
    const signIn = await fetch(`${appUrl}/sign-in`, { redirect: "manual" });
    const cookie = signIn.headers.getSetCookie()[0]!.split(";")[0]!;
    const page = await openAuthorizePage(signIn.headers.get("location")!);
    const denied = await submitApproval(running.baseUrl, page, { decision: "deny" });
    assert.equal(denied.status, 303);
    const callback = await fetch(denied.headers.get("location")!.replace(/^.*\/authenticate/, `${appUrl}/authenticate`), {
      redirect: "manual",
      headers: { cookie },
    });
    assert.equal(callback.status, 400);
    assert.equal(await callback.text(), "provider_error");
  });

  it("R23: a replayed code is refused (invalid_grant) and the tokens issued from it are revoked", async () => {
    const { url, pending } = client.startSignIn();
    const query = await approveAs(running.baseUrl, url);
    const first = await client.finishSignIn(query, pending);
    assert.ok(first.ok);
    const replay = await exchangeAuthorizationCode(provider, query.get("code")!, pending, { now: clock.now });
    assert.ok(!replay.ok);
    assert.equal(replay.error.code, "invalid_grant");
    const reuse = await refreshTokens(provider, first.value.tokens, { now: clock.now });
    assert.ok(!reuse.ok);
    assert.equal(reuse.error.code, "invalid_grant");
    const userinfo = await fetch(`${running.baseUrl}/userinfo`, { headers: { authorization: `Bearer ${first.value.tokens.accessToken}` } });
    assert.equal(userinfo.status, 401);
  });

  it("R22: a wrong PKCE verifier gets no tokens (invalid_grant)", async () => {
    const { url, pending } = client.startSignIn();
    const query = await approveAs(running.baseUrl, url);
    const result = await client.finishSignIn(query, { ...pending, codeVerifier: randomToken() });
    assert.ok(!result.ok);
    assert.equal(result.error.code, "invalid_grant");
    assert.equal(result.error.httpStatus, 400);
  });

  it("R23: a token request whose redirect_uri differs from the authorization request gets no tokens", async () => {
    const { url, pending } = client.startSignIn();
    const query = await approveAs(running.baseUrl, url);
    const result = await client.finishSignIn(query, { ...pending, redirectUri: `${appUrl}/authenticate/` });
    assert.ok(!result.ok);
    assert.equal(result.error.code, "invalid_grant");
  });

  it("R24: refreshes an access token about to expire, rotating the refresh token", async () => {
    const { url, pending } = client.startSignIn();
    const signedIn = await client.finishSignIn(await approveAs(running.baseUrl, url), pending);
    assert.ok(signedIn.ok);
    const early = await client.refreshIfNeeded(signedIn.value.tokens);
    assert.deepEqual(early, { ok: true, value: { tokens: signedIn.value.tokens, refreshed: false } });

    clock.advance(10 * 60 * 1000 - 59_000); // within the 60-second margin of the 10-minute lifetime
    const refreshed = await client.refreshIfNeeded(signedIn.value.tokens);
    assert.ok(refreshed.ok && refreshed.value.refreshed);
    const tokens = refreshed.value.tokens;
    assert.notEqual(tokens.accessToken, signedIn.value.tokens.accessToken);
    assert.notEqual(tokens.refreshToken, signedIn.value.tokens.refreshToken);
    assert.equal(tokens.expiresAtMs, clock.now() + 10 * 60 * 1000);
    const userinfo = await fetch(`${running.baseUrl}/userinfo`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    assert.equal(userinfo.status, 200);
  });

  it("R24: reusing a rotated refresh token revokes the whole family, the newest tokens included", async () => {
    const { url, pending } = client.startSignIn();
    const signedIn = await client.finishSignIn(await approveAs(running.baseUrl, url), pending);
    assert.ok(signedIn.ok);
    const rotated = await refreshTokens(provider, signedIn.value.tokens, { now: clock.now });
    assert.ok(rotated.ok);
    const stolenCopy = await refreshTokens(provider, signedIn.value.tokens, { now: clock.now });
    assert.ok(!stolenCopy.ok);
    assert.equal(stolenCopy.error.code, "invalid_grant");
    const legitimate = await refreshTokens(provider, rotated.value, { now: clock.now });
    assert.ok(!legitimate.ok);
    assert.equal(legitimate.error.code, "invalid_grant");
    const userinfo = await fetch(`${running.baseUrl}/userinfo`, { headers: { authorization: `Bearer ${rotated.value.accessToken}` } });
    assert.equal(userinfo.status, 401);
  });

  it("R25: sign-out revokes the refresh token, and afterwards it no longer works", async () => {
    const { cookie } = await signInThroughBrowser("bob");
    const tokens = app.sessions.get(parseCookies(cookie).sid!)!.signedIn!.tokens;
    const signOut = await fetch(`${appUrl}/sign-out`, { redirect: "manual", headers: { cookie } });
    assert.equal(signOut.headers.get("x-revoked"), "true");
    assert.equal(await (await fetch(appUrl, { headers: { cookie } })).text(), "Please sign in");
    const refresh = await refreshTokens(provider, tokens, { now: clock.now });
    assert.ok(!refresh.ok);
    assert.equal(refresh.error.code, "invalid_grant");
    const userinfo = await fetch(`${running.baseUrl}/userinfo`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    assert.equal(userinfo.status, 401);
  });
});

describe("OAuth client when the provider is down, slow or broken", () => {
  const pending: PendingAuthorization = {
    state: "s".repeat(43), codeVerifier: "v".repeat(43), createdAtMs: 0, redirectUri: "http://127.0.0.1:1/cb", issuer: null, issuerRequired: false,
  };
  const callback = new URLSearchParams({ state: pending.state, code: "a-code" });
  const tokens = { accessToken: "at", tokenType: "Bearer" as const, expiresAtMs: 0, refreshToken: "rt", refreshTokenExpiresAtMs: null, scope: null, username: null };

  it("R25: a provider on a closed port is an 'unreachable' 502 for sign-in, refresh and sign-out", async () => {
    const baseUrl = "http://127.0.0.1:1"; // nothing listens there (a freed port could be taken again)
    const down = createOAuthClient(localProvider({ baseUrl, clientId: "demo-app", redirectUri: pending.redirectUri }), { now: () => 0 });
    for (const result of [await down.finishSignIn(callback, pending), await down.refreshIfNeeded(tokens), await down.signOut(tokens)]) {
      assert.ok(!result.ok);
      assert.equal(result.error.code, "unreachable");
      assert.equal(result.error.httpStatus, 502);
    }
  });

  // Without the client's own 100 ms timeout these requests would wait forever: the test's timeout
  // (10 s) fails that, with no clock read here.
  it("R25: a provider that never answers is a 'timeout' 504 after the injected timeout, not a hang", { timeout: 10_000 }, async () => {
    const silent = http.createServer(() => {}); // accepts, reads, never answers
    const baseUrl = await listen(silent, { port: 0, host: "127.0.0.1" });
    try {
      const slow = createOAuthClient(localProvider({ baseUrl, clientId: "demo-app", redirectUri: pending.redirectUri }), {
        now: () => 0,
        timeoutMs: 100,
      });
      for (const result of [await slow.finishSignIn(callback, pending), await slow.signOut(tokens)]) {
        assert.ok(!result.ok);
        assert.equal(result.error.code, "timeout");
        assert.equal(result.error.httpStatus, 504);
        assert.equal(result.error.publicMessage, "The sign-in provider did not answer in time. Please try again later.");
      }
    } finally {
      await closeServer(silent);
    }
  });

  it("a malformed token response (HTML from a proxy, or JSON without an access token) fails cleanly", async () => {
    const answers = [
      { type: "text/html", body: "<html>502 Bad Gateway</html>", status: 200, code: "not_json" },
      { type: "application/json", body: '{"token_type":"Bearer","expires_in":3600}', status: 200, code: "malformed_response" },
      { type: "application/json", body: '{"access_token":"a b","token_type":"Bearer"}', status: 200, code: "malformed_response" },
    ];
    for (const answer of answers) {
      const broken = http.createServer((_req, res) => res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body));
      const baseUrl = await listen(broken, { port: 0, host: "127.0.0.1" });
      try {
        const client = createOAuthClient(localProvider({ baseUrl, clientId: "demo-app", redirectUri: pending.redirectUri }), { now: () => 0 });
        const result = await client.finishSignIn(callback, pending);
        assert.ok(!result.ok);
        assert.equal(result.error.code, answer.code);
        assert.equal(result.error.httpStatus, 502);
      } finally {
        await closeServer(broken);
      }
    }
  });
});

describe("OAuth client with a scripted provider", () => {
  it("revokes the fresh tokens when the provider will not say who signed in", async () => {
    const provider = customProvider({
      clientId: "app",
      redirectUri: "https://app.example/authenticate",
      authorizationEndpoint: "https://id.example/authorize",
      tokenEndpoint: "https://id.example/token",
      revocationEndpoint: "https://id.example/revoke",
      userinfoEndpoint: "https://id.example/userinfo",
    });
    const { fetch, requests } = scriptedFetch(
      () => jsonResponse(200, { access_token: "at-1", token_type: "Bearer", expires_in: 60, refresh_token: "rt-1" }),
      () => jsonResponse(401, { error: "invalid_token" }),
      () => new Response(null, { status: 200 }),
    );
    const client = createOAuthClient(provider, { fetch });
    const { pending } = client.startSignIn();
    const result = await client.finishSignIn(new URLSearchParams({ state: pending.state, code: "c" }), pending);
    assert.ok(!result.ok);
    assert.equal(result.error.code, "invalid_token");
    assert.deepEqual(requests.map((r) => r.url), ["https://id.example/token", "https://id.example/userinfo", "https://id.example/revoke"]);
    assert.equal(requests[2]!.body.get("token"), "rt-1");
  });

  it("throws a TypeError at creation for a timeout, size cap or refresh margin it cannot honour", () => {
    const provider = customProvider({ clientId: "app", redirectUri: "https://app.example/cb", authorizationEndpoint: "https://id.example/a", tokenEndpoint: "https://id.example/t" });
    // setTimeout turns Infinity or 2^31 ms into 1 ms (every sign-in a 504); a NaN cap is no cap at all.
    const timeout = 'oauth "timeoutMs" is invalid: must be a whole number of milliseconds from 1 to 2147483647';
    const size = 'oauth "maxResponseBytes" is invalid: must be a whole number of bytes above 0';
    const margin = 'oauth "refreshMarginSeconds" is invalid: must be a whole number of seconds, 0 or more';
    const cases: Array<[Parameters<typeof createOAuthClient>[1], string]> = [
      [{ timeoutMs: Infinity }, timeout],
      [{ timeoutMs: 2 ** 31 }, timeout],
      [{ timeoutMs: 0 }, timeout],
      [{ timeoutMs: Number.NaN }, timeout],
      [{ maxResponseBytes: Number.NaN }, size],
      [{ maxResponseBytes: -1 }, size],
      [{ refreshMarginSeconds: -60 }, margin],
      [{ refreshMarginSeconds: Number.NaN }, margin],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => createOAuthClient(provider, options), { name: "TypeError", message }, JSON.stringify(options));
    }
    assert.doesNotThrow(() => createOAuthClient(provider, { timeoutMs: 2 ** 31 - 1, maxResponseBytes: 1, refreshMarginSeconds: 0 }));
  });

  it("signOut without tokens (never signed in) makes no request", async () => {
    const { fetch, requests } = scriptedFetch();
    const client = createOAuthClient(customProvider({
      clientId: "app", redirectUri: "https://app.example/cb", authorizationEndpoint: "https://id.example/a", tokenEndpoint: "https://id.example/t",
      revocationEndpoint: "https://id.example/r",
    }), { fetch });
    assert.deepEqual(await client.signOut(undefined), { ok: true, value: { revoked: false } });
    assert.equal(requests.length, 0);
  });
});
