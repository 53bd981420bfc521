// The behaviour steps 03 and 04 share (the view counter on the session manager and a FileStore, plain
// or sealed), as one suite each step's test file runs: restart-proof counting, no lost updates,
// idle and absolute expiry on an injected clock, unreadable files, and an unwritable store (503).
// Each test gets a fresh server, DATA_DIR and clock.
import assert from "node:assert/strict";
import { chmodSync, existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { storeKeyOf } from "../../src/session/session-id.ts";
import { type TestClock, createClock } from "./clock.ts";
import { nastyCookieHeaders } from "./nasty-cookies.ts";
import { type Browser, type StartedStep, startStep } from "./start-step.ts";

const minute = 60_000;
const unavailableMessage = "Sessions cannot be saved right now. Please try again later.";

/** Names of the session files in the step's sessions folder (temporary files excluded). */
export function sessionFiles(app: StartedStep): string[] {
  const dir = join(app.dataDir, "sessions");
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".session")) : [];
}

export async function viewsOf(browser: Browser): Promise<string> {
  const response = await browser.fetch("/");
  const text = await response.text();
  assert.equal(response.status, 200, text);
  return text;
}

export function describeFileSessionStep(step: string): void {
  describe(`step ${step}: sessions in files`, () => {
    let clock: TestClock;
    let app: StartedStep;
    beforeEach(async () => {
      clock = createClock();
      app = await startStep(step, { now: clock.now });
    });
    afterEach(() => app.close());

    it("counts per browser and keeps two browsers apart", async () => {
      const first = app.newBrowser();
      const second = app.newBrowser();
      assert.equal(await viewsOf(first), "Views: 1");
      assert.equal(await viewsOf(first), "Views: 2");
      assert.equal(await viewsOf(second), "Views: 1");
      assert.equal(await viewsOf(first), "Views: 3");
      assert.equal(sessionFiles(app).length, 2);
    });

    it("keeps counting after a restart with the same DATA_DIR", async () => {
      assert.equal(await viewsOf(app), "Views: 1");
      assert.equal(await viewsOf(app), "Views: 2");
      await app.restart();
      assert.equal(await viewsOf(app), "Views: 3");
    });

    it("R03: sends a persistent cookie (Max-Age = the 30-minute idle timeout), HttpOnly, SameSite=Lax, Path=/", async () => {
      const response = await app.fetch("/");
      await response.text();
      assert.match(
        response.headers.getSetCookie().join("\n"),
        /^sid=[A-Za-z0-9_-]{43}\.[A-Za-z0-9%]+; Max-Age=1800; Path=\/; HttpOnly; SameSite=Lax$/,
      );
    });

    it("R09: marks every session response Cache-Control: no-store", async () => {
      for (let index = 0; index < 2; index++) {
        const response = await app.fetch("/");
        await response.text();
        assert.equal(response.headers.get("cache-control"), "no-store");
      }
    });

    it("R13: 50 concurrent requests of one session each count exactly once (no lost updates)", async () => {
      assert.equal(await viewsOf(app), "Views: 1");
      const answers = await Promise.all(Array.from({ length: 50 }, () => viewsOf(app)));
      const counts = answers.map((answer) => Number(answer.replace("Views: ", ""))).sort((a, b) => a - b);
      assert.deepEqual(counts, Array.from({ length: 50 }, (_, index) => index + 2));
      assert.equal(await viewsOf(app), "Views: 52");
    });

    it("R07: an idle session lives until just before 30 minutes, then starts over and its file is deleted", async () => {
      assert.equal(await viewsOf(app), "Views: 1");
      clock.advance(30 * minute - 1);
      assert.equal(await viewsOf(app), "Views: 2", "29:59.999 idle: still alive, and renewed");
      const [renewed] = sessionFiles(app);
      clock.advance(30 * minute);
      assert.equal(await viewsOf(app), "Views: 1", "30:00 idle: expired");
      assert.equal(sessionFiles(app).length, 1);
      assert.notEqual(sessionFiles(app)[0], renewed, "the expired file is gone; a new session has its own");
    });

    it("R08: however active, a session ends 8 hours after it began", async () => {
      assert.equal(await viewsOf(app), "Views: 1");
      for (let visit = 2; visit <= 24; visit++) {
        clock.advance(20 * minute); // 23 visits, 20 minutes apart: 7 h 40 min in all
        assert.equal(await viewsOf(app), `Views: ${visit}`);
      }
      clock.advance(20 * minute); // 8 h after the first visit
      assert.equal(await viewsOf(app), "Views: 1");
    });

    it("R11: rotating SESSION_SECRET to \"new,old\" keeps existing sessions", async () => {
      assert.equal(await viewsOf(app), "Views: 1");
      const oldSecret = readFileSync(join(app.dataDir, "session-secret"), "utf8").trim();
      const newSecret = "Zk2Xc9Vb7Nm5Lq3Wp1Er8Ty6Ui4Oa0SdH3fK6gP9rX1";
      await app.restart({ env: { SESSION_SECRET: `${newSecret},${oldSecret}` } });
      assert.equal(await viewsOf(app), "Views: 2");
    });

    it("R02: the ID never appears on disk, neither in file names nor in files", async () => {
      await viewsOf(app);
      const cookie = decodeURIComponent(app.jar.get("sid")!);
      const id = cookie.slice(0, cookie.indexOf("."));
      const storeKey = storeKeyOf(id);
      const [file] = sessionFiles(app);
      assert.match(file!, /^[0-9a-f]{64}\.session$/);
      const content = readFileSync(join(app.dataDir, "sessions", file!), "utf8");
      for (const secretPart of [id, storeKey, cookie]) {
        assert.ok(!file!.includes(secretPart) && !content.includes(secretPart));
      }
    });

    it("treats a corrupt or truncated session file as no session: Views: 1, never a 500", async () => {
      for (const damage of ["", "{", "not json at all", "\u0000\u0001\u0002"]) {
        const browser = app.newBrowser();
        assert.equal(await viewsOf(browser), "Views: 1");
        assert.equal(await viewsOf(browser), "Views: 2");
        for (const name of sessionFiles(app)) writeFileSync(join(app.dataDir, "sessions", name), damage);
        assert.equal(await viewsOf(browser), "Views: 1", JSON.stringify(damage));
      }
      assert.ok(app.logs.some((line) => line.startsWith("FileStore: ignored and removed an unreadable session file")));
    });

    describe("R04: a malformed or forged cookie starts a new session and never names a file", () => {
      for (const [label, cookie] of nastyCookieHeaders) {
        it(label, async () => {
          const response = await app.newBrowser().fetch("/", { headers: { cookie } });
          assert.equal(response.status, 200);
          assert.equal(await response.text(), "Views: 1");
          assert.deepEqual(readdirSync(join(app.dataDir, "sessions")).filter((name) => !/^[0-9a-f]{64}\.session$/.test(name)), []);
        });
      }
    });

    it("answers 503 with a clear message while the sessions folder is unusable, keeps serving, and recovers", async (t) => {
      const quietErrors = t.mock.method(console, "error", () => {});
      assert.equal(await viewsOf(app), "Views: 1");
      assert.equal(await viewsOf(app), "Views: 2");
      // Replace the folder with a plain file: every read and write fails (ENOTDIR), even for root.
      const dir = join(app.dataDir, "sessions");
      renameSync(dir, `${dir}.away`);
      writeFileSync(dir, "");
      for (const browser of [app, app.newBrowser()]) {
        const response = await browser.fetch("/");
        assert.equal(response.status, 503);
        assert.equal(await response.text(), unavailableMessage);
      }
      assert.equal((await app.fetch("/elsewhere")).status, 404, "the server itself keeps serving");
      assert.ok(app.logs.some((line) => /^FileStore: cannot (read|write) session files in .* \(ENOTDIR\); answering 503$/.test(line)));
      assert.ok(quietErrors.mock.callCount() >= 2, "each 503 is logged by the error boundary");

      rmSync(dir);
      renameSync(`${dir}.away`, dir);
      assert.equal(await viewsOf(app), "Views: 3", "the session file was left intact");
    });

    it(
      "answers 503 while the sessions folder is read-only, leaving the session file intact",
      { skip: process.getuid?.() === 0 ? "root writes to read-only folders anyway" : false },
      async (t) => {
        t.mock.method(console, "error", () => {});
        assert.equal(await viewsOf(app), "Views: 1");
        const dir = join(app.dataDir, "sessions");
        chmodSync(dir, 0o500);
        try {
          const response = await app.fetch("/");
          assert.equal(response.status, 503);
          assert.equal(await response.text(), unavailableMessage);
        } finally {
          chmodSync(dir, 0o700);
        }
        assert.equal(await viewsOf(app), "Views: 2");
      },
    );
  });
}
