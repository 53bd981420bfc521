// Step 07 against bad input over real HTTP: empty, huge, non-UTF-8 and control-character fields,
// missing fields, wrong content types, bodies over the limit or cut off, HTML in names, a damaged
// users file at start, two registrations of one name at once, and a users folder that stops working.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loginFailedMessage } from "../../src/auth/login.ts";
import { userStoreUnavailableMessage } from "../../src/users/user-store.ts";
import { fillIn, logIn, openForm, registerUser, submitForm } from "../helpers/forms.ts";
import { rawRequest } from "../helpers/raw-http.ts";
import { type StartedStep, startStep } from "../helpers/start-step.ts";

const password = "correct horse battery staple";
const env = { SCRYPT_PARAMS: "fast-for-tests" };

/** Posts `body` (bytes or text) to `path` with this browser's CSRF token already in it. */
async function postRaw(app: StartedStep, path: string, body: string | Buffer, contentType = "application/x-www-form-urlencoded") {
  const response = await app.fetch(path, { method: "POST", body, headers: { origin: app.baseUrl, "content-type": contentType } });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** The error message shown next to the form, or the plain-text body of an error response. */
async function errorOf(response: Response): Promise<string> {
  const text = await response.text();
  return /<p class="error" role="alert">([^<]*)<\/p>/.exec(text)?.[1] ?? text;
}

describe("step 07: bad input", () => {
  let app: StartedStep;
  let csrf: string;
  beforeEach(async () => {
    app = await startStep("07", { env });
    csrf = (await openForm(app, "/register")).csrf!;
  });
  afterEach(() => app.close());

  const register = (fields: Record<string, string>) => submitForm(app, "/register", fields, { csrf });

  describe("registration refuses, with 400 and a message next to the form", () => {
    const tooLong = "Username must be at most 64 characters.";
    const invisible = "Username must not contain control or invisible characters.";
    const named = (username: string) => ({ username, password, confirm: password });
    const withPassword = (secret: string) => ({ username: "alice", password: secret, confirm: secret });
    const cases: Array<[string, Record<string, string>, string]> = [
      ["an empty username", named(""), "Enter a username."],
      ["a username of spaces", named(" \u00a0 "), "Enter a username."],
      ["a missing username", { password, confirm: password }, "Enter a username."],
      ["a 65-character username", named("x".repeat(65)), tooLong],
      ["a 10,000-character username", named("x".repeat(10_000)), tooLong],
      ["a NUL in the username", named("ali\u0000ce"), invisible],
      ["a newline in the username", named("alice\nadmin"), invisible],
      ["a right-to-left override in the username", named("alice\u202egnp.exe"), invisible],
      ["a zero-width space in the username", named("ali\u200bce"), invisible],
      ["an empty password", withPassword(""), "Enter a password."],
      ["a missing password", { username: "alice", confirm: password }, "Enter a password."],
      ["a missing confirmation", { username: "alice", password }, "The passwords do not match."],
      ["a short password", withPassword("hunter2"), "Password must be at least 15 characters."],
      ["a tab in the password", withPassword(`${password}\t`), "Password cannot contain control characters such as tabs or line breaks."],
      ["a 1025-byte password", withPassword("p".repeat(1025)),
        "Password is too long: the limit is 1024 bytes (about 1024 Latin letters, fewer in other scripts)."],
    ];
    for (const [label, fields, message] of cases) {
      it(label, async () => {
        const response = await register(fields);
        assert.equal(response.status, 400);
        assert.equal(await errorOf(response), message.replaceAll("'", "&#39;"));
        assert.equal((await logIn(app, app.newBrowser(), fields.username ?? "", fields.password ?? "")).status, 401);
      });
    }
  });

  describe("login lets nobody in with empty, missing, huge or control-character credentials: the same 401", () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { username: "alice" },
      { password },
      { username: "", password: "" },
      { username: "alice", password: "" },
      { username: "alice\u0000", password },
      { username: "alice", password: password.replace(" ", "\u0000") },
      { username: "alice", password: `${password}\n` },
      { username: "x".repeat(5000), password },
      { username: "alice", password: "p".repeat(5000) },
    ];
    for (const fields of attempts) {
      it(JSON.stringify(fields).replace(/(.)\1{20,}/g, "$1…").replace(password, "<password>"), async () => {
        await registerUser(app, app.newBrowser(), "alice", password);
        const response = await fillIn(app, app.newBrowser(), "/login", fields);
        assert.equal(response.status, 401);
        assert.equal(await errorOf(response), loginFailedMessage);
      });
    }
  });

  it("answers 400 for percent-escapes that are not UTF-8 (in a name or a password), and for raw non-UTF-8 bytes", async () => {
    const escaped = await postRaw(app, "/register", `csrf=${csrf}&username=%FF%FE&password=x&confirm=x`);
    assert.equal(escaped.status, 400);
    assert.equal(escaped.text, "Malformed form body: bad percent-encoding or non-UTF-8 data");
    const raw = Buffer.concat([Buffer.from(`csrf=${csrf}&username=`), Buffer.from([0xc3, 0x28]), Buffer.from("&password=x")]);
    const bytes = await postRaw(app, "/register", raw);
    assert.equal(bytes.status, 400);
    assert.equal(bytes.text, "The request body is not valid UTF-8");
    const overlong = await postRaw(app, "/login", `csrf=${csrf}&username=%C0%AE%C0%AE&password=x`);
    assert.equal(overlong.status, 400);
    const latin1 = await postRaw(app, "/login", `csrf=${csrf}&username=alice&password=%E9t%E9`); // Latin-1 "été"
    assert.equal(latin1.status, 400);
    assert.equal(latin1.text, "Malformed form body: bad percent-encoding or non-UTF-8 data");
  });

  it("answers 400 for a field sent twice: two passwords are an attack or a bug, not a choice", async () => {
    const response = await postRaw(app, "/login", `csrf=${csrf}&username=alice&password=a&password=b`);
    assert.equal(response.status, 400);
    assert.equal(response.text, 'Malformed form body: field "password" appears twice');
  });

  it("answers 415 for anything but a url-encoded form", async () => {
    for (const [contentType, body] of [
      ["application/json", JSON.stringify({ csrf, username: "alice", password })],
      ["text/plain", `csrf=${csrf}&username=alice`],
      ["multipart/form-data; boundary=x", `--x\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice\r\n--x--`],
      ["application/x-www-form-urlencoded; charset=iso-8859-1", `csrf=${csrf}&username=alice`],
    ]) {
      const response = await postRaw(app, "/register", body!, contentType);
      assert.equal(response.status, 415, contentType);
      assert.equal(response.text, "Unsupported Content-Type: expected application/x-www-form-urlencoded (UTF-8)");
    }
  });

  it("answers 413 for a body over 16 KiB, and closes the connection", async () => {
    const response = await postRaw(app, "/register", `csrf=${csrf}&username=${"a".repeat(20_000)}&password=x&confirm=x`);
    assert.equal(response.status, 413);
    assert.equal(response.text, "The request body is larger than 16384 bytes");
    assert.equal(response.headers.get("connection"), "close");
  });

  it("survives a request cut off mid-body: no user is created and the server keeps serving", async () => {
    const body = `csrf=${csrf}&username=cutoff&password=${encodeURIComponent(password)}&confirm=${encodeURIComponent(password)}`;
    const head = [
      "POST /register HTTP/1.1", `Host: ${new URL(app.baseUrl).host}`, `Origin: ${app.baseUrl}`, `Cookie: ${app.jar.header()}`,
      "Content-Type: application/x-www-form-urlencoded", `Content-Length: ${body.length + 50}`, "Connection: close",
    ].join("\r\n");
    const reply = await rawRequest(app.baseUrl, `${head}\r\n\r\n${body}`);
    assert.ok(reply.status === 0 || reply.status === 400, `status ${reply.status}`);
    assert.equal((await logIn(app, app.newBrowser(), "cutoff", password)).status, 401, "no user was created");
    const again = await register({ username: "cutoff", password, confirm: password });
    assert.equal(again.status, 303, "the name is still free");
    await again.text();
  });

  it("shows an HTML username as text on every page, and stores it as typed", async () => {
    const name = `<img src=x onerror=alert(1)>&"'`;
    const response = await register({ username: name, password, confirm: password });
    assert.equal(response.status, 303);
    await response.text();
    const home = await (await app.fetch("/")).text();
    assert.ok(home.includes(`User "&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;" has 1 views`));
    assert.ok(!home.includes("<img"));
    const passwordPage = await (await app.fetch("/password")).text();
    assert.ok(passwordPage.includes(`value="&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;"`));
    const stored = JSON.parse(readFileSync(path.join(app.dataDir, "users", "users.json"), "utf8")) as { users: { name: string }[] };
    assert.equal(stored.users[0]!.name, name);
  });

  it("lets exactly one of two simultaneous registrations of a name win: one 303, one 409", async () => {
    const browsers = [app.newBrowser(), app.newBrowser(), app.newBrowser(), app.newBrowser()];
    const tokens = await Promise.all(browsers.map(async (browser) => (await openForm(app, "/register", browser)).csrf));
    const responses = await Promise.all(browsers.map((browser, index) =>
      submitForm(app, "/register", { username: index % 2 === 0 ? "dave" : "DAVE", password, confirm: password }, { browser, csrf: tokens[index] })));
    await Promise.all(responses.map((response) => response.text()));
    assert.deepEqual(responses.map((response) => response.status).sort(), [303, 409, 409, 409]);
    const stored = JSON.parse(readFileSync(path.join(app.dataDir, "users", "users.json"), "utf8")) as { users: unknown[] };
    assert.equal(stored.users.length, 1);
  });

  describe("the users folder stops working", () => {
    const usersDir = () => path.join(app.dataDir, "users");

    it("answers registration with 503 while existing users still log in; the file is never half-written", async (t) => {
      t.mock.method(console, "error", () => {}); // the error boundary logs each 503
      await registerUser(app, app.newBrowser(), "alice", password);
      const before = readFileSync(path.join(usersDir(), "users.json"), "utf8");
      // Replace the folder with a plain file: every write fails (ENOTDIR), even for root.
      renameSync(usersDir(), `${usersDir()}.away`);
      writeFileSync(usersDir(), "");
      try {
        const response = await register({ username: "bob", password, confirm: password });
        assert.equal(response.status, 503);
        assert.equal(await response.text(), userStoreUnavailableMessage);
        const alice = app.newBrowser();
        const login = await logIn(app, alice, "alice", password);
        assert.equal(login.status, 303, "existing users still log in");
        await login.text();
        assert.equal((await alice.fetch("/password")).status, 200, "and reach pages that write no account data");
        const home = await alice.fetch("/"); // counts a view: written into the users file
        assert.equal(home.status, 503);
        assert.equal(await home.text(), userStoreUnavailableMessage);
      } finally {
        rmSync(usersDir());
        renameSync(`${usersDir()}.away`, usersDir());
      }
      assert.equal(readFileSync(path.join(usersDir(), "users.json"), "utf8"), before);
      assert.deepEqual(readdirSync(usersDir()), ["users.json"], "no temporary file left behind");
      const retry = await register({ username: "bob", password, confirm: password });
      assert.equal(retry.status, 303, "registration works again once the folder is back");
      await retry.text();
    });

    it("the whole data folder stops working: registration and login answer 503 with a clear message; nothing is damaged", async (t) => {
      t.mock.method(console, "error", () => {});
      await registerUser(app, app.newBrowser(), "alice", password);
      const before = readFileSync(path.join(usersDir(), "users.json"), "utf8");
      const alice = app.newBrowser();
      const { csrf } = await openForm(app, "/login", alice); // the login form, opened while the disk still worked
      // Sessions live in the data folder too: with both folders broken, no session can be saved.
      const folders = [usersDir(), path.join(app.dataDir, "sessions")];
      for (const folder of folders) {
        renameSync(folder, `${folder}.away`);
        writeFileSync(folder, "");
      }
      try {
        const registration = await register({ username: "bob", password, confirm: password });
        assert.equal(registration.status, 503);
        await registration.text();
        const login = await submitForm(app, "/login", { username: "alice", password }, { browser: alice, csrf });
        assert.equal(login.status, 503, "a login whose session can't be saved would be forgotten at once");
        assert.equal(await login.text(), "Sessions cannot be saved right now. Please try again later.");
        const form = await app.newBrowser().fetch("/login");
        assert.equal(form.status, 503, "the login form needs a session for its CSRF token");
        await form.text();
      } finally {
        for (const folder of folders) {
          rmSync(folder);
          renameSync(`${folder}.away`, folder);
        }
      }
      assert.equal(readFileSync(path.join(usersDir(), "users.json"), "utf8"), before);
      assert.deepEqual(readdirSync(usersDir()), ["users.json"], "no temporary file left behind");
      assert.equal((await logIn(app, app.newBrowser(), "alice", password)).status, 303, "login works again once the folder is back");
    });

    it(
      "answers registration with 503 while the folder is read-only",
      { skip: process.getuid?.() === 0 ? "root writes to read-only folders anyway" : false },
      async (t) => {
        t.mock.method(console, "error", () => {});
        chmodSync(usersDir(), 0o500);
        try {
          const response = await register({ username: "bob", password, confirm: password });
          assert.equal(response.status, 503);
          await response.text();
        } finally {
          chmodSync(usersDir(), 0o700);
        }
      },
    );
  });
});

