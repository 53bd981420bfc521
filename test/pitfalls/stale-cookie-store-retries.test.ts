// Pitfall (the ArcGIS tutorial's session-file-store): a browser still holding the cookie of a session
// whose file is gone made the store retry the read five times and log the file's path, which is the
// session ID. Here a stale cookie is one read, an answer at once (a fresh, empty session: the login
// page), a clearing Set-Cookie, and logs that name neither the session ID nor its file. A session
// file that is damaged is the same "no session", logged once without anything session-like.
import assert from "node:assert/strict";
import { readdirSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { registerUser } from "../helpers/forms.ts";
import { type StartedOAuthStep, startOAuthStep } from "../helpers/oauth-step.ts";

const password = "correct horse battery staple";

describe("pitfall: a stale session cookie makes the store retry and log the session's file path", () => {
  let app: StartedOAuthStep;
  let sessionsDir: string;
  beforeEach(async () => {
    app = await startOAuthStep();
    sessionsDir = path.join(app.dataDir, "sessions");
    await registerUser(app, app, "carol", password); // signed in: one session file
  });
  afterEach(() => app.close());

  /** The session ID inside the signed cookie value ("<id>.<signature>"). */
  const sessionId = () => decodeURIComponent(app.jar.get("sid") ?? "").split(".")[0]!;
  const files = () => readdirSync(sessionsDir).filter((name) => name.endsWith(".session"));

  for (const damage of ["deleted", "corrupted"] as const) {
    it(`answers a cookie whose session file was ${damage} at once, as "no session", with nothing session-like in the logs`, async () => {
      const id = sessionId();
      const [file] = files();
      assert.ok(file);
      assert.ok(!file.includes(id), "the file name is a keyed hash, not the session ID");
      if (damage === "deleted") {
        unlinkSync(path.join(sessionsDir, file)); // expired and reaped, or the store was wiped
      } else {
        writeFileSync(path.join(sessionsDir, file), "not a sealed session");
      }
      const logsBefore = app.logs.length;
      const response = await app.fetch("/");
      await response.text();
      assert.equal(response.status, 303);
      assert.equal(response.headers.get("location"), "/login");
      assert.match(response.headers.getSetCookie().join("\n"), /^sid=; Max-Age=0; Path=\/;/); // the browser drops it
      const newLogs = app.logs.slice(logsBefore);
      assert.ok(newLogs.length <= 1, `logged ${newLogs.length} times`); // one read, no retries
      for (const line of newLogs) {
        assert.ok(!line.includes(id), "a log line holds the session ID");
        assert.ok(!line.includes(file), "a log line names the session's file");
      }
      assert.deepEqual(files(), []); // no empty session stored for the stale cookie (saveUninitialized: false)
    });
  }
});
