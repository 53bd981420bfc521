// createFormHandler over real HTTP: a session manager on a memory store, routes wrapped by the
// handler, the error boundary around them (as in the steps), and a cookie jar per browser.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { randomToken } from "../../src/crypto/random.ts";
import { createFormHandler, csrfTokenOf, type FormRoute, forbiddenMessage } from "../../src/csrf/form-handler.ts";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { html } from "../../src/http/html.ts";
import { createSessionManager } from "../../src/session/manager.ts";
import { MemoryStore } from "../../src/session/memory-store.ts";
import { CookieJar } from "../helpers/cookie-jar.ts";
import { startServer, type TestServer } from "../http/server-for-tests.ts";

type Data = { csrfToken?: string; saved?: string };

describe("createFormHandler", () => {
  const sessions = createSessionManager<Data>({ store: new MemoryStore(), secrets: [randomToken()] });
  const handle = createFormHandler(sessions);
  const seen: Array<Record<string, string>> = [];
  let server: TestServer;

  // GET /: the token's page. POST /save: stores a field, then redirects. POST /logout: allowWithoutSession.
  const routes: Record<string, FormRoute<Data>> = {
    "/": ({ session }) => ({ status: 200, page: html`<input name="csrf" value="${csrfTokenOf(session)}">` }),
    "/save": ({ session, form }) => {
      seen.push({ ...form });
      session.data.saved = form.value ?? "";
      return { redirect: "/done", headers: { "Referrer-Policy": "no-referrer" } };
    },
    "/saved": ({ session }) => ({ status: 200, page: html`saved=${session.data.saved ?? "nothing"}` }),
    "/slow-down": () => ({ status: 429, page: html`wait`, headers: { "Retry-After": "2" } }),
    "/logout": ({ session }) => {
      session.destroy();
      return { redirect: "/" };
    },
  };
  before(async () => {
    const handlers = Object.fromEntries(Object.entries(routes).map(([path, route]) =>
      [path, handle(route, { allowWithoutSession: path === "/logout" })]));
    server = await startServer(withErrorBoundary(async (req, res) => {
      const handler = handlers[(req.url ?? "/").split("?")[0]!];
      if (handler) await handler(req, res, {}, undefined);
      else res.writeHead(404).end();
    }, { log: () => {} }));
  });
  after(() => server.close());

  /** A browser: its own cookie jar, and the token its GET / page shows. */
  async function browser() {
    const jar = new CookieJar();
    const fetchWithJar = async (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      const cookie = jar.header();
      if (cookie !== undefined) headers.set("cookie", cookie);
      const response = await fetch(server.url + path, { redirect: "manual", ...init, headers });
      jar.store(response);
      return response;
    };
    const page = await (await fetchWithJar("/")).text();
    const token = /value="([^"]+)"/.exec(page)?.[1] ?? "";
    const post = (path: string, fields: Record<string, string>) => fetchWithJar(path, { method: "POST", body: new URLSearchParams(fields) });
    return { jar, fetch: fetchWithJar, token, post };
  }

  it("R19: a GET runs its route in the session and sends the page, with the session's cookie and no-store", async () => {
    const response = await fetch(server.url + "/");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html; charset=utf-8/);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.match(response.headers.getSetCookie()[0] ?? "", /^sid=/, "making the token started a session");
    assert.match(await response.text(), /^<input name="csrf" value="[A-Za-z0-9_-]{43}">$/);
  });

  it("R19: a POST with the session's token runs its route with the form; the reply is sent after the session is saved", async () => {
    const { token, post, fetch: get } = await browser();
    const response = await post("/save", { csrf: token, value: "<b>kept</b>" });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/done");
    assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    assert.deepEqual(seen.at(-1), { csrf: token, value: "<b>kept</b>" });
    assert.equal(await (await get("/saved")).text(), "saved=&lt;b&gt;kept&lt;/b&gt;");
  });

  it("passes a page reply's status and headers through", async () => {
    const { token, post } = await browser();
    const response = await post("/slow-down", { csrf: token });
    assert.equal(response.status, 429);
    assert.equal(response.headers.get("retry-after"), "2");
    assert.equal(await response.text(), "wait");
  });

  it("R19: refuses with 403 a POST whose token is missing, another session's, altered or not a string, before the route runs", async () => {
    const own = await browser();
    const other = await browser();
    const before = seen.length;
    const forged: Array<Record<string, string>> = [
      {},
      { csrf: "" },
      { csrf: other.token },
      { csrf: own.token.slice(0, -1) + (own.token.endsWith("A") ? "B" : "A") },
      { csrf: own.token + " " },
      { csrf: "../../etc/passwd" },
    ];
    for (const fields of forged) {
      const response = await own.post("/save", { ...fields, value: "forged" });
      assert.equal(response.status, 403, JSON.stringify(fields));
      assert.equal(await response.text(), forbiddenMessage);
    }
    assert.equal(seen.length, before, "the route never ran");
    assert.equal(await (await own.fetch("/saved")).text(), "saved=nothing");
  });

  it("R19: refuses a POST from a browser without a session (a forged login needs a token too)", async () => {
    const response = await fetch(server.url + "/save", { method: "POST", body: new URLSearchParams({ value: "x" }) });
    assert.equal(response.status, 403);
    assert.equal(await response.text(), forbiddenMessage);
  });

  it("allowWithoutSession: lets a session-less POST through, but still wants the token from a browser with a session", async () => {
    const anonymous = await fetch(server.url + "/logout", { method: "POST", body: new URLSearchParams(), redirect: "manual" });
    await anonymous.text();
    assert.equal(anonymous.status, 303);
    const { token, post, jar } = await browser();
    const forged = await post("/logout", { csrf: "wrong" });
    assert.equal(forged.status, 403);
    await forged.text();
    assert.ok(jar.get("sid"), "still signed in");
    const real = await post("/logout", { csrf: token });
    await real.text();
    assert.equal(real.status, 303);
    assert.equal(jar.get("sid"), undefined, "the logout cleared the cookie");
  });

  it("answers 415 for a POST that is not a url-encoded form, and 413 for one over 16 KiB (readForm, through the error boundary)", async () => {
    const { token, fetch: send } = await browser();
    const json = await send("/save", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ csrf: token }) });
    assert.equal(json.status, 415);
    await json.text();
    const huge = await send("/save", { method: "POST", body: new URLSearchParams({ csrf: token, value: "x".repeat(17 * 1024) }) });
    assert.equal(huge.status, 413);
    await huge.text();
  });

  it("R19: answers 415 to a POST without Content-Type (not a form: no token check to skip), and the route never runs", async () => {
    const { token, fetch: send } = await browser();
    const before = seen.length;
    // A byte body: fetch sends no Content-Type for it, as a non-browser client may not.
    const response = await send("/save", { method: "POST", body: new TextEncoder().encode(`csrf=${token}&value=untyped`) });
    assert.equal(response.status, 415);
    await response.text();
    const empty = await send("/save", { method: "POST" });
    assert.equal(empty.status, 415);
    await empty.text();
    assert.equal(seen.length, before, "the route never ran");
  });
});

describe("csrfTokenOf", () => {
  it("R19: makes the session's token on first use and returns the same one after", () => {
    const session = { data: {} as { csrfToken?: string } };
    const token = csrfTokenOf(session);
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(session.data.csrfToken, token);
    assert.equal(csrfTokenOf(session), token);
  });
});
