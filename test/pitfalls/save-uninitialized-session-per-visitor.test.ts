// Pitfall: `saveUninitialized: true` (express-session's default, and what the popular tutorials set)
// stores a session and sets a cookie for every visitor, including every bot and every request without
// cookies: the store fills with empty sessions. Ours saves a session only once it holds something:
// visitors of the home page and the stylesheet get no cookie and cost no file. The login and register
// forms do start one (the pre-session holding their CSRF token, R19), which is why it is kept small.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { type StartedStep, startStep } from "../helpers/start-step.ts";

function sessionFiles(app: StartedStep): string[] {
  const dir = path.join(app.dataDir, "sessions");
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".session")) : [];
}

describe("pitfall: saveUninitialized: true creates a session per visitor", () => {
  let app: StartedStep;
  beforeEach(async () => (app = await startStep("07", { env: { SCRYPT_PARAMS: "fast-for-tests" } })));
  afterEach(() => app.close());

  it("gives 100 visitors of /, /password and the stylesheet no cookie, and stores nothing", async () => {
    for (let visitor = 0; visitor < 100; visitor++) {
      for (const page of ["/", "/password", "/static/style.css"]) {
        const response = await app.newBrowser().fetch(page);
        assert.deepEqual(response.headers.getSetCookie(), [], page);
        await response.text();
      }
    }
    assert.deepEqual(sessionFiles(app), []);
  });

  it("starts exactly one session per browser that opens the login form, however often", async () => {
    const browser = app.newBrowser();
    for (let reload = 0; reload < 5; reload++) await (await browser.fetch("/login")).text();
    await (await browser.fetch("/register")).text();
    assert.equal(sessionFiles(app).length, 1);
  });
});
