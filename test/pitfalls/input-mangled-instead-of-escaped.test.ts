// Pitfall: a popular tutorial "sanitises" usernames by replacing `"`, `<` and `>` with `_` and cutting
// them at 20 characters. That changes what people typed, merges different names into one account
// name, and still isn't safe in other contexts (attributes with `'`, `&`). Ours stores names exactly as
// typed (after Unicode NFC) and escapes them on output, in text and in attribute values alike.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { escapeHtml } from "../../src/http/html.ts";
import { logIn, registerUser } from "../helpers/forms.ts";
import { type StartedStep, startStep } from "../helpers/start-step.ts";

const password = "correct horse battery staple";

/** What the tutorial did to a username. */
function tutorialSanitize(name: string): string {
  return name.replace(/["<>]/g, "_").slice(0, 20);
}

describe("pitfall: input mangled instead of output escaped", () => {
  let app: StartedStep;
  beforeEach(async () => (app = await startStep("07", { env: { SCRYPT_PARAMS: "fast-for-tests" } })));
  afterEach(() => app.close());

  it("contrast: mangling turns different names into one, and cuts long ones", () => {
    assert.equal(tutorialSanitize("a<b"), tutorialSanitize("a>b"));
    assert.equal(tutorialSanitize('"quoted"'), tutorialSanitize("<quoted>"));
    assert.equal(tutorialSanitize("Maximilian Alexander von Humboldt"), "Maximilian Alexander");
  });

  it("keeps names exactly as typed: a<b and a>b are two users, long names stay whole", async () => {
    const names = ["a<b", "a>b", "Maximilian Alexander von Humboldt", `O'Brien & "Sons" <Ltd>`];
    for (const name of names) await registerUser(app, app.newBrowser(), name, password);
    const file = path.join(app.dataDir, "users", "users.json");
    const stored = (JSON.parse(readFileSync(file, "utf8")) as { users: { name: string }[] }).users.map((user) => user.name);
    assert.deepEqual(stored, names);
    for (const name of names) {
      const browser = app.newBrowser();
      assert.equal((await logIn(app, browser, name, password)).status, 303, name);
      const page = await (await browser.fetch("/")).text();
      assert.ok(page.includes(`User "${escapeHtml(name)}" has`), name);
    }
  });

  it("escapes a name in text and in attribute values, so it can never become markup", async () => {
    const name = `x" autofocus onfocus="alert(1)`;
    const browser = app.newBrowser();
    await registerUser(app, browser, name, password);
    const home = await (await browser.fetch("/")).text();
    assert.ok(home.includes("User &quot;") === false && home.includes(`User "x&quot; autofocus onfocus=&quot;alert(1)" has 1 views`));
    const form = await (await browser.fetch("/password")).text();
    assert.ok(form.includes(`value="x&quot; autofocus onfocus=&quot;alert(1)"`));
    assert.ok(!form.includes("onfocus=\"alert"));
  });
});
