// Steps 05 and 06 over real HTTP with bad input: the wrong content type, a body over the limit,
// bytes that aren't UTF-8, control characters, empty, missing and over-long names. Each gets a 4xx
// with a message (never a 500), and none creates a user. (Step 07's own file tests it with CSRF.)
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { loginFailedMessage } from "../../src/auth/login.ts";
import { type StartedStep, startStep } from "../helpers/start-step.ts";

const password = "correct horse battery staple";
const form = "application/x-www-form-urlencoded";
const wrongType = "Unsupported Content-Type: expected application/x-www-form-urlencoded (UTF-8)";
const tooLarge = "The request body is larger than 16384 bytes";
const malformed = "Malformed form body: bad percent-encoding or non-UTF-8 data";

interface BadRequest {
  label: string;
  init: RequestInit;
  register: [status: number, message: string];
  login: [status: number, message: string];
}

function fields(values: Record<string, string>): RequestInit {
  return { method: "POST", body: new URLSearchParams(values) };
}

function badRequests(withPassword: boolean): BadRequest[] {
  const credentials: Record<string, string> = withPassword ? { password, confirm: password } : {};
  // Step 05 says the name is unknown; step 06 gives one message for any failed login (R15).
  const noSuchUser = withPassword ? loginFailedMessage : "No user by that name.";
  return [
    { label: "JSON instead of a form", init: { method: "POST", headers: { "content-type": "application/json" }, body: '{"username":"mallory"}' },
      register: [415, wrongType], login: [415, wrongType] },
    { label: "a body over 16 KiB", init: { method: "POST", headers: { "content-type": form }, body: `username=${"a".repeat(20_000)}` },
      register: [413, tooLarge], login: [413, tooLarge] },
    { label: "bytes that aren't UTF-8", init: { method: "POST", headers: { "content-type": form }, body: "username=%FF%FE&password=x&confirm=x" },
      register: [400, malformed], login: [400, malformed] },
    { label: "a control character in the name", init: fields({ username: "bad\u0007name", ...credentials }),
      register: [400, "Username must not contain control or invisible characters."], login: [401, noSuchUser] },
    { label: "a name of spaces only", init: fields({ username: "   ", ...credentials }),
      register: [400, "Enter a username."], login: [401, noSuchUser] },
    { label: "no fields at all", init: fields({}),
      register: [400, "Enter a username."], login: [401, noSuchUser] },
    { label: "a 65-character name", init: fields({ username: "n".repeat(65), ...credentials }),
      register: [400, "Username must be at most 64 characters."], login: [401, noSuchUser] },
  ];
}

// The message of a plain-text answer, or the first paragraph of an HTML page.
async function messageOf(response: Response): Promise<string> {
  const text = await response.text();
  if (response.headers.get("content-type")?.startsWith("text/plain")) return text;
  return /<p[^>]*>([^<]*)<\/p>/.exec(text)?.[1] ?? text;
}

for (const [step, withPassword] of [["05", false], ["06", true]] as const) {
  describe(`step ${step}: bad input on /register and /login`, () => {
    let app: StartedStep;
    beforeEach(async () => (app = await startStep(step, { env: { SCRYPT_PARAMS: "fast-for-tests" } })));
    afterEach(() => app.close());

    for (const { label, init, register, login } of badRequests(withPassword)) {
      it(`answers ${label} with ${register[0]} on /register and ${login[0]} on /login, creating nothing`, async () => {
        for (const [route, [status, message]] of [["/register", register], ["/login", login]] as const) {
          const response = await app.newBrowser().fetch(route, init);
          assert.equal(response.status, status, route);
          assert.equal(await messageOf(response), message, route);
          assert.deepEqual(response.headers.getSetCookie(), [], `${route} starts no session`);
        }
        const usersFile = path.join(app.dataDir, "users", "users.json");
        if (existsSync(usersFile)) assert.deepEqual(JSON.parse(readFileSync(usersFile, "utf8")).users, []);
      });
    }
  });
}
