// Step 09 over real HTTP: the app and the bundled local provider, both on 127.0.0.1 port 0, and a
// "browser" (one cookie jar) that follows the redirects by hand and posts the provider's approval
// form. Then the same app against providers that are down, slow or broken (PROVIDER=custom), the
// ArcGIS preset (no live calls), and configuration errors. Clocks are injected; nothing sleeps.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { closeGracefully, listen } from "../../src/http/listen.ts";
import { createLocalProvider, type LocalProvider } from "../../src/oauth/local-provider/create-local-provider.ts";
import { createServer } from "../../steps/09-oauth/server.ts";
import { findStep, listSteps } from "../../steps/run.ts";
import { type TestClock, createClock } from "../helpers/clock.ts";
import { csrfOn, logIn, openForm, registerUser, submitForm } from "../helpers/forms.ts";
import {
  answerAtProvider, callbackOnApp, localProviderUrl, recordTokens, type StartedOAuthStep, signInWithProvider, startOAuthStep, startSignIn,
} from "../helpers/oauth-step.ts";
import type { Browser } from "../helpers/start-step.ts";

const password = "correct horse battery staple";
const minute = 60_000;
const forbidden = "Forbidden: this form came from another site, or has expired. Reload the page and try again.";
const again = "Please start the sign-in again.";
const refused = "The sign-in provider refused the request. Please sign in again.";
const notAnswering = "The sign-in provider is not answering correctly right now. Please try again later.";
const tooSlow = "The sign-in provider did not answer in time. Please try again later.";

/** The fixed message of a "Sign-in failed" page. */
async function failureMessage(response: Response): Promise<string> {
  const html = await response.text();
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(html)?.[1] ?? html;
}

/** The home page's HTML, or "303 <location>" when it redirected. */
async function home(browser: Browser): Promise<string> {
  const response = await browser.fetch("/");
  const text = await response.text();
  if (response.status === 303) return `303 ${response.headers.get("location")}`;
  assert.equal(response.status, 200, text);
  return text;
}

