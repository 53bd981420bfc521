// Step 01 over real HTTP: a random ID in a cookie, a Map of view counts in the server.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { nastyCookieHeaders, rawCookieRequest, rawNastyCookieRequests } from "../helpers/nasty-cookies.ts";
import { rawRequest } from "../helpers/raw-http.ts";
import { type Browser, type StartedStep, startStep } from "../helpers/start-step.ts";

const sessionCookieRegExp = /^sid=([A-Za-z0-9_-]{43}); Path=\/; HttpOnly; SameSite=Lax$/;

async function viewsOf(browser: Browser, path = "/"): Promise<string> {
  const response = await browser.fetch(path);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain; charset=utf-8");
  return response.text();
}

describe("step 01: view counter", () => {
  let app: StartedStep;
  before(async () => (app = await startStep("01")));
  after(() => app.close());

  it("counts the views of one browser: 1, 2, 3", async () => {
    const browser = app.newBrowser();
    assert.equal(await viewsOf(browser), "Views: 1");
    assert.equal(await viewsOf(browser), "Views: 2");
    assert.equal(await viewsOf(browser), "Views: 3");
  });

  it("keeps two browsers apart", async () => {
    const first = app.newBrowser();
    const second = app.newBrowser();
    assert.equal(await viewsOf(first), "Views: 1");
    assert.equal(await viewsOf(first), "Views: 2");
    assert.equal(await viewsOf(second), "Views: 1");
    assert.equal(await viewsOf(first), "Views: 3");
    assert.equal(await viewsOf(second), "Views: 2");
  });

  it("R03: sets the session cookie HttpOnly, SameSite=Lax, Path=/, and only when it starts a session", async () => {
    const browser = app.newBrowser();
    const first = await browser.fetch("/");
    assert.match(first.headers.getSetCookie().join("\n"), sessionCookieRegExp);
    assert.equal(first.headers.getSetCookie().length, 1);
    await first.text();
    const second = await browser.fetch("/");
    assert.deepEqual(second.headers.getSetCookie(), []);
    await second.text();
  });

  it("R01: gives every new browser a different 43-character ID (32 random bytes)", async () => {
    const ids = new Set<string>();
    for (let index = 0; index < 20; index++) {
      const response = await app.newBrowser().fetch("/");
      await response.text();
      const id = sessionCookieRegExp.exec(response.headers.getSetCookie()[0] ?? "")?.[1];
      assert.ok(id);
      ids.add(id);
    }
    assert.equal(ids.size, 20);
  });

  it("R04: never adopts an ID it did not issue: a forged or altered ID starts over at Views: 1", async () => {
    const browser = app.newBrowser();
    await viewsOf(browser);
    const issued = browser.jar.get("sid")!;
    const altered = (issued[0] === "A" ? "B" : "A") + issued.slice(1);
    for (const forged of [altered, "attacker-chosen-id", "A".repeat(43)]) {
      browser.jar.set("sid", forged);
      const response = await browser.fetch("/");
      assert.equal(response.status, 200);
      assert.equal(await response.text(), "Views: 1");
      assert.notEqual(browser.jar.get("sid"), forged, "a new server-made ID replaces the forged one");
    }
  });

  it("ignores the query string", async () => {
    const browser = app.newBrowser();
    assert.equal(await viewsOf(browser, "/?utm_source=x"), "Views: 1");
    assert.equal(await viewsOf(browser, "/"), "Views: 2");
  });

  it("answers 404 for any other path, without starting a session", async () => {
    for (const path of ["/favicon.ico", "/views", "//", "/index.html", "/%2F"]) {
      const response = await app.newBrowser().fetch(path);
      assert.equal(response.status, 404, path);
      assert.equal(await response.text(), "Not Found");
      assert.deepEqual(response.headers.getSetCookie(), []);
    }
  });

  it("answers 405 with Allow for other methods on /", async () => {
    const response = await app.newBrowser().fetch("/", { method: "POST", body: "x" });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
    await response.text();
  });

  describe("never crashes on a malformed Cookie header, and starts a new session", () => {
    for (const [label, cookie] of nastyCookieHeaders) {
      it(`${label}`, async () => {
        const response = await app.newBrowser().fetch("/", { headers: { cookie } });
        assert.equal(response.status, 200);
        assert.equal(await response.text(), "Views: 1");
        assert.match(response.headers.getSetCookie()[0] ?? "", sessionCookieRegExp);
      });
    }
    for (const testCase of rawNastyCookieRequests) {
      it(`${testCase.label} (sent raw): ${testCase.expectedStatus}`, async () => {
        const reply = await rawRequest(app.baseUrl, rawCookieRequest(testCase));
        assert.equal(reply.status, testCase.expectedStatus);
        if (reply.status === 200) assert.equal(reply.body, "Views: 1");
      });
    }
    it("and keeps serving afterwards", async () => {
      assert.equal(await viewsOf(app.newBrowser()), "Views: 1");
    });
  });
});
