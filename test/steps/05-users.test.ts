// Step 05 over real HTTP: per-user view counts in a users file, login by name, logout.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import { type Browser, type StartedStep, startStep } from "../helpers/start-step.ts";

const sessionCookieRegExp = /^sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9%_-]+; Max-Age=1800; Path=\/; HttpOnly; SameSite=Lax$/;

function post(browser: Browser, path: string, fields: Record<string, string>): Promise<Response> {
  return browser.fetch(path, { method: "POST", body: new URLSearchParams(fields) });
}

async function register(browser: Browser, username: string): Promise<void> {
  const response = await post(browser, "/register", { username });
  assert.equal(response.status, 303, await response.text());
}

async function logIn(browser: Browser, username: string): Promise<void> {
  const response = await post(browser, "/login", { username });
  assert.equal(response.status, 303, await response.text());
}

/** The home page's sentence, e.g. `User "alice" has 2 views`, or the redirect it answered with. */
async function home(browser: Browser): Promise<string> {
  const response = await browser.fetch("/");
  const text = await response.text();
  if (response.status === 303) return `303 ${response.headers.get("location")}`;
  assert.equal(response.status, 200, text);
  return /<p>(User .* views)<\/p>/.exec(text)?.[1] ?? text;
}

describe("step 05: users and logout", () => {
  let app: StartedStep;
  beforeEach(async () => (app = await startStep("05")));
  afterEach(() => app.close());

  it("sends a visitor without a session to /login with a 303, and creates no session", async () => {
    const response = await app.fetch("/");
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/login");
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.deepEqual(response.headers.getSetCookie(), []);
    await response.text();
  });

  it("serves the register and login forms", async () => {
    for (const [path, action] of [["/register", "/register"], ["/login", "/login"]]) {
      const response = await app.fetch(path!);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
      const html = await response.text();
      assert.match(html, new RegExp(`<form method="post" action="${action}">`));
      assert.match(html, /<input name="username" required>/);
    }
  });

  it("registers and logs in with one POST, then counts that user's views: 1, 2, 3", async () => {
    const response = await post(app, "/register", { username: "alice" });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/");
    assert.match(response.headers.getSetCookie()[0] ?? "", sessionCookieRegExp);
    await response.text();
    assert.equal(await home(app), 'User "alice" has 1 views');
    assert.equal(await home(app), 'User "alice" has 2 views');
    assert.equal(await home(app), 'User "alice" has 3 views');
  });

  it("counts per user, not per browser: a second browser logged in as alice continues her count", async () => {
    await register(app, "alice");
    assert.equal(await home(app), 'User "alice" has 1 views');
    const laptop = app.newBrowser();
    await logIn(laptop, "ALICE"); // names match case-insensitively
    assert.equal(await home(laptop), 'User "alice" has 2 views');
    const bob = app.newBrowser();
    await register(bob, "bob");
    assert.equal(await home(bob), 'User "bob" has 1 views');
    assert.equal(await home(app), 'User "alice" has 3 views');
  });

  it("keeps users, counts and sessions across a restart (users.json and the session files)", async () => {
    await register(app, "alice");
    assert.equal(await home(app), 'User "alice" has 1 views');
    await app.restart();
    assert.equal(await home(app), 'User "alice" has 2 views');
    const saved = JSON.parse(readFileSync(path.join(app.dataDir, "users", "users.json"), "utf8")) as {
      users: { name: string; views: number; passwordHash: null }[];
    };
    assert.deepEqual(saved.users.map(({ name, views, passwordHash }) => ({ name, views, passwordHash })), [
      { name: "alice", views: 2, passwordHash: null },
    ]);
  });

  it("counts every one of 30 overlapping requests exactly once", async () => {
    await register(app, "alice");
    const pages = await Promise.all(Array.from({ length: 30 }, () => home(app)));
    const counts = pages.map((page) => Number(/has (\d+) views/.exec(page)?.[1])).sort((a, b) => a - b);
    assert.deepEqual(counts, Array.from({ length: 30 }, (_, index) => index + 1));
    assert.equal(await home(app), 'User "alice" has 31 views');
  });

  it("R05: logging in issues a new session ID, and the previous one no longer works", async () => {
    await register(app, "alice");
    await register(app.newBrowser(), "bob");
    const before = app.jar.get("sid")!;
    await logIn(app, "bob");
    const after = app.jar.get("sid")!;
    assert.notEqual(after, before);
    assert.equal(await home(app), 'User "bob" has 1 views');
    const replay = app.newBrowser();
    replay.jar.set("sid", before);
    assert.equal(await home(replay), "303 /login");
  });

  it("R06: POST /logout deletes the session, clears the cookie and redirects to /login; the old cookie is dead", async () => {
    await register(app, "alice");
    const cookie = app.jar.get("sid")!;
    const response = await post(app, "/logout", {});
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/login");
    assert.deepEqual(response.headers.getSetCookie(), [
      "sid=; Max-Age=0; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
    ]);
    await response.text();
    assert.equal(app.jar.get("sid"), undefined);
    const replay = app.newBrowser();
    replay.jar.set("sid", cookie);
    assert.equal(await home(replay), "303 /login");
  });

  it("R06: logging out without a session is harmless", async () => {
    const response = await post(app.newBrowser(), "/logout", {});
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/login");
    await response.text();
  });

  it("answers 405 for GET /logout: logging out changes state, so it is a POST", async () => {
    const response = await app.fetch("/logout");
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "POST");
    await response.text();
  });

  it("refuses a taken name with 409, whatever its case", async () => {
    await register(app, "alice");
    const response = await post(app.newBrowser(), "/register", { username: "Alice" });
    assert.equal(response.status, 409);
    assert.match(await response.text(), /That username is taken\./);
  });

  it("refuses an empty or too long name with 400 and says why", async () => {
    for (const [username, message] of [
      ["", "Enter a username."],
      ["   ", "Enter a username."],
      ["x".repeat(65), "Username must be at most 64 characters."],
    ] as const) {
      const response = await post(app.newBrowser(), "/register", { username });
      assert.equal(response.status, 400);
      assert.match(await response.text(), new RegExp(`<p role="alert">${message.replace(".", "\\.")}</p>`));
    }
  });

  it("answers 401 for a name nobody registered", async () => {
    const response = await post(app.newBrowser(), "/login", { username: "nobody" });
    assert.equal(response.status, 401);
    assert.match(await response.text(), /No user by that name\./);
  });

  it("is honest about its flaw: knowing a name is enough to log in as that user (step 06 adds passwords)", async () => {
    await register(app, "alice");
    const mallory = app.newBrowser();
    await logIn(mallory, "alice");
    assert.equal(await home(mallory), 'User "alice" has 1 views');
  });

  it("shows an HTML username as text", async () => {
    await register(app, '<script>alert("hi")</script>');
    assert.equal(await home(app), 'User "&lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt;" has 1 views');
  });

  it("lets exactly one of two simultaneous registrations of a name win: one 303, one 409", async () => {
    const responses = await Promise.all([
      post(app.newBrowser(), "/register", { username: "carol" }),
      post(app.newBrowser(), "/register", { username: "Carol" }),
    ]);
    await Promise.all(responses.map((response) => response.text()));
    assert.deepEqual(responses.map((response) => response.status).sort(), [303, 409]);
  });
});

describe("step 05: a damaged users file", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("stops start-up with a message naming the file, instead of starting with no users", async () => {
    const file = path.join(dataDir, "users", "users.json");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '{"version": 1, "users": [{"name": "alice", "views"');
    await assert.rejects(startStep("05", { dataDir }), {
      name: "TypeError",
      message: `users file "${file}" is invalid: not JSON (fix it or move it away; it is never replaced by an empty list)`,
    });
    assert.equal(readFileSync(file, "utf8"), '{"version": 1, "users": [{"name": "alice", "views"');
  });
});