/** A refresh-token grant sent straight to the local provider, as someone holding a copy would. */
async function refreshAtProvider(providerUrl: string, refreshToken: string, clientId = "local-demo-app"): Promise<{ status: number; body: { error?: string } }> {
  const response = await fetch(`${providerUrl}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId }),
  });
  return { status: response.status, body: (await response.json()) as { error?: string } };
}

describe("step 09: sign in with OAuth 2.0", () => {
  describe("with the bundled local provider", () => {
    let clock: TestClock;
    let tokens: ReturnType<typeof recordTokens>;
    let app: StartedOAuthStep;
    let providerUrl: string;
    beforeEach(async () => {
      clock = createClock();
      tokens = recordTokens();
      app = await startOAuthStep({ now: clock.now, fetch: tokens.fetch });
      providerUrl = localProviderUrl(app)!;
    });
    afterEach(() => app.close());

    it("start() prints the app's URL, then the local provider's, and both answer", async () => {
      assert.match(app.lines[0]!, /^Listening on http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(app.lines[1]!, /^Local OAuth provider \(a demo: no passwords\) on http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(app.lines.length, 2);
      assert.notEqual(providerUrl, app.baseUrl);
      const provider = await fetch(`${providerUrl}/authorize`); // no parameters: the provider's own error page
      assert.equal(provider.status, 400);
      await provider.text();
      assert.equal((await openForm(app, "/login")).response.status, 200);
    });

    it("npm start runs this step: it is the newest step folder", () => {
      assert.equal(findStep("latest", listSteps()), "09-oauth");
    });

    it("offers \"Sign in with the local demo provider\" on step 07's login page", async () => {
      const { html } = await openForm(app, "/login");
      assert.match(html, /<form method="post" action="\/login">/);
      assert.match(html, /<p>Or <a href="\/sign-in\?returnTo=%2F">Sign in with the local demo provider<\/a>\.<\/p>/);
    });

    it("R22: /sign-in redirects to the provider with a fresh 256-bit state and an S256 challenge, in a SameSite=Lax session", async () => {
      const first = await startSignIn(app);
      const url = first.authorizeUrl;
      assert.equal(`${url.origin}${url.pathname}`, `${providerUrl}/authorize`);
      const params = Object.fromEntries(url.searchParams);
      assert.deepEqual(Object.keys(params).sort(), ["client_id", "code_challenge", "code_challenge_method", "redirect_uri", "response_type", "scope", "state"]);
      assert.equal(params.response_type, "code");
      assert.equal(params.client_id, "local-demo-app");
      assert.equal(params.redirect_uri, `${app.baseUrl}/authenticate`);
      assert.equal(params.code_challenge_method, "S256");
      assert.match(params.state!, /^[A-Za-z0-9_-]{43}$/); // 32 random bytes
      assert.match(params.code_challenge!, /^[A-Za-z0-9_-]{43}$/); // SHA-256 of the verifier, which stays on the server
      assert.match(first.response.headers.getSetCookie().join("\n"), /^sid=[^;]+; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
      const second = await startSignIn(app);
      assert.notEqual(second.state, first.state);
      assert.notEqual(second.authorizeUrl.searchParams.get("code_challenge"), params.code_challenge);
    });

    it("R05: signs in through the provider with a 303 to /, Referrer-Policy: no-referrer, no-store and a new session ID", async () => {
      const { authorizeUrl } = await startSignIn(app);
      const preSession = app.jar.get("sid");
      const callback = await answerAtProvider(app, authorizeUrl);
      assert.equal(`${callback.origin}${callback.pathname}`, `${app.baseUrl}/authenticate`);
      assert.deepEqual([...callback.searchParams.keys()].sort(), ["code", "iss", "state"]);
      const response = await app.fetch(callback.href);
      await response.text();
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/");
      assert.equal(response.headers.get("referrer-policy"), "no-referrer");
      assert.equal(response.headers.get("cache-control"), "no-store"); // R09
      assert.ok(app.jar.get("sid"));
      assert.notEqual(app.jar.get("sid"), preSession);
      const oldCookie = app.newBrowser();
      oldCookie.jar.set("sid", preSession!);
      assert.equal(await home(oldCookie), "303 /login");
    });

    it("greets the provider's user and shows the session's fields, never a token (R24)", async () => {
      await signInWithProvider(app, app);
      const page = await home(app);
      assert.match(page, /<p>Hi alice<\/p>/);
      assert.match(page, /You signed in with the local demo provider\./);
      assert.match(page, /<dt>Subject \(the provider's stable ID for you\)<\/dt><dd>local:alice<\/dd>/);
      assert.match(page, /<dt>Signed in at<\/dt><dd>2025-01-01T00:00:00.000Z<\/dd>/);
      assert.match(page, /<dt>Access token expires at<\/dt><dd>2025-01-01T00:10:00.000Z<\/dd>/); // the provider's 10 minutes
      assert.match(page, /<dt>Refresh token<\/dt><dd>kept on the server, expires at a time the provider did not say<\/dd>/);
      assert.match(page, /<dt>This session ends at<\/dt><dd>2025-01-31T00:00:00.000Z<\/dd>/); // the tutorial's 30 days
      assert.match(page, /<form method="post" action="\/sign-out">/);
      assert.equal(tokens.accessTokens.length, 1);
      assert.equal(tokens.refreshTokens.length, 1);
    });

    it("R24: no page ever contains a token, and the session files hold them only sealed", async () => {
      const pages: string[] = [];
      const keep = async (response: Response) => pages.push(await response.text());
      await keep(await app.fetch("/login"));
      const { response } = await signInWithProvider(app, app);
      assert.equal(response.status, 303);
      await keep(await app.fetch("/"));
      clock.advance(10 * minute); // the access token expired: the next page view refreshes it
      await keep(await app.fetch("/"));
      await keep(await app.fetch(`/authenticate?code=x&state=y`)); // an error page too
      const secrets = [...tokens.accessTokens, ...tokens.refreshTokens];
      assert.equal(secrets.length, 4);
      for (const page of pages) for (const secret of secrets) assert.ok(!page.includes(secret), "a token reached a page");
      const dir = path.join(app.dataDir, "sessions");
      const files = readdirSync(dir).map((name) => readFileSync(path.join(dir, name), "utf8"));
      assert.ok(files.length > 0);
      for (const file of files) for (const secret of secrets) assert.ok(!file.includes(secret), "a token is readable in a session file");
    });

    it("R21: returns to the page asked for before signing in, but only to a path on this site", async () => {
      const asked = await app.fetch("/password");
      await asked.text();
      assert.equal(asked.headers.get("location"), "/login?returnTo=%2Fpassword");
      for (const [returnTo, expected] of [["/password", "/password"], ["//evil.example", "/"], ["https://evil.example/", "/"], ["/\\evil.example", "/"]]) {
        const browser = app.newBrowser();
        const { authorizeUrl } = await startSignIn(browser, `/sign-in?returnTo=${encodeURIComponent(returnTo!)}`);
        const callback = await answerAtProvider(browser, authorizeUrl);
        const response = await browser.fetch(callback.href);
        await response.text();
        assert.equal(response.headers.get("location"), expected, returnTo);
      }
    });

    const rejectedCallbacks: Array<{ name: string; query: (state: string, iss: string) => string; message: string }> = [
      { name: "no state", query: (_state, iss) => `code=abc&iss=${iss}`, message: `The sign-in response had no state. ${again}` },
      { name: "another state", query: (_state, iss) => `code=abc&state=${"A".repeat(43)}&iss=${iss}`, message: `The sign-in response does not match your sign-in. ${again}` },
      { name: "an empty state", query: (_state, iss) => `code=abc&state=&iss=${iss}`, message: `The sign-in response had no state. ${again}` },
      { name: "the state twice", query: (state, iss) => `code=abc&state=${state}&state=${state}&iss=${iss}`, message: `The sign-in response was malformed. ${again}` },
      { name: "another issuer (mix-up, RFC 9207)", query: (state) => `code=abc&state=${state}&iss=${encodeURIComponent("https://evil.example")}`, message: `The sign-in response came from an unexpected provider. ${again}` },
      { name: "no issuer from a provider that always sends one", query: (state) => `code=abc&state=${state}`, message: `The sign-in response did not name its provider. ${again}` },
      { name: "no code", query: (state, iss) => `state=${state}&iss=${iss}`, message: `The sign-in response had no code. ${again}` },
      { name: "an error with another state", query: (_state, iss) => `error=access_denied&state=other&iss=${iss}`, message: `The sign-in response does not match your sign-in. ${again}` },
    ];
    for (const { name, query, message } of rejectedCallbacks) {
      it(`R22: refuses a callback with ${name}: 400, a clear page, not signed in`, async () => {
        const { state } = await startSignIn(app);
        const response = await app.fetch(`/authenticate?${query(state, encodeURIComponent(providerUrl))}`);
        assert.equal(response.status, 400);
        assert.equal(response.headers.get("referrer-policy"), "no-referrer");
        assert.equal(await failureMessage(response), message);
        assert.equal(await home(app), "303 /login");
      });
    }

    it("R22: a state is deleted at its first use: after a forged callback the real one is refused too", async () => {
      const { authorizeUrl } = await startSignIn(app);
      const forged = await app.fetch(`/authenticate?code=abc&state=forged&iss=${encodeURIComponent(providerUrl)}`);
      assert.equal(forged.status, 400);
      await forged.text();
      const callback = await answerAtProvider(app, authorizeUrl);
      const real = await app.fetch(callback.href);
      assert.equal(real.status, 400);
      assert.equal(await failureMessage(real), `This sign-in response does not belong to a sign-in in progress. ${again}`);
      assert.equal(await home(app), "303 /login");
    });

    it("R22: a callback replayed after a successful sign-in is refused, and the user stays signed in", async () => {
      const { callback } = await signInWithProvider(app, app);
      const replay = await app.fetch(callback.href);
      assert.equal(replay.status, 400);
      assert.equal(await failureMessage(replay), `This sign-in response does not belong to a sign-in in progress. ${again}`);
      assert.match(await home(app), /<p>Hi alice<\/p>/);
    });

    it("R22: a callback opened in a browser that did not start the sign-in is refused (login CSRF)", async () => {
      const attacker = app.newBrowser();
      const { authorizeUrl } = await startSignIn(attacker);
      const attackersCallback = await answerAtProvider(attacker, authorizeUrl, { typed_username: "mallory", decision: "approve" });
      const victim = app.newBrowser();
      const response = await victim.fetch(attackersCallback.href); // e.g. an <img> or a link on the attacker's page
      assert.equal(response.status, 400);
      assert.equal(await failureMessage(response), `This sign-in response does not belong to a sign-in in progress. ${again}`);
      assert.equal(await home(victim), "303 /login");
    });

    it("RFC 6749 §4.1.2: a replayed code is refused, and the tokens issued from it are revoked", async () => {
      const { callback } = await signInWithProvider(app, app); // the code's first, legitimate use
      const thief = app.newBrowser();
      const { state } = await startSignIn(thief);
      const stolen = new URLSearchParams({ code: callback.searchParams.get("code")!, state, iss: providerUrl });
      const replay = await thief.fetch(`/authenticate?${stolen}`);
      assert.equal(replay.status, 400);
      assert.equal(await failureMessage(replay), refused);
      assert.equal(await home(thief), "303 /login");
      assert.equal((await refreshAtProvider(providerUrl, tokens.refreshTokens[0]!)).body.error, "invalid_grant");
      clock.advance(10 * minute); // the first browser's next refresh finds its grant revoked
      assert.equal(await home(app), "303 /login");
    });

    it("PKCE: a code injected into another browser's sign-in fails, since that browser's verifier does not match", async () => {
      const attacker = app.newBrowser();
      const { authorizeUrl } = await startSignIn(attacker);
      const attackersCode = await answerAtProvider(attacker, authorizeUrl, { typed_username: "mallory", decision: "approve" });
      const victim = app.newBrowser();
      const { state } = await startSignIn(victim);
      const injected = new URLSearchParams({ code: attackersCode.searchParams.get("code")!, state, iss: providerUrl });
      const response = await victim.fetch(`/authenticate?${injected}`);
      assert.equal(response.status, 400);
      assert.equal(await failureMessage(response), refused);
      assert.equal(await home(victim), "303 /login");
      assert.match(app.logs.join("\n"), /Sign-in failed: the provider's token endpoint refused the request: invalid_grant/);
    });

    it("R23: the provider refuses an authorization request whose redirect_uri is not the registered one, and never redirects", async () => {
      const { authorizeUrl } = await startSignIn(app);
      const port = Number(new URL(app.baseUrl).port);
      for (const redirectUri of [
        "http://evil.example/authenticate", `${app.baseUrl}/authenticate/`, `${app.baseUrl}/Authenticate`,
        `${app.baseUrl}/authenticate?next=evil`, `http://127.0.0.1:${port === 65535 ? 65534 : port + 1}/authenticate`,
        `http://localhost:${port}/authenticate`,
      ]) {
        const tampered = new URL(authorizeUrl);
        tampered.searchParams.set("redirect_uri", redirectUri);
        const response = await app.fetch(tampered.href);
        assert.equal(response.status, 400, redirectUri);
        assert.equal(response.headers.get("location"), null);
        assert.match(await response.text(), /has not registered/);
      }
    });

    it("shows the provider's error=access_denied (the user clicked Deny) as a 400 page, not a sign-in", async () => {
      const { authorizeUrl } = await startSignIn(app);
      const callback = await answerAtProvider(app, authorizeUrl, { decision: "deny" });
      assert.equal(callback.searchParams.get("error"), "access_denied");
      const response = await app.fetch(callback.href);
      assert.equal(response.status, 400);
      assert.equal(await failureMessage(response), "You declined the sign-in.");
      assert.equal(await home(app), "303 /login");
    });

    it("R24: refreshes the access token a minute before it expires, and keeps the rotated refresh token", async () => {
      await signInWithProvider(app, app);
      clock.advance(8 * minute); // 2 minutes left: no refresh yet
      assert.match(await home(app), /<dt>Access token refreshed<\/dt><dd>0 times<\/dd>/);
      clock.advance(minute + 1000); // 59 seconds left: refresh now
      const page = await home(app);
      assert.match(page, /<dt>Access token refreshed<\/dt><dd>1 times<\/dd>/);
      assert.match(page, /<dt>Access token expires at<\/dt><dd>2025-01-01T00:19:01.000Z<\/dd>/);
      assert.equal(tokens.refreshTokens.length, 2);
      assert.notEqual(tokens.refreshTokens[1], tokens.refreshTokens[0]);
      assert.match(await home(app), /<dd>1 times<\/dd>/); // the new token was saved: no second refresh
      assert.equal(tokens.refreshTokens.length, 2);
    });

    it("R24: reuse of a rotated refresh token revokes the grant, and the app signs the user out at its next refresh", async () => {
      await signInWithProvider(app, app);
      clock.advance(10 * minute);
      assert.match(await home(app), /<dd>1 times<\/dd>/); // rotated: refreshTokens[0] is retired
      const stolen = await refreshAtProvider(providerUrl, tokens.refreshTokens[0]!); // a copy comes back
      assert.equal(stolen.status, 400);
      assert.equal(stolen.body.error, "invalid_grant");
      clock.advance(10 * minute);
      assert.equal(await home(app), "303 /login");
      const { html } = await openForm(app, "/login");
      assert.match(html, /<p class="notice" role="status">Your sign-in with the local demo provider has ended\. Please sign in again\.<\/p>/);
      assert.equal(await home(app), "303 /login");
      assert.match(app.logs.join("\n"), /Refreshing the access token failed: the provider's token endpoint refused the request: invalid_grant/);
    });

    it("R25: POST /sign-out revokes the refresh token at the provider, then ends the session", async () => {
      await signInWithProvider(app, app);
      const signedInCookie = app.jar.get("sid")!;
      const csrf = await csrfOn(app, app);
      const response = await submitForm(app, "/sign-out", {}, { csrf });
      await response.text();
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/login");
      assert.match(response.headers.getSetCookie().join("\n"), /^sid=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/);
      assert.equal((await refreshAtProvider(providerUrl, tokens.refreshTokens[0]!)).body.error, "invalid_grant");
      const userinfo = await fetch(`${providerUrl}/userinfo`, { headers: { authorization: `Bearer ${tokens.accessTokens[0]}` } });
      assert.equal(userinfo.status, 401); // the grant's access token died with it
      await userinfo.text();
      const oldCookie = app.newBrowser();
      oldCookie.jar.set("sid", signedInCookie);
      assert.equal(await home(oldCookie), "303 /login"); // R06
    });

    it("R25: step 07's POST /logout revokes a provider sign-in's grant too, then ends the session", async () => {
      await signInWithProvider(app, app);
      const csrf = await csrfOn(app, app);
      const response = await submitForm(app, "/logout", {}, { csrf });
      await response.text();
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/login");
      assert.equal((await refreshAtProvider(providerUrl, tokens.refreshTokens[0]!)).body.error, "invalid_grant");
      assert.equal(await home(app), "303 /login");
    });

    it("R18, R19: signing out needs our own page's CSRF token, and GET /sign-out is 405", async () => {
      await signInWithProvider(app, app);
      const csrf = await csrfOn(app, app);
      const attempts = [
        await submitForm(app, "/sign-out", {}),
        await submitForm(app, "/sign-out", {}, { csrf: "x".repeat(43) }),
        await submitForm(app, "/sign-out", {}, { csrf, origin: "https://evil.example" }),
        await submitForm(app, "/sign-out", {}, { csrf, origin: null, headers: { "sec-fetch-site": "cross-site" } }),
      ];
      for (const response of attempts) {
        assert.equal(response.status, 403);
        assert.equal(await response.text(), forbidden);
      }
      const get = await app.fetch("/sign-out");
      assert.equal(get.status, 405);
      assert.equal(get.headers.get("allow"), "POST");
      await get.text();
      assert.match(await home(app), /<p>Hi alice<\/p>/);
      assert.equal((await refreshAtProvider(providerUrl, tokens.refreshTokens[0]!)).status, 200); // not revoked
    });

    it("keeps a visitor's session and a sign-in in progress 30 minutes idle, as step 07 does; only a signed-in one lasts 30 days", async () => {
      const visitor = app.newBrowser();
      const login = await visitor.fetch("/login");
      await login.text();
      assert.match(login.headers.getSetCookie().join("\n"), /; Max-Age=1800;/);
      const { response: signInStarted } = await startSignIn(app);
      assert.match(signInStarted.headers.getSetCookie().join("\n"), /; Max-Age=1800;/);
      const visitorCookie = visitor.jar.get("sid");
      clock.advance(31 * minute);
      const again = await visitor.fetch("/login");
      await again.text();
      assert.notEqual(visitor.jar.get("sid"), visitorCookie); // the old one is gone: a new session
      const { response } = await signInWithProvider(app, app);
      assert.match(response.headers.getSetCookie().join("\n"), /; Max-Age=2592000;/);
      clock.advance(29 * 24 * 60 * minute);
      assert.match(await home(app), /<p>Hi alice<\/p>/);
    });

    it("R06: signing out without a session is harmless", async () => {
      const response = await submitForm(app, "/sign-out", {}, { browser: app.newBrowser() });
      await response.text();
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/login");
    });

    it("shows a provider-chosen username as text, escaped", async () => {
      const { authorizeUrl } = await startSignIn(app);
      const callback = await answerAtProvider(app, authorizeUrl, { typed_username: "<img src=x onerror=alert(1)>", decision: "approve" });
      await (await app.fetch(callback.href)).text();
      const page = await home(app);
      assert.match(page, /<p>Hi &lt;img src=x onerror=alert\(1\)&gt;<\/p>/);
      assert.ok(!page.includes("<img"));
    });

    it("keeps step 07's password accounts working next to provider sign-ins", async () => {
      await registerUser(app, app, "carol", password);
      assert.match(await home(app), /<p>User "carol" has 1 views<\/p>/);
      const csrf = await csrfOn(app, app);
      const out = await submitForm(app, "/logout", {}, { csrf });
      await out.text();
      assert.equal(out.headers.get("location"), "/login");
      assert.equal(await home(app), "303 /login");
      const back = await logIn(app, app, "carol", password);
      await back.text();
      assert.equal(back.status, 303);
      assert.match(await home(app), /<p>User "carol" has 3 views<\/p>/); // csrfOn() viewed the home page too
    });

    it("a password login that replaces a provider sign-in revokes the provider's grant", async () => {
      await registerUser(app, app.newBrowser(), "carol", password);
      await signInWithProvider(app, app);
      const response = await logIn(app, app, "carol", password);
      await response.text();
      assert.equal(response.status, 303);
      assert.match(await home(app), /<p>User "carol" has 1 views<\/p>/);
      assert.equal((await refreshAtProvider(providerUrl, tokens.refreshTokens[0]!)).body.error, "invalid_grant");
    });

    it("R25: a second provider sign-in in the same browser revokes the first one's grant, and keeps the new one", async () => {
      await signInWithProvider(app, app);
      const { response } = await signInWithProvider(app, app, "bob");
      assert.equal(response.status, 303);
      assert.match(await home(app), /<p>Hi bob<\/p>/);
      assert.equal(tokens.refreshTokens.length, 2);
      assert.equal((await refreshAtProvider(providerUrl, tokens.refreshTokens[0]!)).body.error, "invalid_grant");
      assert.equal((await refreshAtProvider(providerUrl, tokens.refreshTokens[1]!)).status, 200);
    });

    it("has no password form for provider sign-ins, and keeps the \"oauth:\" prefix of their user IDs from password accounts", async () => {
      await signInWithProvider(app, app);
      const form = await app.fetch("/password");
      await form.text();
      assert.equal(form.headers.get("location"), "/");
      const browser = app.newBrowser();
      const { csrf } = await openForm(app, "/register", browser);
      const response = await submitForm(app, "/register", { username: "OAuth:local:local:alice", password, confirm: password }, { browser, csrf });
      assert.equal(response.status, 400);
      assert.match(await response.text(), /Names starting with &quot;oauth:&quot; are reserved\./);
    });
  });

  describe("with a provider that is down, slow or broken (PROVIDER=custom)", () => {
    const redirectUri = "http://127.0.0.1:1/authenticate"; // the test carries the callback to the app's real port
    const servers: http.Server[] = [];
    let app: StartedOAuthStep | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
      for (const server of servers.splice(0)) {
        server.closeAllConnections();
        await closeGracefully(server);
      }
    });

    /** A fake provider endpoint: `answer` decides each response (or never answers). */
    async function fakeProvider(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<string> {
      const server = http.createServer(answer);
      servers.push(server);
      return listen(server, { port: 0, host: "127.0.0.1" });
    }

    /** A URL nobody listens on: a port that was free a moment ago. */
    // Port 1 on loopback, where nothing listens. (A port freed after listening could be taken again by
    // another test file running at the same time.)
    async function closedPortUrl(): Promise<string> {
      return "http://127.0.0.1:1";
    }

    function customEnv(endpoints: { authorize: string; token: string; userinfo?: string; revoke?: string }) {
      return {
        PROVIDER: "custom", CLIENT_ID: "test-app", REDIRECT_URI: redirectUri,
        AUTHORIZATION_ENDPOINT: endpoints.authorize, TOKEN_ENDPOINT: endpoints.token,
        USERINFO_ENDPOINT: endpoints.userinfo, REVOCATION_ENDPOINT: endpoints.revoke,
      };
    }

    /** A real local provider for the parts that must work, started by the test itself. */
    async function localProviderForTest(now: () => number): Promise<{ provider: LocalProvider; url: string }> {
      const provider = createLocalProvider({ clients: [{ clientId: "test-app", redirectUris: [redirectUri] }], now });
      servers.push(provider.server);
      return { provider, url: await listen(provider.server, { port: 0, host: "127.0.0.1" }) };
    }

    /** /sign-in, then a callback with the state the app expects and a made-up code. */
    async function callbackWithCode(started: StartedOAuthStep): Promise<Response> {
      const { state } = await startSignIn(started);
      return started.fetch(`/authenticate?${new URLSearchParams({ code: "some-code", state })}`);
    }

    it("provider down: a callback whose token request cannot connect is a 502 page, and the app keeps serving", async () => {
      const down = await closedPortUrl();
      app = await startOAuthStep({ env: customEnv({ authorize: `${down}/authorize`, token: `${down}/token` }) });
      // REDIRECT_URI names another address than the one the app listens on: start-up says where to go.
      assert.deepEqual(app.lines.slice(1), [
        "Open http://127.0.0.1:1/ to sign in: the provider sends browsers back to REDIRECT_URI, and the sign-in cookie belongs to that address",
      ]);
      const response = await callbackWithCode(app);
      assert.equal(response.status, 502);
      assert.equal(response.headers.get("referrer-policy"), "no-referrer");
      assert.equal(await failureMessage(response), notAnswering);
      assert.match(app.logs.join("\n"), /Sign-in failed: the sign-in provider did not answer as expected: unreachable/);
      const { html } = await openForm(app, "/login");
      assert.match(html, /Sign in with your provider/);
    });

    it("provider slow: a token request with no answer times out (short injected timeout) as a 504 page", async () => {
      const slow = await fakeProvider(() => {}); // accepts, never answers
      app = await startOAuthStep({ env: customEnv({ authorize: `${slow}/authorize`, token: `${slow}/token` }), providerTimeoutMs: 200 });
      const response = await callbackWithCode(app);
      assert.equal(response.status, 504);
      assert.equal(await failureMessage(response), tooSlow);
      assert.equal((await openForm(app, "/login")).response.status, 200);
    });

    const tokenAnswers: Array<{ name: string; status: number; contentType: string; body: string; expected: number; message: string }> = [
      { name: "an HTML page", status: 200, contentType: "text/html", body: "<html>Welcome!</html>", expected: 502, message: notAnswering },
      { name: "no token_type", status: 200, contentType: "application/json", body: '{"access_token":"abc","expires_in":3600}', expected: 502, message: notAnswering },
      { name: "a token_type other than Bearer", status: 200, contentType: "application/json", body: '{"access_token":"abc","token_type":"mac"}', expected: 502, message: notAnswering },
      { name: "no access_token", status: 200, contentType: "application/json", body: '{"token_type":"Bearer"}', expected: 502, message: notAnswering },
      { name: "an access_token with a line break", status: 200, contentType: "application/json", body: '{"access_token":"a\\r\\nSet-Cookie: x=1","token_type":"Bearer"}', expected: 502, message: notAnswering },
      { name: "a JSON array", status: 200, contentType: "application/json", body: "[]", expected: 502, message: notAnswering },
      { name: "HTTP 500 without a body", status: 500, contentType: "text/plain", body: "", expected: 502, message: notAnswering },
      { name: "an RFC 6749 §5.2 error", status: 400, contentType: "application/json", body: '{"error":"invalid_grant","error_description":"<script>"}', expected: 400, message: refused },
      { name: "HTTP 503 and an OAuth error body (temporarily_unavailable)", status: 503, contentType: "application/json", body: '{"error":"temporarily_unavailable"}', expected: 502, message: notAnswering },
      { name: "HTTP 400 and error=server_error", status: 400, contentType: "application/json", body: '{"error":"server_error"}', expected: 502, message: notAnswering },
    ];
    for (const answer of tokenAnswers) {
      it(`a token response with ${answer.name} is a ${answer.expected} page, never a crash`, async () => {
        const broken = await fakeProvider((_req, res) => res.writeHead(answer.status, { "content-type": answer.contentType }).end(answer.body));
        app = await startOAuthStep({ env: customEnv({ authorize: `${broken}/authorize`, token: `${broken}/token` }) });
        const response = await callbackWithCode(app);
        assert.equal(response.status, answer.expected);
        assert.equal(await failureMessage(response), answer.message);
        assert.equal(await home(app), "303 /login");
      });
    }

    for (const failure of ["unreachable", "slow"] as const) {
      it(`R25: a revocation endpoint that is ${failure} still signs the user out`, async () => {
        const clock = createClock();
        const local = await localProviderForTest(clock.now);
        const revoke = failure === "unreachable" ? `${await closedPortUrl()}/revoke` : `${await fakeProvider(() => {})}/revoke`;
        app = await startOAuthStep({
          env: customEnv({ authorize: `${local.url}/authorize`, token: `${local.url}/token`, userinfo: `${local.url}/userinfo`, revoke }),
          now: clock.now,
          providerTimeoutMs: 2000, // the slow /revoke waits this long; the sign-in before it must not
        });
        const { authorizeUrl } = await startSignIn(app);
        const callback = await answerAtProvider(app, authorizeUrl, { pick: "bob" });
        await (await app.fetch(callbackOnApp(app, callback))).text();
        assert.match(await home(app), /<p>Hi bob<\/p>/);
        const response = await submitForm(app, "/sign-out", {}, { csrf: await csrfOn(app, app) });
        await response.text();
        assert.equal(response.status, 303);
        assert.equal(await home(app), "303 /login");
        const expected = failure === "unreachable" ? "unreachable" : "timeout";
        assert.match(app.logs.join("\n"), new RegExp(`The provider did not confirm revoking the tokens: .*: ${expected}:`));
      });
    }

    it("refresh while the provider is down: a 502 page, and the user stays signed in", async () => {
      const clock = createClock();
      const local = await localProviderForTest(clock.now);
      app = await startOAuthStep({
        env: customEnv({ authorize: `${local.url}/authorize`, token: `${local.url}/token`, userinfo: `${local.url}/userinfo` }),
        now: clock.now,
      });
      const { authorizeUrl } = await startSignIn(app);
      const callback = await answerAtProvider(app, authorizeUrl);
      await (await app.fetch(callbackOnApp(app, callback))).text();
      local.provider.server.closeAllConnections();
      await closeGracefully(local.provider.server);
      clock.advance(10 * minute);
      const response = await app.fetch("/");
      assert.equal(response.status, 502);
      assert.equal(await failureMessage(response), notAnswering);
      const password = await app.fetch("/password"); // still a provider session: not sent to /login
      await password.text();
      assert.equal(password.headers.get("location"), "/");
    });

    /** Signed in through a local provider whose token endpoint answers `fail()` instead, while it is set. */
    async function signedInWithFlakyTokenEndpoint(clock: TestClock) {
      const local = await localProviderForTest(clock.now);
      const recorded = recordTokens();
      const flaky = { fail: null as (() => Response) | null };
      app = await startOAuthStep({
        env: customEnv({ authorize: `${local.url}/authorize`, token: `${local.url}/token`, userinfo: `${local.url}/userinfo`, revoke: `${local.url}/revoke` }),
        now: clock.now,
        fetch: async (url, init) => (flaky.fail && new URL(url).pathname === "/token" ? flaky.fail() : recorded.fetch(url, init)),
      });
      const { authorizeUrl } = await startSignIn(app);
      const callback = await answerAtProvider(app, authorizeUrl);
      await (await app.fetch(callbackOnApp(app, callback))).text();
      assert.match(await home(app), /<p>Hi alice<\/p>/);
      return { local, flaky, refreshTokens: recorded.refreshTokens };
    }
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

    for (const [status, error] of [[503, "temporarily_unavailable"], [500, "server_error"]] as const) {
      it(`refresh answered HTTP ${status} {"error":"${error}"}: a 502 page, still signed in, and refreshed once the provider is back`, async () => {
        const clock = createClock();
        const { flaky } = await signedInWithFlakyTokenEndpoint(clock);
        flaky.fail = () => json(status, { error });
        clock.advance(10 * minute);
        const response = await app!.fetch("/");
        assert.equal(response.status, 502);
        assert.equal(await failureMessage(response), notAnswering);
        flaky.fail = null;
        const page = await home(app!);
        assert.match(page, /<p>Hi alice<\/p>/);
        assert.match(page, /<dt>Access token refreshed<\/dt><dd>1 times<\/dd>/);
      });
    }

    it("R25: a refresh refused with anything but invalid_grant revokes the grant first, then signs the user out", async () => {
      const clock = createClock();
      const { local, flaky, refreshTokens } = await signedInWithFlakyTokenEndpoint(clock);
      flaky.fail = () => json(401, { error: "invalid_client" });
      clock.advance(10 * minute);
      assert.equal(await home(app!), "303 /login");
      assert.match(app!.logs.join("\n"), /Refreshing the access token failed: the provider's token endpoint refused the request: invalid_client/);
      // The refresh token the app gave up on no longer works at the provider.
      assert.equal((await refreshAtProvider(local.url, refreshTokens[0]!, "test-app")).body.error, "invalid_grant");
    });

    /** A fake ArcGIS portal at <url>/sharing/rest: oauth2/token gives `tokenAnswers` in turn, always with HTTP 200. */
    async function fakeArcgisPortal(tokenAnswers: unknown[]): Promise<{ portalUrl: string; requests: Array<{ path: string; form: URLSearchParams }> }> {
      const requests: Array<{ path: string; form: URLSearchParams }> = [];
      const url = await fakeProvider((req, res) => {
        let body = "";
        req.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        req.on("end", () => {
          const path = new URL(req.url ?? "/", "http://portal.invalid").pathname;
          requests.push({ path, form: new URLSearchParams(body) });
          const answer = path.endsWith("/oauth2/revokeToken") ? { success: true } : tokenAnswers.shift();
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
        });
      });
      return { portalUrl: `${url}/sharing/rest`, requests };
    }
    const arcgisTokens = (refreshToken: string) => ({ access_token: `at-${refreshToken}`, expires_in: 1800, username: "jsmith", ssl: true, refresh_token: refreshToken, refresh_token_expires_in: 1209600 });
    const arcgisEnv = (portalUrl: string) => ({ PROVIDER: "arcgis", CLIENT_ID: "abc123", REDIRECT_URI: redirectUri, ARCGIS_PORTAL_URL: portalUrl });

    it("ArcGIS: a token answer of HTTP 200 with error code 500 is a 502 page at the callback, not a refusal", async () => {
      const { portalUrl } = await fakeArcgisPortal([{ error: { code: 500, message: "Unable to generate token.", details: [] } }]);
      app = await startOAuthStep({ env: arcgisEnv(portalUrl) });
      const response = await callbackWithCode(app);
      assert.equal(response.status, 502);
      assert.equal(await failureMessage(response), notAnswering);
    });

    it("ArcGIS: a refresh answered HTTP 200 with error code 500 keeps the user signed in (502), and refreshes once the portal is back", async () => {
      const clock = createClock();
      const { portalUrl, requests } = await fakeArcgisPortal([
        arcgisTokens("rt-1"), { error: { code: 500, message: "Unable to generate token.", details: [] } }, arcgisTokens("rt-2"),
      ]);
      app = await startOAuthStep({ env: arcgisEnv(portalUrl), now: clock.now });
      assert.equal((await callbackWithCode(app)).status, 303);
      assert.match(await home(app), /<p>Hi jsmith<\/p>/);
      clock.advance(30 * minute);
      const response = await app.fetch("/");
      assert.equal(response.status, 502);
      assert.equal(await failureMessage(response), notAnswering);
      const page = await home(app);
      assert.match(page, /<p>Hi jsmith<\/p>/);
      assert.match(page, /<dd>1 times<\/dd>/);
      assert.deepEqual(requests.map((request) => request.form.get("grant_type")), ["authorization_code", "exchange_refresh_token", "exchange_refresh_token"]);
    });

    it("ArcGIS R25: a refresh refused with an error object revokes the refresh token (revokeToken), then signs the user out", async () => {
      const clock = createClock();
      const refusal = { error: { code: 400, error: "invalid_request", error_description: "Invalid refresh_token", message: "Invalid refresh_token", details: [] } };
      const { portalUrl, requests } = await fakeArcgisPortal([arcgisTokens("rt-1"), refusal]);
      app = await startOAuthStep({ env: arcgisEnv(portalUrl), now: clock.now });
      assert.equal((await callbackWithCode(app)).status, 303);
      clock.advance(30 * minute);
      assert.equal(await home(app), "303 /login");
      const revocations = requests.filter((request) => request.path.endsWith("/oauth2/revokeToken"));
      assert.deepEqual(revocations.map((request) => request.form.get("auth_token")), ["rt-1"]);
    });
  });

  describe("configuration", () => {
    let app: StartedOAuthStep | undefined;
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    it("ArcGIS preset: /sign-in goes to ArcGIS Online's authorize endpoint with the client ID, redirect URI, PKCE and expiration", async () => {
      app = await startOAuthStep({ env: { PROVIDER: "arcgis", CLIENT_ID: "abc123", REDIRECT_URI: "http://localhost:3000/authenticate" } });
      assert.match(app.lines[0]!, /^Listening on http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(app.lines.slice(1), [ // no local provider; the browser must use REDIRECT_URI's host
        "Open http://localhost:3000/ to sign in: the provider sends browsers back to REDIRECT_URI, and the sign-in cookie belongs to that address",
      ]);
      const { html } = await openForm(app, "/login");
      assert.match(html, />Sign in with ArcGIS<\/a>/);
      const { authorizeUrl } = await startSignIn(app);
      assert.equal(`${authorizeUrl.origin}${authorizeUrl.pathname}`, "https://www.arcgis.com/sharing/rest/oauth2/authorize");
      const params = Object.fromEntries(authorizeUrl.searchParams);
      assert.equal(params.client_id, "abc123");
      assert.equal(params.redirect_uri, "http://localhost:3000/authenticate");
      assert.equal(params.response_type, "code");
      assert.equal(params.code_challenge_method, "S256");
      assert.equal(params.expiration, "20160"); // minutes: the refresh token's two weeks
      assert.equal(params.scope, undefined);
    });

    it("reads config.json in the data folder, and environment variables win over it", async () => {
      app = await startOAuthStep({ env: { PROVIDER: "arcgis", CLIENT_ID: "from-env", REDIRECT_URI: "http://localhost:3000/authenticate" } });
      const file = { PROVIDER: "arcgis", CLIENT_ID: "from-file", REDIRECT_URI: "http://localhost:4000/authenticate" };
      writeFileSync(path.join(app.dataDir, "config.json"), JSON.stringify(file));
      await app.restart({ env: {} });
      const fromFile = (await startSignIn(app)).authorizeUrl.searchParams;
      assert.equal(fromFile.get("client_id"), "from-file");
      assert.equal(fromFile.get("redirect_uri"), "http://localhost:4000/authenticate");
      await app.restart({ env: { CLIENT_ID: "from-env" } });
      assert.equal((await startSignIn(app)).authorizeUrl.searchParams.get("client_id"), "from-env");
    });

    const badSettings: Array<{ env: Record<string, string>; message: RegExp | string }> = [
      { env: { PROVIDER: "arcgis" }, message: /^setting "CLIENT_ID" is missing: set it in config\.json or as an environment variable/ },
      { env: { PROVIDER: "arcgis", CLIENT_ID: "abc" }, message: /^setting "REDIRECT_URI" is missing/ },
      { env: { PROVIDER: "arcgis", CLIENT_ID: "abc", REDIRECT_URI: "http://app.example/authenticate" }, message: /^setting "REDIRECT_URI" is invalid: must use https:\/\// },
      { env: { PROVIDER: "github" }, message: /^setting "PROVIDER" is invalid: must be "local", "arcgis" or "custom", got "github"$/ },
      { env: { PROVIDER: "custom", CLIENT_ID: "x", REDIRECT_URI: "http://localhost:3000/authenticate" }, message: /^setting "AUTHORIZATION_ENDPOINT" is missing/ },
      { env: { REDIRECT_URI: "http://localhost:3000/callback" }, message: 'setting "REDIRECT_URI" is invalid: its path must be /authenticate, this app\'s callback, got "http://localhost:3000/callback"' },
      { env: { LOCAL_PROVIDER_PORT: "3001x" }, message: 'LOCAL_PROVIDER_PORT is invalid: must be a whole number from 0 to 65535, got "3001x"' },
      { env: { SESSION_SECRET: "too-short" }, message: /^secret "SESSION_SECRET" is invalid: must be at least 32 bytes/ },
    ];
    for (const { env, message } of badSettings) {
      it(`stops start-up with a TypeError naming the setting: ${JSON.stringify(env)}`, async () => {
        await assert.rejects(startOAuthStep({ env }), (error: unknown) => {
          assert.ok(error instanceof TypeError);
          if (typeof message === "string") assert.equal(error.message, message);
          else assert.match(error.message, message);
          return true;
        });
      });
    }

    it("stops start-up on a config.json that is not JSON, naming the file", async () => {
      app = await startOAuthStep({});
      writeFileSync(path.join(app.dataDir, "config.json"), "{ CLIENT_ID: abc }");
      await assert.rejects(app.restart(), {
        name: "TypeError",
        message: `config file "${path.join(app.dataDir, "config.json")}" is invalid: must be JSON like {"CLIENT_ID": "...", "REDIRECT_URI": "..."}`,
      });
    });

    it("createServer alone refuses PROVIDER=local: the bundled provider is started by start()", async () => {
      await assert.rejects(createServer({ dataDir: "/nonexistent", env: {} }), {
        name: "TypeError",
        message: 'setting "PROVIDER" is "local" but the bundled provider is not running: start this step with `npm run step -- 9`',
      });
    });
  });
});
