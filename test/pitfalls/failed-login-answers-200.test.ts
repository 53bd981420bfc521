// Pitfall: the popular tutorials answer a failed login with 200 and a message, so to every script,
// monitor and proxy it looks like success (and nothing distinguishes it from a login page view). Ours
// answers 401 (R15: the same status and page for an unknown name and a wrong password) and 429 with
// Retry-After when throttled (R17), in steps 06 and 07.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { loginFailedMessage } from "../../src/auth/login.ts";
import { fillIn, registerUser } from "../helpers/forms.ts";
import { type StartedStep, startStep } from "../helpers/start-step.ts";

const password = "correct horse battery staple";
const env = { SCRYPT_PARAMS: "fast-for-tests" };

describe("pitfall: a failed login answers 200", () => {
  let app: StartedStep;
  afterEach(() => app.close());

  it("step 06: R15: 401, with the same page for a wrong password and an unknown name", async () => {
    app = await startStep("06", { env });
    const post = (fields: Record<string, string>) =>
      app.newBrowser().fetch("/login", { method: "POST", body: new URLSearchParams(fields) });
    const fields = { username: "alice", password, confirm: password };
    const register = await app.fetch("/register", { method: "POST", body: new URLSearchParams(fields) });
    assert.equal(register.status, 303);
    await register.text();
    const wrongPassword = await post({ username: "alice", password: "not it, not it at all" });
    const unknownName = await post({ username: "nobody", password });
    assert.deepEqual([wrongPassword.status, unknownName.status], [401, 401]);
    assert.equal(await wrongPassword.text(), await unknownName.text());
  });

  it("step 07: R15, R17: 401 alike for name and password, then 429 with Retry-After, never 200", async () => {
    app = await startStep("07", { env });
    await registerUser(app, app.newBrowser(), "alice", password);
    const pages: string[] = [];
    for (const [username, guess] of [["alice", "wrong one"], ["nobody", password], ["alice", ""], ["ALICE", password.toUpperCase()]]) {
      const response = await fillIn(app, app.newBrowser(), "/login", { username: username!, password: guess! });
      assert.equal(response.status, 401, `${username}`);
      pages.push((await response.text()).replaceAll(/ value="[^"]*"/g, "")); // token and kept username differ
      assert.ok(pages.at(-1)!.includes(loginFailedMessage));
    }
    assert.equal(new Set(pages).size, 1, "the same page whatever was wrong");
    await (await fillIn(app, app.newBrowser(), "/login", { username: "alice", password: "fifth wrong guess" })).text();
    const throttled = await fillIn(app, app.newBrowser(), "/login", { username: "alice", password });
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers.get("retry-after")) >= 1);
    await throttled.text();
  });
});