describe("step 07: a damaged users file at start", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
  const file = path.join(dataDir, "users", "users.json");
  mkdirSync(path.dirname(file), { recursive: true });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const [label, text, problem] of [
    ["cut off", '{"version": 1, "users": [{"name": "al', "not JSON"],
    ["empty", "", "not JSON"],
    ["a list instead of the object", "[]", 'expected {"version": 1, "users": [...]}'],
    ["a record without a name", '{"version": 1, "users": [{"passwordHash": null, "views": 0, "sessionVersion": 0, "createdAtMs": 0}]}',
      "users[0].name must be a non-empty string without surrounding spaces, in NFC"],
  ]) {
    it(`refuses to start when the file is ${label}, and leaves the file as it was`, async () => {
      writeFileSync(file, text!);
      await assert.rejects(startStep("07", { dataDir, env }), {
        name: "TypeError",
        message: `users file "${file}" is invalid: ${problem} (fix it or move it away; it is never replaced by an empty list)`,
      });
      assert.equal(readFileSync(file, "utf8"), text);
    });
  }

  it("`npm run step -- 7` prints the reason and exits 1", async () => {
    writeFileSync(file, "{ not json");
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
    const nodeStripsTypes = typeof (process.features as { typescript?: unknown }).typescript === "string";
    const child = spawn(process.execPath, [...(nodeStripsTypes ? [] : ["--import", "tsx"]), "steps/run.ts", "7"], {
      cwd: root, env: { ...process.env, DATA_DIR: dataDir, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 1);
    assert.match(stderr, new RegExp(`^Cannot start: users file ".*users\\.json" is invalid: not JSON \\(fix it or move it away; it is never replaced by an empty list\\)$`, "m"));
  });
});
