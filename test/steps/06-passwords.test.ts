// Step 06 over real HTTP: registration with a password and its confirmation, stored only as a scrypt
// hash; login checks it and answers a wrong name and a wrong password alike.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { loginFailedMessage } from "../../src/auth/login.ts";
import { type Browser, type StartedStep, startStep } from "../helpers/start-step.ts";

const password = "correct horse battery staple";
const fast = { SCRYPT_PARAMS: "fast-for-tests" };

function post(browser: Browser, path: string, fields: Record<string, string>): Promise<Response> {
  return browser.fetch(path, { method: "POST", body: new URLSearchParams(fields) });
}

async function register(browser: Browser, username: string, secret = password): Promise<void> {
  const response = await post(browser, "/register", { username, password: secret, confirm: secret });
  assert.equal(response.status, 303, await response.text());
}

async function home(browser: Browser): Promise<string> {
  const response = await browser.fetch("/");
  const text = await response.text();
  if (response.status === 303) return `303 ${response.headers.get("location")}`;
  return /<p>(User .* views)<\/p>/.exec(text)?.[1] ?? text;
}

function storedUsers(app: StartedStep): { name: string; passwordHash: string }[] {
  const file = path.join(app.dataDir, "users", "users.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { users: { name: string; passwordHash: string }[] }).users;
}

describe("step 06: passwords", () => {
  let app: StartedStep;
  beforeEach(async () => (app = await startStep("06", { env: fast })));
  afterEach(() => app.close());

  it("has password fields in both forms, and a confirmation on register", async () => {
    const register = await (await app.fetch("/register")).text();
    assert.match(register, /<input name="password" type="password" required>/);
    assert.match(register, /<input name="confirm" type="password" required>/);
    const login = await (await app.fetch("/login")).text();
    assert.match(login, /<input name="password" type="password" required>/);
    assert.doesNotMatch(login, /name="confirm"/);
  });

  it("R14: stores only a scrypt hash in PHC format, never the password", async () => {
    await register(app, "alice");
    const [user] = storedUsers(app);
    assert.match(user!.passwordHash, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    const files = ["users/users.json"].map((file) => readFileSync(path.join(app.dataDir, file), "utf8"));
    assert.ok(files.every((text) => !text.includes(password) && !text.includes("correct horse")));
    assert.equal(await home(app), 'User "alice" has 1 views');
  });

  it("logs in with the right password: 303 to / and a new session ID (R05)", async () => {
    await register(app, "alice");
    const before = app.jar.get("sid");
    const response = await post(app, "/login", { username: "alice", password });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get("location"), "/");
    await response.text();
    assert.notEqual(app.jar.get("sid"), before);
    assert.equal(await home(app), 'User "alice" has 1 views');
  });

  it("R15: answers a wrong password and an unknown name with the same 401 and the same page", async () => {
    await register(app.newBrowser(), "alice");
    const wrongPassword = await post(app.newBrowser(), "/login", { username: "alice", password: "not the password at all" });
    const unknownName = await post(app.newBrowser(), "/login", { username: "mallory", password });
    const missingPassword = await post(app.newBrowser(), "/login", { username: "alice" });
    const pages = await Promise.all([wrongPassword, unknownName, missingPassword].map((response) => response.text()));
    assert.deepEqual([wrongPassword.status, unknownName.status, missingPassword.status], [401, 401, 401]);
    assert.equal(pages[0], pages[1]);
    assert.equal(pages[0], pages[2]);
    assert.match(pages[0]!, new RegExp(`<p role="alert">${loginFailedMessage.replace(".", "\\.")}</p>`));
    for (const response of [wrongPassword, unknownName, missingPassword]) {
      assert.deepEqual(response.headers.getSetCookie(), [], "no session for a failed login");
    }
  });

  it("checks the confirmation on the server: a mismatch is 400 and creates no user", async () => {
    const response = await post(app, "/register", { username: "alice", password, confirm: `${password}!` });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /<p role="alert">The passwords do not match\.<\/p>/);
    assert.equal(await home(app), "303 /login");
    const retry = await post(app, "/register", { username: "alice", password, confirm: password });
    assert.equal(retry.status, 303, "the name is still free");
    await retry.text();
  });

  it("R16: refuses a password shorter than 15 characters, and accepts long Unicode ones with spaces", async () => {
    const short = await post(app.newBrowser(), "/register", { username: "bob", password: "Tr0ub4dor&3", confirm: "Tr0ub4dor&3" });
    assert.equal(short.status, 400);
    assert.match(await short.text(), /Password must be at least 15 characters\./);
    const long = "ünïcødé pässwörd with spaces ☃ ".repeat(4);
    await register(app.newBrowser(), "bob", long);
    const login = await post(app.newBrowser(), "/login", { username: "bob", password: long });
    assert.equal(login.status, 303);
    await login.text();
  });

  it("never puts the password into a URL, a redirect or the log", async () => {
    await register(app, "alice");
    const login = await post(app.newBrowser(), "/login", { username: "alice", password });
    assert.equal(login.headers.get("location"), "/");
    await login.text();
    const failed = await post(app.newBrowser(), "/login", { username: "alice", password: `${password}?` });
    assert.ok(!(await failed.text()).includes(password), "the login page does not echo the password");
    assert.ok(app.logs.every((line) => !line.includes(password)));
    for (const page of ["/login", "/register"]) {
      assert.match(await (await app.fetch(page)).text(), /<form method="post"/);
    }
  });
});

describe("step 06: default hashing cost", () => {
  it("R14: hashes with OWASP's N=2^17, r=8, p=1 unless told otherwise", async () => {
    const app = await startStep("06");
    try {
      const response = await post(app, "/register", { username: "alice", password, confirm: password });
      assert.equal(response.status, 303);
      await response.text();
      assert.match(storedUsers(app)[0]!.passwordHash, /^\$scrypt\$ln=17,r=8,p=1\$/);
    } finally {
      await app.close();
    }
  });

  it("refuses to start with an unknown SCRYPT_PARAMS value", async () => {
    await assert.rejects(startStep("06", { env: { SCRYPT_PARAMS: "ln=4" } }), {
      name: "TypeError",
      message: `SCRYPT_PARAMS is invalid: leave it unset (OWASP's N=2^17, r=8, p=1); "fast-for-tests" exists for tests only`,
    });
  });
});
