import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import * as fsPromises from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { nodeFileDescriptors } from "../../src/files/file-descriptors.ts";
import { HttpError } from "../../src/http/http-error.ts";
import { UserStore, userStoreUnavailableMessage, type UserStoreFileSystem } from "../../src/users/user-store.ts";
import { createClock } from "../helpers/clock.ts";

const realUserFs: UserStoreFileSystem = {
  ...nodeFileDescriptors,
  readFile: fsPromises.readFile,
  mkdir: fsPromises.mkdir,
  readdir: fsPromises.readdir,
};

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
  file = path.join(dir, "data", "users.json");
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const readFileJson = () => JSON.parse(fs.readFileSync(file, "utf8")) as { users: Array<{ name: string; views: number }> };
const unavailable = (error: unknown) =>
  error instanceof HttpError && error.status === 503 && error.publicMessage === userStoreUnavailableMessage;

describe("UserStore", () => {
  it("starts empty when the file doesn't exist yet, creating the data directory", async () => {
    const users = await UserStore.open(file);
    assert.equal(users.size, 0);
    assert.equal(await users.find("alice"), null);
    assert.equal(fs.statSync(path.dirname(file)).isDirectory(), true);
    assert.equal(fs.existsSync(file), false); // nothing written until something changes
  });

  it("creates the data directory for the owner only (0700): it holds the password hashes and their temporary copies", async () => {
    await UserStore.open(file);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  });

  it("refuses to start when the users file cannot be read (EIO), instead of starting empty and overwriting every account at the next write", async () => {
    fs.mkdirSync(path.dirname(file));
    const contents = JSON.stringify({ version: 1, users: [{ name: "Alice", passwordHash: null, views: 2, createdAtMs: 0 }] });
    fs.writeFileSync(file, contents);
    const failingRead: UserStoreFileSystem = {
      ...realUserFs,
      readFile: async () => {
        throw Object.assign(new Error("simulated"), { code: "EIO" });
      },
    };
    await assert.rejects(UserStore.open(file, { fileSystem: failingRead }), { code: "EIO" });
    assert.equal(fs.readFileSync(file, "utf8"), contents);
  });

  it("finds nobody, without throwing, for a name that isn't a string (a JSON body's number or array)", async () => {
    const users = await UserStore.open(file);
    await users.create({ name: "Alice" });
    for (const name of [undefined, null, 42, ["alice"], { name: "alice" }]) {
      assert.equal(await users.find(name as unknown as string), null, JSON.stringify(name));
    }
  });

  it("opens a users file written by an older version (with \"sessionVersion\") and drops that field at the next write", async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = { name: "Alice", passwordHash: null, views: 2, sessionVersion: 3, createdAtMs: 0, note: "unknown" };
    fs.writeFileSync(file, JSON.stringify({ version: 1, users: [old] }));
    const users = await UserStore.open(file);
    assert.deepEqual(await users.find("alice"), { name: "Alice", passwordHash: null, views: 2, createdAtMs: 0 });
    await users.update("alice", (user) => ({ views: user.views + 1 }));
    assert.deepEqual(readFileJson().users, [{ name: "Alice", passwordHash: null, views: 3, createdAtMs: 0 }]);
  });

  it("creates a user with zero views and finds it by any spelling of the name", async () => {
    const clock = createClock();
    const users = await UserStore.open(file, { now: clock.now });
    const result = await users.create({ name: "  Alice " });
    const alice = { name: "Alice", passwordHash: null, views: 0, createdAtMs: clock.now() };
    assert.deepEqual(result, { ok: true, user: alice });
    assert.deepEqual(await users.find("alice"), alice);
    assert.deepEqual(await users.find("ALICE"), alice);
    assert.deepEqual(readFileJson().users, [alice]);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it("stores whole milliseconds from a fractional clock (performance.now() based), so the file opens again", async () => {
    const users = await UserStore.open(file, { now: () => 1_795_493_502_388.905 });
    assert.equal((await users.create({ name: "alice" })).ok, true);
    const reopened = await UserStore.open(file);
    assert.equal((await reopened.find("alice"))?.createdAtMs, 1_795_493_502_388);
  });

  it("treats NFD and NFC, upper and lower case spellings as one name: ÅSA then åsa is taken", async () => {
    const users = await UserStore.open(file);
    const nfd = "ÅSA".normalize("NFD");
    assert.equal((await users.create({ name: nfd })).ok, true);
    assert.deepEqual(await users.create({ name: "åsa" }), { ok: false, reason: "taken" });
    assert.equal((await users.find("Åsa"))?.name, "ÅSA".normalize("NFC")); // display spelling, NFC
  });

  it("stores HTML in a name verbatim: escaping happens on output, not here", async () => {
    const users = await UserStore.open(file);
    const name = `</div><script>alert("x")</script> & "Bob"`;
    await users.create({ name });
    assert.equal((await users.find(name))?.name, name);
    assert.equal(readFileJson().users[0]?.name, name);
  });

  it("lets exactly one of two racing registrations of one name win", async () => {
    const users = await UserStore.open(file);
    const results = await Promise.all([users.create({ name: "Alice" }), users.create({ name: "alice" })]);
    assert.deepEqual(results.map((r) => r.ok).sort(), [false, true]);
    assert.deepEqual(results[1], { ok: false, reason: "taken" });
    assert.equal(users.size, 1);
    assert.deepEqual(readFileJson().users.map((u) => u.name), ["Alice"]);
  });

  it("writes 50 concurrent registrations of different names without losing one", async () => {
    const users = await UserStore.open(file);
    const names = Array.from({ length: 50 }, (_, i) => `user${i}`);
    const results = await Promise.all(names.map((name) => users.create({ name })));
    assert.ok(results.every((r) => r.ok));
    assert.equal(readFileJson().users.length, 50);
    assert.equal((await UserStore.open(file)).size, 50);
  });

  it("counts every one of 100 overlapping view increments, and persists the count", async () => {
    const users = await UserStore.open(file);
    await users.create({ name: "Alice" });
    await Promise.all(Array.from({ length: 100 }, () => users.update("alice", (u) => ({ views: u.views + 1 }))));
    assert.equal((await users.find("Alice"))?.views, 100);
    assert.equal(readFileJson().users[0]?.views, 100);
  });

  it("updates the password hash, and answers null for an unknown user", async () => {
    const users = await UserStore.open(file);
    await users.create({ name: "Alice", passwordHash: "$scrypt$old" });
    const updated = await users.update("ALICE", { passwordHash: "$scrypt$new" });
    assert.equal(updated?.passwordHash, "$scrypt$new");
    assert.equal(updated?.name, "Alice");
    assert.equal(await users.update("nobody", { views: 1 }), null);
  });

  it("hands out frozen records: changing one in memory cannot bypass the file", async () => {
    const users = await UserStore.open(file);
    const { user } = (await users.create({ name: "Alice" })) as { ok: true; user: { views: number } };
    assert.throws(() => {
      user.views = 99;
    }, TypeError);
    assert.equal((await users.find("alice"))?.views, 0);
  });

  it("reloads every user, hash and count after a restart", async () => {
    const first = await UserStore.open(file);
    await first.create({ name: "Alice", passwordHash: "$scrypt$x" });
    await first.create({ name: "Ñoño" });
    await first.update("alice", { views: 7 });
    const second = await UserStore.open(file);
    assert.deepEqual(await second.find("alice"), await first.find("alice"));
    assert.deepEqual(await second.find("ñoño".normalize("NFD")), await first.find("Ñoño"));
    assert.equal(second.size, 2);
  });

  it("removes at start-up the temporary files a crashed write left (copies of the password hashes), and nothing else", async () => {
    const first = await UserStore.open(file);
    await first.create({ name: "Alice", passwordHash: "$scrypt$x" });
    const data = path.dirname(file);
    const leftovers = ["users.json.0123456789abcdef.tmp", "users.json.fedcba9876543210.tmp"];
    const others = ["users.json.bak", "users.json.xyz.tmp", "notes.txt", "other.json.0123456789abcdef.tmp"];
    for (const name of [...leftovers, ...others]) fs.writeFileSync(path.join(data, name), "{\"users\": [{\"passwordHash\": \"$scrypt$x\"");
    const second = await UserStore.open(file);
    assert.equal(second.size, 1);
    assert.deepEqual(fs.readdirSync(data).sort(), [...others, "users.json"].sort());
  });

  it("refuses to start on a corrupt file and leaves the file as it was", async () => {
    fs.mkdirSync(path.dirname(file));
    fs.writeFileSync(file, '{"version":1,"users":[{"name":"Alice"'); // truncated by a crash elsewhere
    await assert.rejects(UserStore.open(file), {
      name: "TypeError",
      message: `users file "${file}" is invalid: not JSON (fix it or move it away; it is never replaced by an empty list)`,
    });
    assert.equal(fs.readFileSync(file, "utf8"), '{"version":1,"users":[{"name":"Alice"');
  });

  it("rejects an invalid name or field as a programmer error (validate first)", async () => {
    const users = await UserStore.open(file);
    await assert.rejects(users.create({ name: "a\u0000b" }), {
      name: "TypeError",
      message: `UserStore.create "name" is invalid: Username must not contain control or invisible characters. (check it with validateUsername first)`,
    });
    await users.create({ name: "Alice" });
    await assert.rejects(users.update("alice", { views: -1 }), {
      name: "TypeError",
      message: `UserStore.update "views" is invalid: must be a whole number of at least 0`,
    });
    assert.equal((await users.find("alice"))?.views, 0);
  });

  it("rejects a password hash that isn't a string or null, which would stop the next start-up, and writes nothing", async () => {
    const users = await UserStore.open(file);
    await users.create({ name: "Alice", passwordHash: "$scrypt$x" });
    const before = fs.readFileSync(file, "utf8");
    const message = (method: string) => `UserStore.${method} "passwordHash" is invalid: must be a string or null`;
    await assert.rejects(users.create({ name: "Bob", passwordHash: 42 as unknown as string }), { name: "TypeError", message: message("create") });
    await assert.rejects(users.update("alice", { passwordHash: { hash: "x" } as unknown as string }), { name: "TypeError", message: message("update") });
    assert.equal(fs.readFileSync(file, "utf8"), before);
    assert.equal((await UserStore.open(file)).size, 1);
  });

  it("answers 503 when the data directory becomes unwritable, keeping memory and file as they were", async () => {
    const users = await UserStore.open(file);
    await users.create({ name: "Alice", passwordHash: "$scrypt$x" });
    const before = fs.readFileSync(file, "utf8");
    // Tests run as root, so chmod would not deny: make the directory's path a regular file instead.
    const dataDir = path.dirname(file);
    const movedAway = path.join(dir, "moved");
    fs.renameSync(dataDir, movedAway);
    fs.writeFileSync(dataDir, "");
    await assert.rejects(users.create({ name: "Bob" }), unavailable);
    await assert.rejects(users.update("alice", { views: 1 }), unavailable);
    assert.equal(await users.find("bob"), null); // rolled back: Bob can register again later
    assert.equal((await users.find("alice"))?.views, 0);
    assert.equal((await users.find("alice"))?.passwordHash, "$scrypt$x"); // existing users still log in
    fs.rmSync(dataDir);
    fs.renameSync(movedAway, dataDir);
    assert.equal(fs.readFileSync(file, "utf8"), before);
    assert.deepEqual(fs.readdirSync(dataDir), ["users.json"]);
    assert.equal((await users.create({ name: "Bob" })).ok, true); // the queue keeps working afterwards
  });

  for (const code of ["EACCES", "ENOSPC", "EROFS"]) {
    it(`answers 503 on ${code}, with the file never half-written and the cause kept for the log`, async () => {
      let failing = false;
      const fileSystem: UserStoreFileSystem = {
        ...realUserFs,
        async open(target, flags, mode) {
          if (failing && code === "EACCES") throw Object.assign(new Error("simulated"), { code });
          return nodeFileDescriptors.open(target, flags, mode);
        },
        async write(fd, buffer, offset, length, position) {
          if (failing && code === "ENOSPC") {
            if (offset > 0) throw Object.assign(new Error("simulated"), { code });
            return nodeFileDescriptors.write(fd, buffer, offset, Math.min(10, length), position); // a short write first
          }
          return nodeFileDescriptors.write(fd, buffer, offset, length, position);
        },
        async rename(from, to) {
          if (failing && code === "EROFS") throw Object.assign(new Error("simulated"), { code });
          await nodeFileDescriptors.rename(from, to);
        },
      };
      const users = await UserStore.open(file, { fileSystem });
      await users.create({ name: "Alice" });
      const before = fs.readFileSync(file, "utf8");
      failing = true;
      const error = await users.update("alice", (u) => ({ views: u.views + 1 })).catch((e: unknown) => e);
      assert.ok(unavailable(error));
      assert.equal(((error as Error).cause as NodeJS.ErrnoException).code, code);
      assert.equal(fs.readFileSync(file, "utf8"), before);
      assert.deepEqual(fs.readdirSync(path.dirname(file)), ["users.json"]);
      assert.equal((await users.find("alice"))?.views, 0);
      failing = false;
      assert.equal((await users.update("alice", (u) => ({ views: u.views + 1 })))?.views, 1);
    });
  }
});
