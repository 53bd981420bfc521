// createSealedFileSessions: the secrets it generates or reads, sessions that survive a restart,
// files that hold neither the data nor the ID in the clear, and start-up errors naming the setting.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { randomToken } from "../../src/crypto/random.ts";
import { createSealedFileSessions, type SealedFileSessionsOptions } from "../../src/session/sealed-file-sessions.ts";
import { createClock } from "../helpers/clock.ts";
import { CookieJar, countView, visit } from "./manager-helpers.ts";

describe("createSealedFileSessions", () => {
  let dataDir: string;
  const logs: string[] = [];
  const open = (options: Partial<SealedFileSessionsOptions> = {}) =>
    createSealedFileSessions({ dataDir, settings: {}, log: (message) => logs.push(message), ...options });
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
    logs.length = 0;
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it("generates the cookie secret, the encryption key and the file-name key once, mode 0600, and reuses them", async () => {
    const first = open();
    await first.store.close();
    const files = ["encryption-key", "file-name-key", "session-secret"];
    assert.deepEqual(readdirSync(dataDir).sort(), files);
    for (const file of files) assert.equal(statSync(path.join(dataDir, file)).mode & 0o777, 0o600, file);
    assert.deepEqual(logs.map((line) => line.replace(dataDir, "<dir>")), [
      "Generated a new random secret in <dir>/session-secret (keep it private; sessions survive restarts)",
      "Generated a new random secret in <dir>/encryption-key (keep it private; sessions survive restarts)",
      "Generated a new random secret in <dir>/file-name-key (keep it private; sessions survive restarts)",
    ]);
    const contents = files.map((file) => readFileSync(path.join(dataDir, file), "utf8"));
    const second = open();
    await second.store.close();
    assert.deepEqual(files.map((file) => readFileSync(path.join(dataDir, file), "utf8")), contents);
    assert.equal(logs.length, 3, "nothing generated the second time");
  });

  it("keeps sessions across a restart: the same folder and secrets open the same session", async () => {
    const jar = new CookieJar();
    const before = open();
    assert.equal((await visit(before.sessions, jar, countView)).result, 1);
    await before.store.close();
    const after = open();
    assert.equal((await visit(after.sessions, jar, countView)).result, 2);
    await after.store.close();
  });

  it("R12, R13: seals each session file: neither the data nor the session ID is readable on disk", async () => {
    const jar = new CookieJar();
    const { sessions, store } = open();
    await visit(sessions, jar, (session) => {
      session.data.secretNote = "tell no one";
    });
    await store.close();
    const [file, ...others] = readdirSync(path.join(dataDir, "sessions"));
    assert.equal(others.length, 0);
    const text = readFileSync(path.join(dataDir, "sessions", file!), "utf8");
    const id = decodeURIComponent(jar.get("sid")!).split(".")[0]!;
    assert.ok(!text.includes("tell no one") && !text.includes(id) && !file!.includes(id));
  });

  it("uses configured SESSION_SECRET and ENCRYPTION_KEY lists (\"new,old\") instead of generated files", async () => {
    const jar = new CookieJar();
    const [oldSecret, newSecret, oldKey, newKey] = [randomToken(), randomToken(), randomToken(), randomToken()];
    const before = open({ settings: { SESSION_SECRET: oldSecret, ENCRYPTION_KEY: oldKey } });
    await visit(before.sessions, jar, countView);
    await before.store.close();
    assert.deepEqual(readdirSync(dataDir).sort(), ["file-name-key", "sessions"]);
    const rotated = open({ settings: { SESSION_SECRET: `${newSecret},${oldSecret}`, ENCRYPTION_KEY: `${newKey},${oldKey}` } });
    assert.equal((await visit(rotated.sessions, jar, countView)).result, 2, "old cookie and old file still open");
    await rotated.store.close();
  });

  it("passes the session manager's options through: an injected clock and idle timeout", async () => {
    const clock = createClock();
    const jar = new CookieJar();
    const { sessions, store } = open({ now: clock.now, idleTimeoutSeconds: 120, touchIntervalSeconds: 10 });
    await visit(sessions, jar, countView);
    clock.advance(119_000);
    assert.equal((await visit(sessions, jar, countView)).result, 2);
    clock.advance(120_000);
    assert.equal((await visit(sessions, jar, countView)).result, 1, "idle for 120 s: a new session");
    await store.close();
  });

  const weak: Array<[Record<string, string>, RegExp]> = [
    [{ SESSION_SECRET: "too-short" }, /^secret "SESSION_SECRET" is invalid: must be at least 32 bytes/],
    [{ ENCRYPTION_KEY: "password" }, /^secret "ENCRYPTION_KEY" is invalid: must be at least 32 bytes/],
    [{ ENCRYPTION_KEY: `${randomToken()},short` }, /^secret "ENCRYPTION_KEY\[1\]" is invalid: must be at least 32 bytes/],
  ];
  for (const [settings, message] of weak) {
    it(`stops start-up with a TypeError naming the setting: ${Object.keys(settings)[0]}=${Object.values(settings)[0]!.length} characters`, () => {
      assert.throws(() => open({ settings }), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, message);
        assert.ok(!error.message.includes(Object.values(settings)[0]!.split(",").at(-1)!), "the secret is not in the message");
        return true;
      });
    });
  }
});
