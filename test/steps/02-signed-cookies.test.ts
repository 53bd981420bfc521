// Step 02 over real HTTP: the session ID travels signed (value.HMAC); anything altered is no session.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { sign, unsign } from "../../src/cookies/sign.ts";
import { nastyCookieHeaders, rawCookieRequest, rawNastyCookieRequests } from "../helpers/nasty-cookies.ts";
import { rawRequest } from "../helpers/raw-http.ts";
import { type Browser, type StartedStep, startStep } from "../helpers/start-step.ts";

// sid=<43-character ID>.<HMAC-SHA256 in base64 without padding, percent-encoded>
const sessionCookieRegExp = /^sid=([A-Za-z0-9_-]{43}\.[A-Za-z0-9%]+); Path=\/; HttpOnly; SameSite=Lax$/;
const otherSecret = "Zk2Xc9Vb7Nm5Lq3Wp1Er8Ty6Ui4Oa0SdH3fK6gP9rX1";

async function viewsOf(browser: Browser): Promise<string> {
  const response = await browser.fetch("/");
  assert.equal(response.status, 200);
  return response.text();
}

/** Replaces one character of `text` at `index` with another base64 character. */
function alter(text: string, index: number): string {
  const at = index < 0 ? text.length + index : index;
  return text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
}

describe("step 02: signed cookies", () => {
  let app: StartedStep;
  let secret: string;
  before(async () => {
    app = await startStep("02");
    secret = readFileSync(path.join(app.dataDir, "session-secret"), "utf8").trim();
  });
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
  });

  it("R11: the cookie is the ID in the clear plus its HMAC-SHA256 (signed, not encrypted)", async () => {
    const response = await app.newBrowser().fetch("/");
    await response.text();
    const value = decodeURIComponent(sessionCookieRegExp.exec(response.headers.getSetCookie()[0] ?? "")?.[1] ?? "");
    const id = unsign(value, [secret]);
    assert.ok(id, "verifies with the generated secret");
    assert.equal(value, sign(id, secret));
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
  });

  describe("R11: a tampered cookie is no cookie: 200, Views: 1, a new signed ID", () => {
    const tamperings: Array<[string, (value: string, id: string) => string]> = [
      ["one character of the ID changed", (value) => alter(value, 0)],
      ["one character of the signature changed", (value) => alter(value, -1)],
      ["the signature cut short", (value) => value.slice(0, -1)],
      ["the signature removed", (_value, id) => id],
      ["the signature alone", (value) => value.slice(value.indexOf(".") + 1)],
      ["the ID signed with another secret", (_value, id) => sign(id, otherSecret)],
      ["an ID we never issued, signed with another secret", () => sign("A".repeat(43), otherSecret)],
      ["the signature of another session", (value) => `${"B".repeat(43)}.${value.split(".")[1]}`],
      ["express-session's s: prefix on a forged value", (value) => `s:${alter(value, 0)}`],
    ];
    for (const [label, tamper] of tamperings) {
      it(label, async () => {
        const browser = app.newBrowser();
        await viewsOf(browser);
        await viewsOf(browser);
        const value = decodeURIComponent(browser.jar.get("sid")!);
        const forged = tamper(value, unsign(value, [secret])!);
        browser.jar.set("sid", encodeURIComponent(forged));
        const response = await browser.fetch("/");
        assert.equal(response.status, 200);
        assert.equal(await response.text(), "Views: 1");
        const fresh = sessionCookieRegExp.exec(response.headers.getSetCookie()[0] ?? "")?.[1];
        assert.ok(fresh, "a new session cookie is set");
        assert.notEqual(decodeURIComponent(fresh), forged);
      });
    }
  });

  it("R04: a correctly signed ID the server never issued is not adopted", async () => {
    const browser = app.newBrowser();
    browser.jar.set("sid", encodeURIComponent(sign("A".repeat(43), secret)));
    assert.equal(await viewsOf(browser), "Views: 1");
    assert.notEqual(unsign(decodeURIComponent(browser.jar.get("sid")!), [secret]), "A".repeat(43));
  });

  it("accepts express-session's s: prefix on a valid value (migration keeps sessions)", async () => {
    const browser = app.newBrowser();
    await viewsOf(browser);
    browser.jar.set("sid", encodeURIComponent(`s:${decodeURIComponent(browser.jar.get("sid")!)}`));
    assert.equal(await viewsOf(browser), "Views: 2");
  });

  it("answers 404 for any other path", async () => {
    const response = await app.newBrowser().fetch("/login");
    assert.equal(response.status, 404);
    assert.equal(await response.text(), "Not Found");
  });

  describe("never crashes on a malformed Cookie header, and starts a new session", () => {
    for (const [label, cookie] of nastyCookieHeaders) {
      it(label, async () => {
        const response = await app.newBrowser().fetch("/", { headers: { cookie } });
        assert.equal(response.status, 200);
        assert.equal(await response.text(), "Views: 1");
      });
    }
    for (const testCase of rawNastyCookieRequests) {
      it(`${testCase.label} (sent raw): ${testCase.expectedStatus}`, async () => {
        const reply = await rawRequest(app.baseUrl, rawCookieRequest(testCase));
        assert.equal(reply.status, testCase.expectedStatus);
        if (reply.status === 200) assert.equal(reply.body, "Views: 1");
      });
    }
  });
});

describe("step 02: the secret", () => {
  it("is generated on first run (mode 0600, announced in the log) and reused after a restart", async () => {
    const app = await startStep("02");
    after(() => app.close());
    const file = path.join(app.dataDir, "session-secret");
    assert.deepEqual(app.logs, [`Generated a new random secret in ${file} (keep it private; sessions survive restarts)`]);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const secret = readFileSync(file, "utf8");
    await app.restart();
    assert.equal(readFileSync(file, "utf8"), secret);
    assert.equal(app.logs.length, 1, "nothing generated the second time");
  });

  it("is never in the code: two installations generate different secrets", async () => {
    const first = await startStep("02");
    after(() => first.close());
    const second = await startStep("02");
    after(() => second.close());
    const read = (app: StartedStep) => readFileSync(path.join(app.dataDir, "session-secret"), "utf8");
    assert.notEqual(read(first), read(second));
  });

  it("uses SESSION_SECRET when set, signing with its first entry and writing no file", async () => {
    const configured = "q3L8vZ0xN2pR5tW7yB1dF4hJ6kM9sU0cG5jT8wQ2eY7";
    const app = await startStep("02", { env: { SESSION_SECRET: `${configured},${otherSecret}` } });
    after(() => app.close());
    await viewsOf(app);
    assert.ok(unsign(decodeURIComponent(app.jar.get("sid")!), [configured]));
    assert.deepEqual(app.logs, []);
  });

  it("refuses to start with a weak SESSION_SECRET, naming the setting and not the secret", async () => {
    await assert.rejects(startStep("02", { env: { SESSION_SECRET: "keyboard cat" } }), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^secret "SESSION_SECRET" is invalid: must be at least 32 bytes, got 12/);
      assert.ok(!error.message.includes("keyboard cat"));
      return true;
    });
  });
});
