// Step 07 over real HTTP: the hardened login system. Forms with labels and autocomplete, a static
// stylesheet, CSRF tokens and origin checks, the login guard and its return path, throttling,
// password change, HTTPS cookies behind a trusted proxy, and the session timeouts.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { loginFailedMessage } from "../../src/auth/login.ts";
import { hashPassword, passwordHashSlots, verifyPassword } from "../../src/crypto/password.ts";
import { type TestClock, createClock } from "../helpers/clock.ts";
import { csrfOn, fillIn, hiddenField, homeSentence, logIn, openForm, registerUser, submitForm } from "../helpers/forms.ts";
import { rawRequest } from "../helpers/raw-http.ts";
import { type StartedStep, startStep } from "../helpers/start-step.ts";

const password = "correct horse battery staple";
const newPassword = "a completely different passphrase";
const env = { SCRYPT_PARAMS: "fast-for-tests" };
const minute = 60_000;
const forbidden = "Forbidden: this form came from another site, or has expired. Reload the page and try again.";

const home = homeSentence;

describe("step 07: forms, hardened", () => {
  let clock: TestClock;
  let app: StartedStep;
  beforeEach(async () => {
    clock = createClock();
    app = await startStep("07", { env, now: clock.now });
  });
  afterEach(() => app.close());

  describe("pages", () => {
    it("labels every field and gives password managers autocomplete hints", async () => {
      const register = (await openForm(app, "/register")).html;
      assert.match(register, /<label for="username">Username<\/label>\s*<input id="username" name="username" autocomplete="username" required maxlength="64" value="">/);
      assert.match(register, /<input id="password" name="password" type="password" autocomplete="new-password" required minlength="15">/);
      assert.match(register, /<input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="15">/);
      const login = (await openForm(app, "/login")).html;
      assert.match(login, /<input id="username" name="username" autocomplete="username" required value="">/);
      assert.match(login, /<input id="password" name="password" type="password" autocomplete="current-password" required>/);
      for (const html of [register, login]) {
        assert.match(html, /<link rel="stylesheet" href="\/static\/style.css">/);
        assert.match(html, /<html lang="en">/);
      }
    });

    it("R09: sends every page that depends on the session with Cache-Control: no-store", async () => {
      await registerUser(app, app, "alice", password);
      for (const path of ["/", "/login", "/register", "/password"]) {
        const response = await app.fetch(path);
        assert.equal(response.headers.get("cache-control"), "no-store", path);
        await response.text();
      }
    });

    it("shows a form's error next to it and keeps the username, never the password", async () => {
      const { csrf } = await openForm(app, "/register");
      const response = await submitForm(app, "/register", { username: "alice", password, confirm: "something else entirely" }, { csrf });
      assert.equal(response.status, 400);
      const html = await response.text();
      assert.match(html, /<form method="post" action="\/register">\s*<p class="error" role="alert">The passwords do not match\.<\/p>/);
      assert.match(html, /name="username" autocomplete="username" required maxlength="64" value="alice">/);
      assert.ok(!html.includes(password) && !html.includes("something else"), "passwords are never sent back");
    });

    it("escapes what it echoes: a username full of HTML stays text in the page and in the value attribute", async () => {
      const name = `"><script>alert('x')</script>`;
      const { csrf } = await openForm(app, "/login");
      const response = await submitForm(app, "/login", { username: name, password }, { csrf });
      assert.equal(response.status, 401);
      const html = await response.text();
      assert.ok(html.includes(`value="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"`));
      assert.ok(!html.includes("<script>"));
    });
  });

  describe("the stylesheet", () => {
    it("is served as text/css with Cache-Control and an ETag, and 304 when unchanged", async () => {
      const response = await app.fetch("/static/style.css");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/css; charset=utf-8");
      assert.equal(response.headers.get("cache-control"), "public, max-age=3600");
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      assert.deepEqual(response.headers.getSetCookie(), [], "no session for a stylesheet");
      assert.match(await response.text(), /^\/\* The one stylesheet of step 07/);
      const etag = response.headers.get("etag");
      assert.ok(etag);
      const again = await app.fetch("/static/style.css", { headers: { "if-none-match": etag } });
      assert.equal(again.status, 304);
      assert.equal(await again.text(), "");
    });

    it("never serves anything outside its folder", async () => {
      for (const path of ["/static/..%2Fserver.ts", "/static/%2e%2e%2fpages.ts", "/static/..%5Cserver.ts", "/static/.hidden",
        "/static/style.css%00.txt", "/static/nope.css", "/static/..%252Fserver.ts"]) {
        const response = await app.fetch(path);
        assert.equal(response.status, 404, path);
        assert.equal(await response.text(), "Not Found");
      }
      // fetch() would resolve these dot segments itself; sent raw, they reach the server as written.
      for (const target of ["/static/../server.ts", "/static/../../package.json", "/static//etc/passwd", "/static/%2e%2e",
        "/static/%2e%2e/server.ts"]) {
        const reply = await rawRequest(app.baseUrl, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        assert.equal(reply.status, 404, target);
      }
    });
  });

  describe("R18, R19: forged requests", () => {
    it("R19: gives the login form a pre-session holding a CSRF token, sent as a hidden field", async () => {
      const { response, csrf } = await openForm(app, "/login");
      assert.match(csrf ?? "", /^[A-Za-z0-9_-]{43}$/);
      assert.match(response.headers.getSetCookie()[0] ?? "", /^sid=/);
      assert.equal(hiddenField((await openForm(app, "/login")).html, "csrf"), csrf, "one token per session");
    });

    it("R19: refuses a POST without the token, with a wrong one, or with another session's token: 403", async () => {
      await registerUser(app, app.newBrowser(), "alice", password);
      const { csrf } = await openForm(app, "/login");
      const other = await openForm(app, "/login", app.newBrowser());
      const fields = { username: "alice", password };
      const attempts: Array<[string, string | undefined]> = [
        ["no token", undefined],
        ["an empty token", ""],
        ["a wrong token", "A".repeat(43)],
        ["a token one character short", csrf!.slice(1)],
        ["another session's token", other.csrf],
        ["a token with a NUL byte", `${csrf}\u0000`],
      ];
      for (const [label, token] of attempts) {
        const response = await submitForm(app, "/login", fields, { csrf: token });
        assert.equal(response.status, 403, label);
        assert.equal(await response.text(), forbidden);
      }
      const tokenInUrl = await app.fetch(`/login?csrf=${csrf}`, {
        method: "POST", body: new URLSearchParams(fields), headers: { origin: app.baseUrl },
      });
      assert.equal(tokenInUrl.status, 403, "a token in the URL is not read");
      await tokenInUrl.text();
      const ok = await submitForm(app, "/login", fields, { csrf });
      assert.equal(ok.status, 303);
      await ok.text();
    });

    it("R19: a POST without any session is refused too (login CSRF)", async () => {
      await registerUser(app, app.newBrowser(), "alice", password);
      const response = await submitForm(app, "/login", { username: "alice", password }, { browser: app.newBrowser() });
      assert.equal(response.status, 403);
      await response.text();
    });

    it("R18: refuses POSTs another site sent, whatever the token, before reading the body", async () => {
      const { csrf } = await openForm(app, "/login");
      const cases: Array<[string, Record<string, string>, string | null]> = [
        ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }, null],
        ["Sec-Fetch-Site: same-site (a sibling subdomain)", { "sec-fetch-site": "same-site" }, null],
        ["a foreign Origin", {}, "https://evil.example"],
        ["Origin: null (a sandboxed frame)", {}, "null"],
        ["our host on another scheme", {}, app.baseUrl.replace("http:", "https:")],
        ["our host on another port", {}, "http://127.0.0.1:1"],
        ["neither Origin, Referer nor Sec-Fetch-Site", {}, null],
        ["a foreign Referer only", { referer: "https://evil.example/page" }, null],
      ];
      for (const [label, headers, origin] of cases) {
        const response = await submitForm(app, "/login", { username: "alice", password }, { csrf, origin, headers });
        assert.equal(response.status, 403, label);
        // The body was never read, so the connection can't be reused: node:http would read it all.
        assert.equal(response.headers.get("connection"), "close", label);
        assert.equal(await response.text(), forbidden);
      }
      const sameOrigin: Array<Record<string, string>> = [{ "sec-fetch-site": "same-origin" }, { referer: `${app.baseUrl}/login` }];
      for (const headers of sameOrigin) {
        const response = await submitForm(app, "/login", { username: "alice", password }, { csrf, origin: null, headers });
        assert.equal(response.status, 401, JSON.stringify(headers)); // let through, then a wrong login
        await response.text();
      }
    });

    it("R19, R05: logging in replaces the pre-session: new ID, new token, the old ones dead", async () => {
      await registerUser(app, app.newBrowser(), "alice", password);
      const { csrf: preToken } = await openForm(app, "/login");
      const preSession = app.jar.get("sid")!;
      const response = await submitForm(app, "/login", { username: "alice", password }, { csrf: preToken });
      assert.equal(response.status, 303);
      await response.text();
      assert.notEqual(app.jar.get("sid"), preSession);
      const token = await csrfOn(app, app);
      assert.notEqual(token, preToken);
      const stale = await submitForm(app, "/logout", {}, { csrf: preToken });
      assert.equal(stale.status, 403, "the pre-session's token does not work in the new session");
      await stale.text();
      const fixated = app.newBrowser();
      fixated.jar.set("sid", preSession);
      assert.equal(await home(fixated), "303 /login", "the pre-session ID does not become logged in");
    });

    it("answers 405 for GET /logout: no GET changes state", async () => {
      const response = await app.fetch("/logout");
      assert.equal(response.status, 405);
      assert.equal(response.headers.get("allow"), "POST");
      await response.text();
    });
  });

  describe("R21: requireLogin and the return path", () => {
    it("sends a visitor to /login with the page as returnTo, and back there after logging in", async () => {
      await registerUser(app, app.newBrowser(), "alice", password);
      const guarded = await app.fetch("/password");
      assert.equal(guarded.status, 303);
      assert.equal(guarded.headers.get("location"), "/login?returnTo=%2Fpassword");
      await guarded.text();
      const form = await openForm(app, "/login?returnTo=%2Fpassword");
      assert.equal(hiddenField(form.html, "returnTo"), "/password");
      const response = await submitForm(app, "/login", { username: "alice", password, returnTo: "/password" }, { csrf: form.csrf });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/password");
      await response.text();
    });

    it("sends a session whose account was taken out of users.json to /login, not round in circles on /", async () => {
      await registerUser(app, app, "alice", password);
      writeFileSync(join(app.dataDir, "users", "users.json"), JSON.stringify({ version: 1, users: [] }));
      await app.restart();
      assert.equal(await home(app), "303 /login");
    });

    it("keeps the query of the page asked for, and sends / itself to plain /login", async () => {
      const withQuery = await app.fetch("/password?from=menu");
      assert.equal(withQuery.headers.get("location"), "/login?returnTo=%2Fpassword%3Ffrom%3Dmenu");
      await withQuery.text();
      const root = await app.fetch("/");
      assert.equal(root.headers.get("location"), "/login");
      await root.text();
      // A hand-written link with the "?" unencoded: everything after the first "?" is the query.
      const handWritten = await openForm(app, "/login?returnTo=/password?from=menu");
      assert.equal(hiddenField(handWritten.html, "returnTo"), "/password?from=menu");
    });

    it("never redirects off-site, whatever returnTo says", async () => {
      await registerUser(app, app.newBrowser(), "alice", password);
      const attacks = ["//evil.example", "/\\evil.example", "https://evil.example/", "/\t/evil.example", "/.//evil.example",
        "javascript:alert(1)", "\\\\evil.example", "http:evil.example", " //evil.example", "/%2F/evil.example"];
      for (const returnTo of attacks) {
        const browser = app.newBrowser();
        const form = await openForm(app, `/login?returnTo=${encodeURIComponent(returnTo)}`, browser);
        const shown = hiddenField(form.html, "returnTo")!;
        assert.ok(shown.startsWith("/") && !shown.startsWith("//") && !shown.startsWith("/\\"), `${returnTo} shown as ${shown}`);
        const response = await submitForm(app, "/login", { username: "alice", password, returnTo }, { browser, csrf: form.csrf });
        const location = response.headers.get("location")!;
        assert.equal(response.status, 303);
        assert.ok(location.startsWith("/") && !location.startsWith("//") && !location.startsWith("/\\"), `${returnTo} → ${location}`);
        assert.equal(new URL(location, app.baseUrl).origin, app.baseUrl, returnTo);
        await response.text();
      }
    });
  });

  describe("R05: changing the password", () => {
    it("signs out every other session of the user, keeps this one (with a new ID), and swaps the password", async () => {
      await registerUser(app, app, "alice", password);
      const laptop = app.newBrowser();
      assert.equal((await logIn(app, laptop, "alice", password)).status, 303);
      const bob = app.newBrowser();
      await registerUser(app, bob, "bob", password);
      const before = app.jar.get("sid");
      const response = await fillIn(app, app, "/password", { current: password, password: newPassword, confirm: newPassword });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/");
      await response.text();
      assert.notEqual(app.jar.get("sid"), before, "a new session ID after the change");
      const page = await (await app.fetch("/")).text();
      assert.match(page, /<p class="notice" role="status">Password changed\. Every other session was signed out\.<\/p>/);
      assert.doesNotMatch(await (await app.fetch("/")).text(), /Password changed/, "the notice is shown once");
      assert.equal(await home(laptop), "303 /login", "the other browser is signed out");
      assert.match(await home(bob), /^User "bob"/, "other users are untouched");
      assert.equal((await logIn(app, app.newBrowser(), "alice", password)).status, 401);
      assert.equal((await logIn(app, app.newBrowser(), "alice", newPassword)).status, 303);
    });

    it("refuses a wrong current password (401), a mismatch (400) and a short one (400), changing nothing", async () => {
      await registerUser(app, app, "alice", password);
      const cases: Array<[Record<string, string>, number, string]> = [
        [{ current: "wrong wrong wrong wrong", password: newPassword, confirm: newPassword }, 401, "Your current password is incorrect."],
        [{ current: password, password: newPassword, confirm: `${newPassword}.` }, 400, "The passwords do not match."],
        [{ current: password, password: "short", confirm: "short" }, 400, "Password must be at least 15 characters."],
      ];
      for (const [fields, status, message] of cases) {
        const response = await fillIn(app, app, "/password", fields);
        assert.equal(response.status, status, message);
        assert.ok((await response.text()).includes(`<p class="error" role="alert">${message}</p>`), message);
      }
      assert.equal((await logIn(app, app.newBrowser(), "alice", password)).status, 303);
    });

    it("sends a visitor who is not logged in to /login instead", async () => {
      const { csrf } = await openForm(app, "/login");
      const response = await submitForm(app, "/password", { current: password, password: newPassword, confirm: newPassword }, { csrf });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/login?returnTo=%2Fpassword");
      await response.text();
    });
  });

  describe("R06: logout", () => {
    it("deletes the session, clears the cookie, and the old cookie then gets the login page", async () => {
      await registerUser(app, app, "alice", password);
      const cookie = app.jar.get("sid")!;
      const response = await submitForm(app, "/logout", {}, { csrf: await csrfOn(app, app) });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/login");
      assert.deepEqual(response.headers.getSetCookie(), [
        "sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
      ]);
      await response.text();
      const replay = app.newBrowser();
      replay.jar.set("sid", cookie);
      assert.equal(await home(replay), "303 /login");
    });

    it("refuses a logout without this session's token (403), and stays logged in", async () => {
      await registerUser(app, app, "alice", password);
      const response = await submitForm(app, "/logout", {}, { csrf: "A".repeat(43) });
      assert.equal(response.status, 403);
      await response.text();
      assert.match(await home(app), /^User "alice" has/);
    });

    it("is harmless without a session", async () => {
      const response = await submitForm(app, "/logout", {}, { browser: app.newBrowser() });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/login");
      await response.text();
    });
  });

  describe("R17: login throttling", () => {
    it("answers 429 with Retry-After after 5 failures for one username, and lets the user in once it passes", async () => {
      await registerUser(app, app.newBrowser(), "alice", password);
      // Each attempt from its own proxy-less browser shares 127.0.0.1: this counts both keys.
      for (let attempt = 1; attempt <= 5; attempt++) {
        const response = await logIn(app, app.newBrowser(), "alice", `wrong guess number ${attempt}!`);
        assert.equal(response.status, 401, `attempt ${attempt}`);
        assert.ok((await response.text()).includes(loginFailedMessage));
      }
      const throttled = await logIn(app, app.newBrowser(), "alice", password);
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get("retry-after"), "1");
      assert.match(await throttled.text(), /Too many failed sign-in attempts\. Try again in 1 second\./);
      clock.advance(1000);
      const allowed = await logIn(app, app.newBrowser(), "alice", password);
      assert.equal(allowed.status, 303);
      await allowed.text();
    });

    it("counts every registration against the client's address: after 10 in a row the next waits, and makes no account", async () => {
      // Each costs a hash and says whether a name is taken: unthrottled, one client could delay every
      // sign-in without end, and test names at full speed. Gentler than logins: offices share an address.
      for (let attempt = 1; attempt <= 9; attempt++) await registerUser(app, app.newBrowser(), `user${attempt}`, password);
      const taken = await fillIn(app, app.newBrowser(), "/register", { username: "user1", password, confirm: password });
      assert.equal(taken.status, 409); // counted too
      await taken.text();
      const throttled = await fillIn(app, app.newBrowser(), "/register", { username: "user11", password, confirm: password });
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get("retry-after"), "1");
      assert.match(await throttled.text(), /<p class="error" role="alert">Too many registrations from your network\. Try again in 1 second\.<\/p>/);
      assert.equal((await logIn(app, app.newBrowser(), "user11", password)).status, 401, "no account was made");
      assert.equal((await logIn(app, app.newBrowser(), "user1", password)).status, 303, "logins have their own count");
      clock.advance(1000);
      await registerUser(app, app.newBrowser(), "user11", password);
    });

    it("never makes a registration wait more than a minute, however many came from the address", async () => {
      const waits: number[] = [];
      for (let attempt = 1; attempt <= 30; attempt++) { // each 429 is waited out, so the next one registers
        const response = await fillIn(app, app.newBrowser(), "/register", { username: `user${attempt}`, password, confirm: password });
        await response.text();
        const wait = Number(response.headers.get("retry-after") ?? 0);
        if (wait > 0) waits.push(wait);
        clock.advance(wait * 1000);
      }
      assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
    });

    it("lets registrations sent at once take turns: a burst of 12 makes 10 accounts and 2 answers of 429", async () => {
      const burst = await Promise.all(Array.from({ length: 12 }, (_, index) =>
        fillIn(app, app.newBrowser(), "/register", { username: `burst${index}`, password, confirm: password })));
      for (const response of burst) await response.text();
      assert.deepEqual(burst.map((response) => response.status).sort(), [...Array(10).fill(303), 429, 429]);
    });

    it("throttles wrong current passwords on the change form per sign-in: no guessing through it", async () => {
      await registerUser(app, app, "alice", password);
      for (let attempt = 1; attempt <= 5; attempt++) {
        const response = await fillIn(app, app, "/password", { current: `wrong guess number ${attempt}!`, password: newPassword, confirm: newPassword });
        assert.equal(response.status, 401, `attempt ${attempt}`);
        await response.text();
      }
      const throttled = await fillIn(app, app, "/password", { current: password, password: newPassword, confirm: newPassword });
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get("retry-after"), "1");
      // Says to wait, not that the (right) current password is wrong.
      assert.match(await throttled.text(), /<p class="error" role="alert">Too many failed sign-in attempts\. Try again in 1 second\.<\/p>/);
    });

    it("doubles the wait with each further failure", async () => {
      for (let attempt = 1; attempt <= 5; attempt++) await (await logIn(app, app.newBrowser(), "alice", "x".repeat(20))).text();
      clock.advance(1000);
      await (await logIn(app, app.newBrowser(), "alice", "y".repeat(20))).text(); // 6th failure: 2 s
      const throttled = await logIn(app, app.newBrowser(), "alice", "z".repeat(20));
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get("retry-after"), "2");
      await throttled.text();
    });
  });

  describe("R07, R08: timeouts (injected clock)", () => {
    it("R07: ends a session idle for 30 minutes: valid just before, gone at the limit", async () => {
      await registerUser(app, app, "alice", password);
      clock.advance(30 * minute - 1);
      assert.equal(await home(app), 'User "alice" has 1 views');
      clock.advance(30 * minute - 1);
      assert.equal(await home(app), 'User "alice" has 2 views', "each visit restarts the idle timer");
      const cookie = app.jar.get("sid")!;
      clock.advance(30 * minute);
      assert.equal(await home(app), "303 /login");
      assert.deepEqual(readdirSync(join(app.dataDir, "sessions")).filter((name) => name.endsWith(".session")), [],
        "the expired session's file was deleted when it was seen");
      app.jar.set("sid", cookie);
      assert.equal(await home(app), "303 /login", "and its cookie opens nothing afterwards");
    });

    it("R08: ends even an active session 8 hours after login", async () => {
      await registerUser(app, app, "alice", password);
      for (let elapsed = 0; elapsed < 8 * 60 - 20; elapsed += 20) {
        clock.advance(20 * minute);
        assert.match(await home(app), /^User "alice"/, `after ${elapsed + 20} minutes`);
      }
      clock.advance(20 * minute); // 8 h 0 min since login
      assert.equal(await home(app), "303 /login");
    });
  });
});

