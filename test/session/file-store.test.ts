import assert from "node:assert/strict";
import { createHmac, hkdfSync } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { randomToken } from "../../src/crypto/random.ts";
import { HttpError } from "../../src/http/http-error.ts";
import { FileStore, type FileStoreOptions, type ReapTimers } from "../../src/session/file-store.ts";
import { sign } from "../../src/cookies/sign.ts";
import { createSessionManager, storeKeyOf } from "../../src/session/manager.ts";
import { generateSessionId } from "../../src/session/session-id.ts";
import { createClock, type TestClock } from "../helpers/clock.ts";
import { CookieJar, secret, visit } from "./manager-helpers.ts";
import { faultyFs, makeTempDir, recordingFs, removeDir } from "./fs-helpers.ts";
import { sampleRecord, storeContract } from "./store-contract.ts";

storeContract("FileStore", (clock) => {
  const dir = makeTempDir();
  const store = new FileStore({ dir, nameKey: randomToken(), now: clock.now, reapIntervalMs: 0 });
  return { store, cleanup: () => removeDir(dir) };
});

const unavailable = { name: "HttpError", status: 503, message: "Sessions cannot be saved right now. Please try again later." };
const sessionFileRegExp = /^[0-9a-f]{64}\.session$/;

describe("FileStore", () => {
  let dir: string;
  let clock: TestClock;
  let logs: string[];
  const stores: FileStore[] = [];

  function makeStore(options: Partial<FileStoreOptions> = {}): FileStore {
    const store = new FileStore({ dir, nameKey, now: clock.now, reapIntervalMs: 0, log: (m) => logs.push(m), ...options });
    stores.push(store);
    return store;
  }
  const nameKey = randomToken();
  const listing = () => fs.readdirSync(dir);
  const onlyFile = () => {
    const files = listing();
    assert.equal(files.length, 1, `expected one file, found ${files.join(", ")}`);
    return path.join(dir, files[0]!);
  };

  beforeEach(() => {
    dir = makeTempDir();
    clock = createClock();
    logs = [];
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await removeDir(dir);
  });

  describe("file names", () => {
    it("R13: names each file by a keyed hash: neither the session ID nor the store key is in the listing or the file", async () => {
      const store = makeStore();
      const id = generateSessionId();
      const key = storeKeyOf(id);
      await store.set(key, sampleRecord(clock));
      const [file] = listing();
      assert.match(file!, sessionFileRegExp);
      for (const secret of [id, key, Buffer.from(key, "base64url").toString("hex")]) {
        assert.ok(!file!.includes(secret));
        assert.ok(!fs.readFileSync(onlyFile(), "utf8").includes(secret));
      }
    });

    it("names a file HMAC-SHA256(HKDF(nameKey, \"session-file-names\"), store key) in hex, never keyed by the raw secret", async () => {
      // Known answer computed independently; the derived key keeps nameKey apart from any other use of it.
      await makeStore().set("k", sampleRecord(clock));
      const fileKey = Buffer.from(hkdfSync("sha256", nameKey, Buffer.alloc(0), "session-file-names", 32));
      assert.deepEqual(listing(), [`${createHmac("sha256", fileKey).update("k").digest("hex")}.session`]);
    });

    it("derives different names under another nameKey (a listing can't be recomputed without the key)", async () => {
      await makeStore().set("k", sampleRecord(clock));
      await makeStore({ nameKey: randomToken() }).set("k", sampleRecord(clock));
      assert.equal(new Set(listing()).size, 2);
    });

    it("R04: never uses a key as a path: every path it touches is the folder plus a hex name", async () => {
      const { fileSystem, paths } = recordingFs();
      const store = makeStore({ fileSystem });
      const hostile = ["../../../../etc/passwd", "/etc/shadow", "a/../../b", "..\\..\\windows", "nul\u0000", "%2e%2e%2f", "x".repeat(100_000)];
      for (const key of hostile) {
        await store.set(key, sampleRecord(clock));
        await store.get(key);
        await store.destroy(key);
      }
      assert.ok(paths.length > 0);
      for (const touched of paths) {
        assert.equal(path.dirname(touched), dir);
        assert.match(path.basename(touched), /^[0-9a-f]{64}\.session(\.[0-9a-f]{16}\.tmp)?$/);
      }
      assert.deepEqual(fs.readdirSync(path.dirname(dir)).filter((name) => name === "passwd"), []);
    });

    it("R04: behind the session manager, a forged cookie value never reaches the file system at all", async () => {
      const { fileSystem, paths } = recordingFs();
      const sessions = createSessionManager({ store: makeStore({ fileSystem }), secrets: [secret], now: clock.now });
      const forged = ["../../../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "/etc/shadow", "x".repeat(4000),
        generateSessionId(), sign("../../etc/passwd", randomToken()), `${generateSessionId()}.forgedsignature`];
      for (const value of forged) {
        const jar = new CookieJar();
        jar.set("sid", encodeURIComponent(value));
        await visit(sessions, jar, (session) => session.userId);
      }
      assert.deepEqual(paths, []);
      // A genuine but unknown ID costs one lookup, by keyed hash, and is not adopted.
      const jar = new CookieJar();
      const unknown = generateSessionId();
      jar.set("sid", encodeURIComponent(sign(unknown, secret)));
      assert.equal((await visit(sessions, jar, (session) => session.id !== unknown && session.isNew)).result, true);
      assert.equal(paths.length, 1);
      assert.match(path.basename(paths[0]!), sessionFileRegExp);
      assert.deepEqual(listing(), []);
    });

    it("creates a missing folder on the first write, readable only by its owner", async () => {
      dir = path.join(dir, "nested", "sessions");
      const store = makeStore();
      assert.equal(await store.get("k"), null); // reading from a folder that isn't there yet: no session
      await store.set("k", sampleRecord(clock));
      assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
      assert.equal(fs.statSync(onlyFile()).mode & 0o777, 0o600);
      await removeDir(path.dirname(path.dirname(dir)));
    });
  });

  describe("behind the session manager", () => {
    it("keeps sessions with a clock that has fractional milliseconds (one built on performance.now())", async () => {
      const sessions = createSessionManager({ store: makeStore(), secrets: [secret], now: () => clock.now() + 0.25 });
      const jar = new CookieJar();
      const views = [];
      for (let i = 0; i < 3; i++) {
        views.push((await visit(sessions, jar, (session) => (session.data.views = Number(session.data.views ?? 0) + 1))).result);
      }
      assert.deepEqual(views, [1, 2, 3]);
      assert.deepEqual(logs, []);
    });

    it("destroyAllForUser rejects with the 503 when a session file can't be deleted, and the session is still there", async () => {
      // The caller (a password change) must fail rather than report every session ended.
      const faults = faultyFs();
      const sessions = createSessionManager({ store: makeStore({ fileSystem: faults.fileSystem }), secrets: [secret], now: clock.now });
      const laptop = new CookieJar();
      await visit(sessions, laptop, (session) => {
        session.userId = "ada";
      });
      faults.fail("unlink", "EACCES");
      await assert.rejects(sessions.destroyAllForUser("ada"), unavailable);
      faults.heal();
      assert.equal((await visit(sessions, laptop, (session) => session.userId)).result, "ada");
    });
  });

  describe("atomic writes", () => {
    it("R13: a temp file a crashed write left (half the data) is never read: the previous version is", async () => {
      const store = makeStore();
      const before = sampleRecord(clock, { data: { views: 1 } });
      await store.set("k", before);
      const file = onlyFile();
      const crashed = `${file.slice(0, -".session".length)}.0123456789abcdef.tmp`;
      const next = fs.readFileSync(file, "utf8").replace('"views":1', '"views":2');
      fs.writeFileSync(crashed, next.slice(0, next.length / 2));
      assert.deepEqual(await store.get("k"), before);
    });

    it("R13: a write that fails halfway (disk full) is a 503, leaves the old file intact and no temp file", async () => {
      const faults = faultyFs();
      const store = makeStore({ fileSystem: faults.fileSystem });
      const before = sampleRecord(clock, { data: { views: 1 } });
      await store.set("k", before);
      faults.fail("write", "ENOSPC");
      await assert.rejects(store.set("k", sampleRecord(clock, { data: { views: 2, big: "x".repeat(10_000) } })), unavailable);
      assert.deepEqual(await store.get("k"), before);
      assert.equal(listing().length, 1);
    });

    for (const [operation, code] of [["open", "EACCES"], ["open", "EROFS"], ["sync", "EIO"], ["rename", "EACCES"]] as const) {
      it(`turns ${code} on ${operation} into HttpError 503 and keeps the previous file`, async () => {
        const faults = faultyFs();
        const store = makeStore({ fileSystem: faults.fileSystem });
        const before = sampleRecord(clock);
        await store.set("k", before);
        faults.fail(operation, code);
        const error = await store.set("k", sampleRecord(clock, { data: { views: 2 } })).catch((e: unknown) => e);
        assert.ok(error instanceof HttpError);
        assert.equal(error.status, 503);
        assert.equal(error.publicMessage, "Sessions cannot be saved right now. Please try again later.");
        assert.equal((error.cause as NodeJS.ErrnoException).code, code);
        faults.heal();
        assert.deepEqual(await store.get("k"), before);
        assert.equal(listing().length, 1);
      });
    }

    it("logs a write failure once while it lasts, not once per request, and never a key", async () => {
      const faults = faultyFs();
      const store = makeStore({ fileSystem: faults.fileSystem });
      faults.fail("open", "EACCES");
      for (let i = 0; i < 5; i++) await assert.rejects(store.set("secret-key", sampleRecord(clock)), unavailable);
      assert.deepEqual(logs, [`FileStore: cannot write session files in ${dir} (EACCES); answering 503`]);
    });

    it("answers 503 when the folder can't exist (its parent is a regular file)", async () => {
      fs.writeFileSync(path.join(dir, "not-a-folder"), "");
      const store = makeStore({ dir: path.join(dir, "not-a-folder", "sessions") });
      await assert.rejects(store.set("k", sampleRecord(clock)), unavailable);
    });

    it("answers 503 when a logout's delete fails, so nobody is told they're logged out while they aren't", async () => {
      const faults = faultyFs();
      const store = makeStore({ fileSystem: faults.fileSystem });
      await store.set("k", sampleRecord(clock));
      faults.fail("unlink", "EACCES");
      await assert.rejects(store.destroy("k"), unavailable);
      faults.heal();
      assert.notEqual(await store.get("k"), null);
    });

    it("answers 503 when destroyByUser can't delete a session file, so a password change can't report success while a session lives", async () => {
      const faults = faultyFs();
      const store = makeStore({ fileSystem: faults.fileSystem });
      await store.set("ada's laptop", sampleRecord(clock, { userId: "ada" }));
      faults.fail("unlink", "EACCES");
      await assert.rejects(store.destroyByUser("ada"), unavailable);
      faults.heal();
      assert.equal((await store.get("ada's laptop"))?.userId, "ada"); // it really is still there
    });

    it("R13: two stores on one folder writing the same session at once never produce a torn file", async () => {
      const first = makeStore();
      const second = makeStore();
      const big = (writer: string, i: number) => sampleRecord(clock, { data: { writer, i, padding: writer.repeat(50_000) } });
      const reads: Array<Promise<unknown>> = [];
      const writes: Array<Promise<void>> = [];
      for (let i = 0; i < 40; i++) {
        writes.push(first.set("shared", big("a", i)), second.set("shared", big("b", i)));
        reads.push(first.get("shared"), second.get("shared"));
      }
      await Promise.all(writes);
      for (const record of await Promise.all(reads)) {
        if (record === null) continue; // read before the first rename: no file yet
        const { data } = record as { data: { writer: string; padding: string } };
        assert.equal(data.padding, data.writer.repeat(50_000));
      }
      assert.notEqual(await first.get("shared"), null);
      assert.deepEqual(listing().filter((name) => !sessionFileRegExp.test(name)), []);
      assert.deepEqual(logs, []);
    });
  });

  describe("unreadable files", () => {
    const unreadable: Array<[string, string]> = [
      ["empty", ""],
      ["truncated JSON", '{"v":1,"userId":null,"createdAtMs":1,"lastSe'],
      ["garbage bytes", "\u0000\uFFFD\u0007 not json at all"],
      ["a JSON array", "[]"],
      ["JSON null", "null"],
      ["an unknown format version", '{"v":2,"userId":null,"createdAtMs":1,"lastSeenMs":1,"expiresAtMs":9e15,"data":{}}'],
      ["a string where the times belong", '{"v":1,"userId":null,"createdAtMs":"1","lastSeenMs":1,"expiresAtMs":9e15,"data":{}}'],
      ["data that is not an object", '{"v":1,"userId":null,"createdAtMs":1,"lastSeenMs":1,"expiresAtMs":9e15,"data":"x"}'],
      ["a numeric userId", '{"v":1,"userId":7,"createdAtMs":1,"lastSeenMs":1,"expiresAtMs":9e15,"data":{}}'],
      // Times must be whole, non-negative milliseconds within Number's exact range.
      ["an expiry past the safe integers", '{"v":1,"userId":null,"createdAtMs":1,"lastSeenMs":1,"expiresAtMs":1e300,"data":{}}'],
      ["a negative creation time", '{"v":1,"userId":null,"createdAtMs":-1,"lastSeenMs":1,"expiresAtMs":9e15,"data":{}}'],
      ["a fractional lastSeenMs", '{"v":1,"userId":null,"createdAtMs":1,"lastSeenMs":1.5,"expiresAtMs":9e15,"data":{}}'],
      ["a sealed file where plain JSON belongs", "v1.AAAAAAAA.AAAAAAAAAAAAAAAA..AAAAAAAAAAAAAAAAAAAAAA"],
    ];
    for (const [name, content] of unreadable) {
      it(`treats ${name} as no session, logs it once and removes the file`, async () => {
        const store = makeStore();
        await store.set("k", sampleRecord(clock));
        fs.writeFileSync(onlyFile(), content);
        assert.equal(await store.get("k"), null);
        assert.equal(await store.get("k"), null);
        assert.equal(logs.length, 1);
        assert.match(logs[0]!, /ignored and removed an unreadable session file/);
        assert.deepEqual(listing(), []);
      });
    }

    it("logs an unreadable file once even when it can't be removed", async () => {
      const faults = faultyFs();
      const store = makeStore({ fileSystem: faults.fileSystem });
      await store.set("k", sampleRecord(clock));
      fs.writeFileSync(onlyFile(), "{");
      faults.fail("unlink", "EROFS");
      for (let i = 0; i < 3; i++) assert.equal(await store.get("k"), null);
      assert.equal(logs.length, 1);
    });

    it("answers 503 when the file exists but can't be read (EIO), rather than starting a new session", async () => {
      const faults = faultyFs();
      const store = makeStore({ fileSystem: faults.fileSystem });
      await store.set("k", sampleRecord(clock));
      faults.fail("read", "EIO");
      await assert.rejects(store.get("k"), unavailable);
    });
  });

  describe("expiry and reaping", () => {
    function fakeTimers() {
      const calls = { set: [] as Array<{ callback: () => void; ms: number }>, cleared: [] as unknown[], unrefs: 0 };
      const timer = { unref: () => calls.unrefs++ };
      const timers: ReapTimers = {
        setInterval(callback, ms) {
          calls.set.push({ callback, ms });
          return timer;
        },
        clearInterval(t) {
          calls.cleared.push(t);
        },
      };
      return { timers, calls, timer };
    }

    it("deletes an expired file when it is read", async () => {
      const store = makeStore();
      const record = sampleRecord(clock);
      await store.set("k", record);
      clock.set(record.expiresAtMs);
      assert.equal(await store.get("k"), null);
      assert.deepEqual(listing(), []);
    });

    it("a reap never deletes a renewal written after it read the expired version", async () => {
      // A request loaded the session just before it expired and is still saving its renewal when the
      // reap finds the old, expired version: removing by name would delete the new file. Within 5
      // minutes of expiry the reap leaves a file alone, so the renewal survives.
      const store = makeStore();
      const record = sampleRecord(clock, { expiresAtMs: clock.now() + 60_000 });
      await store.set("k", record);
      clock.set(record.expiresAtMs + 4 * 60_000); // the request that renews it took four minutes
      assert.equal(await store.reap(), 0);
      assert.equal(listing().length, 1); // had the reap removed it, it could have been the renewal
      clock.advance(60_000);
      assert.equal(await store.reap(), 1); // five minutes after expiry: no renewal can still be coming
    });

    it("reaps periodically on an unref'd timer: expired and unreadable files, stale temp files; close() stops it", async () => {
      const { timers, calls, timer } = fakeTimers();
      const store = makeStore({ timers, reapIntervalMs: 60_000 });
      assert.equal(calls.set.length, 1);
      assert.equal(calls.set[0]!.ms, 60_000);
      assert.equal(calls.unrefs, 1, "the timer must not keep the process alive");

      await store.set("short", sampleRecord(clock, { expiresAtMs: clock.now() + 60_000 }));
      await store.set("long", sampleRecord(clock, { expiresAtMs: clock.now() + 3_600_000 }));
      clock.advance(7 * 60_000); // "short" expired 6 minutes ago: no renewal can still be on its way
      // Temp files left by crashed writes are judged by their mtime on the injected clock.
      const staleTemp = path.join(dir, `${"a".repeat(64)}.session.0000000000000000.tmp`);
      const freshTemp = path.join(dir, `${"b".repeat(64)}.session.0000000000000000.tmp`);
      // Not the store's: another program's temporary files in the same folder stay, however old.
      const foreign = ["upload-42.tmp", "users.json.0123456789abcdef.tmp", `${"a".repeat(64)}.0000000000000000.tmp`];
      fs.writeFileSync(staleTemp, "half a wri");
      fs.writeFileSync(freshTemp, "in flight");
      for (const name of foreign) fs.writeFileSync(path.join(dir, name), "someone else's");
      for (const name of [staleTemp, ...foreign.map((name) => path.join(dir, name))]) {
        fs.utimesSync(name, new Date(clock.now() - 10 * 60_000), new Date(clock.now() - 10 * 60_000));
      }
      fs.utimesSync(freshTemp, new Date(clock.now() - 60_000), new Date(clock.now() - 60_000));

      calls.set[0]!.callback(); // the timer fires
      assert.equal(await store.reap(), 2); // joins the reap the timer started: "short" and the stale temp file
      assert.ok(!fs.existsSync(staleTemp));
      assert.ok(fs.existsSync(freshTemp));
      for (const name of foreign) assert.ok(fs.existsSync(path.join(dir, name)), name);
      assert.notEqual(await store.get("long"), null);
      assert.equal(listing().filter((name) => sessionFileRegExp.test(name)).length, 1);

      await store.close();
      assert.deepEqual(calls.cleared, [timer]);
    });

    it("reap() removes exactly the files expired for 5 minutes and the unreadable ones", async () => {
      const store = makeStore();
      await store.set("expired", sampleRecord(clock, { expiresAtMs: clock.now() + 1000 }));
      await store.set("just expired", sampleRecord(clock, { expiresAtMs: clock.now() + 2000 }));
      await store.set("live", sampleRecord(clock, { expiresAtMs: clock.now() + 10 * 60_000 }));
      fs.writeFileSync(path.join(dir, `${"c".repeat(64)}.session`), "garbage");
      fs.writeFileSync(path.join(dir, "README.txt"), "not ours: left alone");
      clock.advance(1000 + 5 * 60_000);
      assert.equal(await store.reap(), 1); // the expired one; the garbage file is removed and logged by the read
      assert.equal(listing().filter((name) => sessionFileRegExp.test(name)).length, 2); // "just expired" waits
      assert.notEqual(await store.get("live"), null);
      assert.ok(listing().includes("README.txt"));
      assert.equal(logs.length, 1);
    });

    it("uses no timer with reapIntervalMs 0, and a missing folder reaps nothing", async () => {
      const { timers, calls } = fakeTimers();
      const store = makeStore({ timers, reapIntervalMs: 0, dir: path.join(dir, "missing") });
      assert.equal(calls.set.length, 0);
      assert.equal(await store.reap(), 0);
    });
  });

  describe("configuration", () => {
    const invalid: Array<[string, Partial<FileStoreOptions>, string]> = [
      ["an empty dir", { dir: "" }, `FileStore "dir" is invalid: must be a folder path`],
      ["a short nameKey", { nameKey: "short" }, `secret "FileStore nameKey" is invalid: must be at least 32 bytes, got 5 (RFC 2104 §3); generate one with: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`],
      ["a negative reapIntervalMs", { reapIntervalMs: -1 }, `FileStore "reapIntervalMs" is invalid: must be a whole number of milliseconds (0: off)`],
    ];
    for (const [name, change, message] of invalid) {
      it(`throws a TypeError at start-up for ${name}`, () => {
        assert.throws(() => new FileStore({ dir, nameKey, ...change }), { name: "TypeError", message });
      });
    }
  });
});
