// Pitfall: a popular tutorial first logs in with GET /create/:user/:password and /login/:user/:password.
// URLs end up in proxy and server logs, browser history, bookmarks and Referer headers. Ours takes
// passwords only from POST bodies: no route has them in the path, the query string is never read for
// credentials, every form posts, and no response header, page or log line ever contains a password.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fillIn, openForm, registerUser, submitForm } from "../helpers/forms.ts";
import { type StartedStep, startStep } from "../helpers/start-step.ts";

const password = "correct horse battery staple";
const newPassword = "another long passphrase here";

describe("pitfall: passwords in URLs", () => {
  let app: StartedStep;
  beforeEach(async () => {
    app = await startStep("07", { env: { SCRYPT_PARAMS: "fast-for-tests" } });
    await registerUser(app, app.newBrowser(), "alice", password);
  });
  afterEach(() => app.close());

  it("has no route with credentials in the path", async () => {
    for (const path of [`/create/alice/${password}`, `/login/alice/${password}`, "/login/alice"]) {
      const response = await app.fetch(path.replaceAll(" ", "%20"));
      assert.equal(response.status, 404, path);
      await response.text();
    }
  });

  it("ignores credentials in the query string, on GET and on POST", async () => {
    const query = new URLSearchParams({ username: "alice", password }).toString();
    const get = await app.fetch(`/login?${query}`);
    assert.equal(get.status, 200, "just the login form");
    const { csrf } = { csrf: /name="csrf" value="([^"]+)"/.exec(await get.text())?.[1] };
    const post = await app.fetch(`/login?${query}`, {
      method: "POST", body: new URLSearchParams({ csrf: csrf! }), headers: { origin: app.baseUrl },
    });
    assert.equal(post.status, 401);
    await post.text();
    const home = await app.fetch("/");
    assert.equal(home.status, 303, "not logged in");
    await home.text();
  });

  it("sends every form as a POST to a URL without a query", async () => {
    for (const path of ["/login", "/register"]) {
      const { html } = await openForm(app, path);
      assert.match(html, /<form method="post" action="\/(login|register)">/);
    }
  });

  it("never shows a password in a redirect, a page, a cookie or the log", async () => {
    const responses: Response[] = [];
    const browser = app.newBrowser();
    responses.push(await fillIn(app, browser, "/login", { username: "alice", password }));
    responses.push(await fillIn(app, browser, "/password", { current: password, password: newPassword, confirm: newPassword }));
    responses.push(await fillIn(app, browser, "/password", { current: "wrong wrong wrong", password, confirm: password }));
    const other = app.newBrowser();
    responses.push(await fillIn(app, other, "/login", { username: "alice", password }));
    responses.push(await fillIn(app, other, "/register", { username: "bob", password, confirm: `${password}x` }));
    const { csrf } = await openForm(app, "/login", other);
    responses.push(await submitForm(app, "/login", { username: "alice", password: newPassword }, { browser: other, csrf }));
    const everything = [
      ...(await Promise.all(responses.map(async (response) => [...response.headers].join("\n") + (await response.text())))),
      ...app.logs,
    ].join("\n");
    for (const secret of [password, newPassword, encodeURIComponent(password), encodeURIComponent(newPassword)]) {
      assert.ok(!everything.includes(secret), "a password leaked");
    }
  });

  it("keeps full URLs from leaking to other sites: Referrer-Policy: same-origin", async () => {
    const response = await app.fetch("/login");
    assert.equal(response.headers.get("referrer-policy"), "same-origin");
    await response.text();
  });
});
