import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { isTemporaryFileOf, writeFileAtomic, type AtomicWriteFileSystem } from "../../src/files/atomic-write.ts";
import { nodeFileDescriptors as real } from "../../src/files/file-descriptors.ts";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const errno = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

describe("writeFileAtomic", () => {
  it("creates and then replaces a file, readable only by its owner (0600)", async () => {
    const file = path.join(dir, "users.json");
    await writeFileAtomic(file, "first");
    await writeFileAtomic(file, "second");
    assert.equal(fs.readFileSync(file, "utf8"), "second");
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir), ["users.json"]);
  });

  it("leaves the old file whole and no temporary file when the disk fills up mid-write", async () => {
    const file = path.join(dir, "users.json");
    fs.writeFileSync(file, "old contents");
    const closed: number[] = [];
    const fullDisk: AtomicWriteFileSystem = {
      ...real,
      // The first write gets 3 bytes onto the disk and reports that (a short write); the next one fails.
      write: async (fd, buffer, offset, length, position) => {
        if (offset > 0) throw errno("ENOSPC");
        return real.write(fd, buffer, offset, Math.min(3, length), position);
      },
      close: (fd) => {
        closed.push(fd);
        return real.close(fd);
      },
    };
    await assert.rejects(writeFileAtomic(file, "new contents", { fileSystem: fullDisk }), { code: "ENOSPC" });
    assert.equal(fs.readFileSync(file, "utf8"), "old contents");
    assert.deepEqual(fs.readdirSync(dir), ["users.json"]);
    assert.equal(closed.length, 1); // the temporary file's descriptor is not leaked
  });

  it("writes on after a short write until every byte is written", async () => {
    const file = path.join(dir, "users.json");
    const text = "ünïcödé ".repeat(100); // multi-byte characters split across writes
    let writes = 0;
    const trickling: AtomicWriteFileSystem = {
      ...real,
      write: (fd, buffer, offset, length, position) => {
        writes++;
        return real.write(fd, buffer, offset, Math.min(7, length), position);
      },
    };
    await writeFileAtomic(file, text, { fileSystem: trickling });
    assert.equal(fs.readFileSync(file, "utf8"), text);
    assert.equal(writes, Math.ceil(Buffer.byteLength(text) / 7));
  });

  it("fails (EIO) instead of looping when a write makes no progress, and leaves no temporary file", { timeout: 5_000 }, async () => {
    const file = path.join(dir, "users.json");
    // Stops a loop that never ends by itself: the timeout alone cannot, as a loop of settled promises
    // never lets a timer run, so the test would hang instead of failing.
    let writes = 0;
    const stuck: AtomicWriteFileSystem = {
      ...real,
      write: async () => {
        if (++writes > 100) throw new Error("still writing after 100 writes that made no progress");
        return 0;
      },
    };
    await assert.rejects(writeFileAtomic(file, "data", { fileSystem: stuck }), { code: "EIO" });
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  // A descriptor closed twice is a bug even when the second close "only" fails with EBADF: by then the
  // number may belong to another request's file, which the second close would shut.
  for (const [operation, code] of [["write", "ENOSPC"], ["fsync", "EIO"], ["close", "EIO"], ["rename", "EROFS"]] as const) {
    it(`removes the temporary file and closes its descriptor exactly once when ${operation} fails (${code})`, async () => {
      const file = path.join(dir, "users.json");
      fs.writeFileSync(file, "old contents");
      const opened: number[] = [];
      const closes = new Map<number, number>();
      const fileSystem: AtomicWriteFileSystem = {
        ...real,
        open: async (target, flags, mode) => {
          const fd = await real.open(target, flags, mode);
          opened.push(fd);
          return fd;
        },
        write: async (...args) => {
          if (operation === "write") throw errno(code);
          return real.write(...args);
        },
        fsync: async (fd) => {
          if (operation === "fsync") throw errno(code);
          return real.fsync(fd);
        },
        close: async (fd) => {
          closes.set(fd, (closes.get(fd) ?? 0) + 1);
          await real.close(fd).catch(() => {}); // a second close of a number: EBADF, or someone else's file
          if (operation === "close") throw errno(code); // released all the same, as close(2) does on Linux
        },
        rename: async (from, to) => {
          if (operation === "rename") throw errno(code);
          return real.rename(from, to);
        },
      };
      await assert.rejects(writeFileAtomic(file, "new", { fileSystem }), { code });
      assert.equal(fs.readFileSync(file, "utf8"), "old contents");
      assert.deepEqual(fs.readdirSync(dir), ["users.json"]);
      assert.equal(opened.length, 1);
      assert.deepEqual([...closes], [[opened[0], 1]]);
    });
  }

  it("with the real file system, flushes the data to disk (fsync) before the rename puts it in place", async (t) => {
    // Without the fsync, a power cut after the rename can leave an empty file: every account lost.
    const order: string[] = [];
    const { fsync, rename } = fs;
    t.mock.method(fs, "fsync", (fd: number, callback: fs.NoParamCallback) => {
      order.push("fsync");
      fsync(fd, callback);
    });
    t.mock.method(fs, "rename", (from: fs.PathLike, to: fs.PathLike, callback: fs.NoParamCallback) => {
      order.push("rename");
      rename(from, to, callback);
    });
    await writeFileAtomic(path.join(dir, "users.json"), "data");
    assert.deepEqual(order, ["fsync", "rename"]);
  });

  it("fails without writing anything when the directory is gone (its path is now a regular file)", async () => {
    const blocked = path.join(dir, "data");
    fs.writeFileSync(blocked, "");
    await assert.rejects(writeFileAtomic(path.join(blocked, "users.json"), "x"), { code: "ENOTDIR" });
  });

  it("creates the temporary file exclusively (wx), so a planted symlink is never followed", async () => {
    const opened: Array<[string, string, number]> = [];
    const spy: AtomicWriteFileSystem = {
      ...real,
      open: (target, flags, mode) => {
        opened.push([path.basename(target), flags, mode ?? -1]);
        return real.open(target, flags, mode);
      },
    };
    await writeFileAtomic(path.join(dir, "users.json"), "x", { fileSystem: spy });
    assert.equal(opened.length, 1);
    const [name, flags, mode] = opened[0]!;
    assert.match(name, /^users\.json\.[0-9a-f]{16}\.tmp$/);
    assert.equal(flags, "wx");
    assert.equal(mode, 0o600);
  });
});

describe("isTemporaryFileOf", () => {
  it("recognizes the temporary file a crashed write leaves, and nothing else", async () => {
    const file = path.join(dir, "users.json");
    // A crash between the write and the rename: rename fails and the cleanup never happens.
    const crashing: AtomicWriteFileSystem = {
      ...real,
      rename: async () => {
        throw errno("EIO");
      },
      unlink: async () => {},
    };
    await assert.rejects(writeFileAtomic(file, "data", { fileSystem: crashing }), { code: "EIO" });
    const [leftover] = fs.readdirSync(dir);
    assert.equal(isTemporaryFileOf(file, leftover!), true);
    for (const other of ["users.json", "users.json.bak", "users.json.xyz.tmp", "users.json.0123abcd.tmp", "other.json.0123456789abcdef.tmp", "users.json.0123456789ABCDEF.tmp"]) {
      assert.equal(isTemporaryFileOf(file, other), false, other);
    }
  });
});
