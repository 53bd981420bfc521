// The local provider's authorization endpoint, every refusal on its own (R23).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClock } from "../../helpers/clock.ts";
import { rawRequest } from "../../helpers/raw-http.ts";
import { appRedirectUri, authorizeUrl, openAuthorizePage, startLocalProvider, submitApproval, type RunningProvider } from "../helpers.ts";

describe("local provider: GET /authorize", () => {
  let running: RunningProvider;
  before(async () => {
    running = await startLocalProvider({ users: ["alice", "<b>bob</b>"] });
  });
  after(() => running.close());

  it("R23: shows an unframeable approval page with no CORS headers, not cached, not leaking the referrer", async () => {
    const page = await openAuthorizePage(authorizeUrl(running.baseUrl), undefined);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    assert.match(page.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
    // form-action must allow the client's origin: browsers apply it to the form's 303 as well.
    assert.match(page.headers.get("content-security-policy") ?? "", /form-action 'self' http:\/\/127\.0\.0\.1:1;/);
    assert.equal(page.headers.get("cache-control"), "no-store");
    assert.equal(page.headers.get("referrer-policy"), "no-referrer");
    assert.deepEqual([...page.headers.keys()].filter((name) => name.startsWith("access-control-")), []);
    assert.match(page.headers.get("set-cookie") ?? "", /^local_provider_browser=[A-Za-z0-9_-]{43}; Path=\/authorize; HttpOnly; SameSite=Lax$/);
    assert.match(page.body, /demo provider bundled with node-sessions-from-scratch, for learning/);
    assert.match(page.body, /<form method="post" action="\/authorize">/);
    assert.match(page.requestId ?? "", /^[A-Za-z0-9_-]{43}$/);
    assert.ok(page.body.includes("Continue as &lt;b&gt;bob&lt;/b&gt;"));
    assert.ok(!page.body.includes("<b>bob"));
  });

  it("answers HEAD with GET's status and headers but no cookie: a safe method creates no state (RFC 9110 §9.2.1, §9.3.2)", async () => {
    const head = await fetch(authorizeUrl(running.baseUrl), { method: "HEAD", redirect: "manual" });
    const get = await openAuthorizePage(authorizeUrl(running.baseUrl));
    assert.equal(head.status, 200);
    for (const name of ["content-type", "content-length", "content-security-policy", "cache-control", "x-frame-options"]) {
      assert.equal(head.headers.get(name), get.headers.get(name), name);
    }
    assert.equal(head.headers.get("set-cookie"), null);
    assert.equal(await head.text(), "");
  });

  it("replaces a browser cookie it did not issue (4 kB, percent-encoded, short) with a new one, never a 500", async () => {
    for (const value of ["a".repeat(4090), "%E2%82%AC".repeat(600), "short", `${"a".repeat(42)}!`]) {
      const page = await openAuthorizePage(authorizeUrl(running.baseUrl), `local_provider_browser=${value}`);
      assert.equal(page.status, 200, value.slice(0, 12));
      assert.match(page.cookie ?? "", /^local_provider_browser=[A-Za-z0-9_-]{43}$/, value.slice(0, 12));
      assert.equal((await submitApproval(running.baseUrl, page, { pick: "alice" })).status, 303); // the new one works
    }
  });

  it("R23: sends no CORS headers even to a cross-origin request that asks for them", async () => {
    const response = await fetch(authorizeUrl(running.baseUrl), { headers: { origin: "https://evil.example" } });
    assert.equal(response.headers.get("access-control-allow-origin"), null);
    const preflight = await fetch(`${running.baseUrl}/authorize`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 405);
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
  });

  // Refused with an error page and never redirected: the redirect target itself is not trusted.
  const pageRefusals: Array<[string, Record<string, string | null>]> = [
    ["an unknown client_id", { client_id: "evil-app" }],
    ["a missing client_id", { client_id: null }],
    ["a missing redirect_uri", { redirect_uri: null }],
    ["R23: an unregistered redirect_uri", { redirect_uri: "https://evil.example/authenticate" }],
    ["R23: a redirect_uri with a trailing slash", { redirect_uri: `${appRedirectUri}/` }],
    ["R23: a redirect_uri with an extra query", { redirect_uri: `${appRedirectUri}?next=https://evil.example` }],
    ["R23: a redirect_uri with a dot segment", { redirect_uri: "http://127.0.0.1:1/x/../authenticate" }],
    ["R23: a redirect_uri in other letter case", { redirect_uri: appRedirectUri.replace("authenticate", "Authenticate") }],
    ["R23: a redirect_uri with userinfo (open redirect trick)", { redirect_uri: "http://127.0.0.1:1@evil.example/authenticate" }],
  ];
  for (const [name, params] of pageRefusals) {
    const title = name.startsWith("R23: ") ? `R23: refuses ${name.slice(5)}` : `refuses ${name}`;
    it(`${title} with a 400 page and no redirect`, async () => {
      const page = await openAuthorizePage(authorizeUrl(running.baseUrl, params));
      assert.equal(page.status, 400);
      assert.equal(page.headers.get("location"), null);
      assert.equal(page.requestId, null);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    });
  }

  it("refuses a duplicated parameter with a 400 page", async () => {
    const page = await openAuthorizePage(`${authorizeUrl(running.baseUrl)}&redirect_uri=${encodeURIComponent("https://evil.example/cb")}`);
    assert.equal(page.status, 400);
    assert.equal(page.headers.get("location"), null);
  });

  it("reads the request in absolute form, whatever its authority, never a 500 (RFC 9112 §3.2.2)", async () => {
    const query = new URL(authorizeUrl(running.baseUrl)).search;
    // Authorities Node's parser lets through but new URL() can't parse; the path and query still count.
    for (const authority of ["host:99999", "a:b", "[::1", "[zz]", "a%zz", ":80"]) {
      for (const method of ["GET", "HEAD"]) {
        const reply = await rawRequest(running.baseUrl, `${method} http://${authority}/authorize${query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        assert.equal(reply.status, 200, `${method} ${authority}`);
      }
    }
    const unknownClient = query.replace("client_id=demo-app", "client_id=evil-app");
    assert.equal((await rawRequest(running.baseUrl, `GET http://a:b/authorize${unknownClient} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).status, 400);
  });

  // Refused by redirecting back to the (verified) client with error=, state and iss (RFC 6749 §4.1.2.1, RFC 9207).
  const redirectRefusals: Array<[string, Record<string, string | null>, string, string]> = [
    ["response_type=token (implicit grant)", { response_type: "token" }, "unsupported_response_type", "only response_type=code is supported"],
    ["a missing response_type", { response_type: null }, "unsupported_response_type", "only response_type=code is supported"],
    ["R23: a missing code_challenge (PKCE required)", { code_challenge: null, code_challenge_method: null }, "invalid_request", "code_challenge is required (PKCE, RFC 7636)"],
    ["the plain PKCE method", { code_challenge_method: "plain" }, "invalid_request", "code_challenge_method must be S256"],
    ["a code_challenge without a method (means plain)", { code_challenge_method: null }, "invalid_request", "code_challenge_method must be S256"],
    ["a code_challenge that is not a SHA-256", { code_challenge: "too-short" }, "invalid_request", "code_challenge is not a base64url SHA-256"],
    ["a code_challenge_method without a challenge", { code_challenge: null }, "invalid_request", "code_challenge_method without code_challenge"],
    ["an unsupported scope", { scope: "profile admin" }, "invalid_scope", 'only the scope "profile" is supported'],
    ["a state longer than 1024 characters", { state: "s".repeat(1025) }, "invalid_request", "state is longer than 1024 characters"],
  ];
  for (const [name, params, error, description] of redirectRefusals) {
    const title = name.startsWith("R23: ") ? `R23: refuses ${name.slice(5)}` : `refuses ${name}`;
    it(`${title} by redirecting with error=${error}`, async () => {
      const response = await fetch(authorizeUrl(running.baseUrl, params), { redirect: "manual" });
      assert.equal(response.status, 303);
      const location = new URL(response.headers.get("location")!);
      assert.equal(`${location.origin}${location.pathname}`, appRedirectUri);
      assert.deepEqual(Object.fromEntries(location.searchParams), {
        error, error_description: description, state: params.state ?? "state-123", iss: running.baseUrl,
      });
    });
  }
});

describe("local provider: POST /authorize (the approval form)", () => {
  const clock = createClock();
  let running: RunningProvider;
  before(async () => {
    running = await startLocalProvider({ now: clock.now });
  });
  after(() => running.close());

  it("R23: approving answers 303 to the exact redirect URI with code, state and iss, uncached", async () => {
    const page = await openAuthorizePage(authorizeUrl(running.baseUrl));
    const response = await submitApproval(running.baseUrl, page, { pick: "alice" });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    const location = new URL(response.headers.get("location")!);
    assert.equal(`${location.origin}${location.pathname}`, appRedirectUri);
    assert.deepEqual([...location.searchParams.keys()], ["code", "state", "iss"]);
    assert.match(location.searchParams.get("code")!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(location.searchParams.get("state"), "state-123");
    assert.equal(location.searchParams.get("iss"), running.baseUrl);
  });

  it("accepts a typed name, and the same cookie across several open requests", async () => {
    const first = await openAuthorizePage(authorizeUrl(running.baseUrl));
    const second = await openAuthorizePage(authorizeUrl(running.baseUrl), first.cookie!);
    assert.equal(second.cookie, first.cookie);
    for (const page of [first, second]) {
      const response = await submitApproval(running.baseUrl, page, { typed_username: "  Zoë  ", decision: "approve" });
      assert.equal(response.status, 303);
    }
  });

  it("denying answers 303 with error=access_denied, state and iss", async () => {
    const page = await openAuthorizePage(authorizeUrl(running.baseUrl));
    const response = await submitApproval(running.baseUrl, page, { decision: "deny", pick: "alice" });
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get("location")!);
    assert.deepEqual(Object.fromEntries(location.searchParams), {
      error: "access_denied", error_description: "the user denied the request", state: "state-123", iss: running.baseUrl,
    });
  });

  it("refuses a cross-site form post (Sec-Fetch-Site), even from the app on another port (same-site)", async () => {
    for (const site of ["cross-site", "same-site"]) {
      const page = await openAuthorizePage(authorizeUrl(running.baseUrl));
      const response = await submitApproval(running.baseUrl, page, { pick: "alice" }, { "sec-fetch-site": site });
      assert.equal(response.status, 403, site);
      assert.equal(response.headers.get("location"), null);
    }
  });

  it("refuses a form post whose Origin is not the provider's", async () => {
    for (const origin of ["https://evil.example", "null", "http://127.0.0.1:1"]) {
      const page = await openAuthorizePage(authorizeUrl(running.baseUrl));
      const response = await submitApproval(running.baseUrl, page, { pick: "alice" }, { origin });
      assert.equal(response.status, 403, origin);
    }
    const page = await openAuthorizePage(authorizeUrl(running.baseUrl));
    const sameOrigin = await submitApproval(running.baseUrl, page, { pick: "alice" }, { origin: running.baseUrl, "sec-fetch-site": "same-origin" });
    assert.equal(sameOrigin.status, 303);
  });

  it("refuses a form without the browser's cookie, or with another browser's (CSRF)", async () => {
    const victim = await openAuthorizePage(authorizeUrl(running.baseUrl));
    const attacker = await openAuthorizePage(authorizeUrl(running.baseUrl));
    const noCookie = await submitApproval(running.baseUrl, { ...victim, cookie: null }, { pick: "alice" });
    assert.equal(noCookie.status, 403);
    const wrongCookie = await submitApproval(running.baseUrl, { ...victim, cookie: attacker.cookie }, { pick: "alice" });
    assert.equal(wrongCookie.status, 403);
    // The genuine form still works afterwards.
    assert.equal((await submitApproval(running.baseUrl, victim, { pick: "alice" })).status, 303);
  });

  it("refuses a missing, unknown, used or expired request_id", async () => {
    const page = await openAuthorizePage(authorizeUrl(running.baseUrl));
    assert.equal((await submitApproval(running.baseUrl, { ...page, requestId: "" }, { pick: "alice" })).status, 400);
    assert.equal((await submitApproval(running.baseUrl, { ...page, requestId: "x".repeat(43) }, { pick: "alice" })).status, 400);
    assert.equal((await submitApproval(running.baseUrl, page, { pick: "alice" })).status, 303);
    const replay = await submitApproval(running.baseUrl, page, { pick: "alice" });
    assert.equal(replay.status, 400);
    assert.match(await replay.text(), /This sign-in request expired or was already answered\./);

    const old = await openAuthorizePage(authorizeUrl(running.baseUrl));
    clock.advance(10 * 60 * 1000);
    assert.equal((await submitApproval(running.baseUrl, old, { pick: "alice" })).status, 400);
  });

  it("re-shows the page with an escaped message for an invalid typed name, keeping the request", async () => {
    const page = await openAuthorizePage(authorizeUrl(running.baseUrl));
    for (const typed of ["", "   ", "a\u0000b", "x".repeat(65), "\u202Eevil"]) {
      const response = await submitApproval(running.baseUrl, page, { typed_username: typed });
      assert.equal(response.status, 400, JSON.stringify(typed));
      assert.match(await response.text(), /role="alert"/);
    }
    const html = await submitApproval(running.baseUrl, page, { typed_username: `"><script>x</script>${"y".repeat(70)}` });
    const body = await html.text();
    assert.ok(!body.includes("<script>x"));
    assert.ok(body.includes("&quot;&gt;&lt;script&gt;x&lt;/script&gt;"));
    assert.equal((await submitApproval(running.baseUrl, page, { typed_username: "ada" })).status, 303);
  });

  it("refuses a body that is not a form, or is malformed", async () => {
    const page = await openAuthorizePage(authorizeUrl(running.baseUrl));
    const json = await fetch(`${running.baseUrl}/authorize`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: page.cookie! },
      body: JSON.stringify({ request_id: page.requestId, pick: "alice" }),
    });
    assert.equal(json.status, 415);
    const duplicated = await fetch(`${running.baseUrl}/authorize`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: page.cookie! },
      body: `request_id=${page.requestId}&pick=alice&pick=bob`,
    });
    assert.equal(duplicated.status, 400);
  });
});