describe("step 07: cookies over HTTPS (R03)", () => {
  let app: StartedStep;
  afterEach(() => app.close());

  it("names the cookie __Host-sid and marks it Secure behind a trusted proxy that says https", async () => {
    app = await startStep("07", { env: { ...env, TRUST_PROXY: "1" } });
    const headers = { "x-forwarded-proto": "https" };
    const response = await app.fetch("/login", { headers });
    assert.match(response.headers.getSetCookie()[0] ?? "",
      /^__Host-sid=[^;]+; Max-Age=1800; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const csrf = hiddenField(await response.text(), "csrf");
    // The app's origin is now https://: a browser's Origin says so too, and plain http is refused.
    const httpsOrigin = app.baseUrl.replace("http:", "https:");
    const wrongScheme = await submitForm(app, "/login", { username: "x", password: "y" }, { csrf, headers });
    assert.equal(wrongScheme.status, 403);
    await wrongScheme.text();
    const ok = await submitForm(app, "/login", { username: "x", password: "y" }, { csrf, headers, origin: httpsOrigin });
    assert.equal(ok.status, 401);
    await ok.text();
  });

  it("tells browsers to use HTTPS only (Strict-Transport-Security) on HTTPS answers, even refusals, and never over HTTP", async () => {
    app = await startStep("07", { env: { ...env, TRUST_PROXY: "1" } });
    const https = { "x-forwarded-proto": "https" };
    for (const response of [await app.fetch("/login", { headers: https }), await app.fetch("/nowhere", { headers: https }),
      await submitForm(app, "/login", { username: "x", password: "y" }, { csrf: "x", headers: https, origin: "https://evil.example" })]) {
      assert.equal(response.headers.get("strict-transport-security"), "max-age=31536000", response.url);
      await response.text();
    }
    const plain = await app.fetch("/login");
    assert.equal(plain.headers.get("strict-transport-security"), null);
    await plain.text();
  });

  it("ignores X-Forwarded-Proto unless TRUST_PROXY is set", async () => {
    app = await startStep("07", { env });
    const response = await app.fetch("/login", { headers: { "x-forwarded-proto": "https" } });
    assert.match(response.headers.getSetCookie()[0] ?? "", /^sid=[^;]+; Max-Age=1800; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.equal(response.headers.get("strict-transport-security"), null); // not HTTPS as far as we can tell
    await response.text();
  });

  it("throttles per client address from X-Forwarded-For behind a trusted proxy, so one address cannot lock out others", async () => {
    app = await startStep("07", { env: { ...env, TRUST_PROXY: "1" } });
    const from = (address: string) => ({ "x-forwarded-for": address });
    for (let attempt = 1; attempt <= 5; attempt++) {
      const browser = app.newBrowser();
      const { csrf } = await openForm(app, "/login", browser);
      const response = await submitForm(app, "/login", { username: `user${attempt}`, password: "wrong password!" },
        { browser, csrf, headers: from("203.0.113.7") });
      assert.equal(response.status, 401);
      await response.text();
    }
    const attacker = app.newBrowser();
    const { csrf } = await openForm(app, "/login", attacker);
    const blocked = await submitForm(app, "/login", { username: "someone", password: "x" }, { browser: attacker, csrf, headers: from("203.0.113.7") });
    assert.equal(blocked.status, 429);
    await blocked.text();
    const elsewhere = await submitForm(app, "/login", { username: "someone", password: "x" }, { browser: attacker, csrf, headers: from("198.51.100.1") });
    assert.equal(elsewhere.status, 401, "another address is not affected");
    await elsewhere.text();
  });

  it("ignores X-Forwarded-For unless TRUST_PROXY is set: made-up addresses do not dodge the login throttle", async () => {
    app = await startStep("07", { env });
    const failedLogin = async (address: string, username: string) => {
      const browser = app.newBrowser();
      const { csrf } = await openForm(app, "/login", browser);
      const response = await submitForm(app, "/login", { username, password: "wrong password!" },
        { browser, csrf, headers: { "x-forwarded-for": address } });
      await response.text();
      return response.status;
    };
    // Five names, five claimed addresses: only the real one, 127.0.0.1, is common to them all.
    for (let index = 1; index <= 5; index++) assert.equal(await failedLogin(`198.51.100.${index}`, `user${index}`), 401);
    assert.equal(await failedLogin("198.51.100.99", "someone"), 429);
  });

  describe("the registration throttle's client address", () => {
    const registerFrom = async (address: string, username: string) => {
      const browser = app.newBrowser();
      const { csrf } = await openForm(app, "/register", browser);
      const response = await submitForm(app, "/register", { username, password, confirm: password },
        { browser, csrf, headers: { "x-forwarded-for": address } });
      await response.text();
      return response.status;
    };

    it("ignores X-Forwarded-For unless TRUST_PROXY is set: made-up addresses do not dodge it", async () => {
      app = await startStep("07", { env });
      for (let index = 1; index <= 10; index++) assert.equal(await registerFrom(`198.51.100.${index}`, `user${index}`), 303);
      assert.equal(await registerFrom("198.51.100.99", "user11"), 429);
    });

    it("counts one IPv6 site (its /56) as one client behind a trusted proxy: its other addresses do not dodge it", async () => {
      app = await startStep("07", { env: { ...env, TRUST_PROXY: "1" } });
      for (let index = 1; index <= 10; index++) {
        assert.equal(await registerFrom(`2001:db8:0:${index.toString(16)}::${index}`, `user${index}`), 303);
      }
      assert.equal(await registerFrom("2001:db8:0:ff::1", "user11"), 429);
      assert.equal(await registerFrom("2001:db8:1::1", "user12"), 303, "another site is not affected");
    });
  });

  it("throttles per username too: guesses from many addresses still lock the account's login", async () => {
    app = await startStep("07", { env: { ...env, TRUST_PROXY: "1" } });
    await registerUser(app, app.newBrowser(), "alice", password);
    const attempt = async (address: string, guess: string) => {
      const browser = app.newBrowser();
      const { csrf } = await openForm(app, "/login", browser);
      const response = await submitForm(app, "/login", { username: "alice", password: guess },
        { browser, csrf, headers: { "x-forwarded-for": address } });
      await response.text();
      return response.status;
    };
    for (let index = 1; index <= 5; index++) assert.equal(await attempt(`198.51.100.${index}`, "wrong guess, wrong guess"), 401);
    assert.equal(await attempt("198.51.100.99", password), 429, "even the right password waits");
  });

  it("never keeps a signed-in user from changing their password, whatever others' failed logins for the name", async () => {
    // Anyone can renew the username's lock for good; the change form is keyed by the session instead.
    app = await startStep("07", { env: { ...env, TRUST_PROXY: "1" } });
    await registerUser(app, app, "alice", password);
    const failedLogin = async (address: string) => {
      const browser = app.newBrowser();
      const { csrf } = await openForm(app, "/login", browser);
      const response = await submitForm(app, "/login", { username: "alice", password: "wrong guess, wrong guess" },
        { browser, csrf, headers: { "x-forwarded-for": address } });
      await response.text();
      return response.status;
    };
    for (let index = 1; index <= 6; index++) await failedLogin(`198.51.100.${index}`);
    assert.equal(await failedLogin("198.51.100.99"), 429, "the username is locked");
    const response = await fillIn(app, app, "/password", { current: password, password: newPassword, confirm: newPassword });
    assert.equal(response.status, 303);
    await response.text();
  });

  it("refuses to start with a TRUST_PROXY it does not understand", async () => {
    await assert.rejects(startStep("07", { env: { ...env, TRUST_PROXY: "yes please" } }), {
      name: "TypeError",
      message: `TRUST_PROXY is invalid: must be "1" (only behind your own reverse proxy) or "0"`,
    });
    app = await startStep("07", { env }); // afterEach closes something
  });
});

describe("step 07: password hashes over HTTP", () => {
  let app: StartedStep | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("R14: upgrades a weaker stored hash at the next successful login", async () => {
    app = await startStep("07", { env }); // SCRYPT_PARAMS=fast-for-tests: ln=10
    await registerUser(app, app.newBrowser(), "alice", password);
    const usersFile = join(app.dataDir, "users", "users.json");
    const stored = JSON.parse(readFileSync(usersFile, "utf8")) as { users: Array<{ passwordHash: string }> };
    assert.match(stored.users[0]!.passwordHash, /^\$scrypt\$ln=10,/);
    // As if written by an older version with cheaper parameters (ln=8).
    stored.users[0]!.passwordHash = await hashPassword(password, { ln: 8, r: 8, p: 1 });
    writeFileSync(usersFile, JSON.stringify(stored));
    await app.restart();

    const wrong = await logIn(app, app.newBrowser(), "alice", "not the right passphrase");
    assert.equal(wrong.status, 401);
    assert.match(readFileSync(usersFile, "utf8"), /\$scrypt\$ln=8,/, "a failed login changes nothing");

    const login = await logIn(app, app.newBrowser(), "alice", password);
    assert.equal(login.status, 303);
    const upgraded = (JSON.parse(readFileSync(usersFile, "utf8")) as { users: Array<{ passwordHash: string }> }).users[0]!;
    assert.match(upgraded.passwordHash, /^\$scrypt\$ln=10,r=8,p=1\$/);
    assert.equal(await verifyPassword(password, upgraded.passwordHash, { ln: 10, r: 8, p: 1 }), true);
    assert.equal((await logIn(app, app.newBrowser(), "alice", password)).status, 303, "the new hash verifies");
  });

  it("R14: answers other requests while a registration hashes at the default parameters (N=2^17)", async () => {
    app = await startStep("07", { env: {} }); // no SCRYPT_PARAMS: OWASP's ~0.5 s hash
    let settled = false;
    const registering = registerUser(app, app.newBrowser(), "alice", password).finally(() => (settled = true));
    // The server runs in this process: wait until the registration's hash has started.
    while (passwordHashSlots.running === 0 && !settled) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(passwordHashSlots.running, 1, "the registration is hashing");
    const response = await app.newBrowser().fetch("/login");
    assert.equal(response.status, 200);
    await response.text();
    assert.equal(passwordHashSlots.running, 1, "another page was served while the hash was still running");
    await registering;
    assert.equal(passwordHashSlots.running, 0);
  });
});
