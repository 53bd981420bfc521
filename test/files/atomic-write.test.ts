import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import * as fsPromises from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { isTemporaryFileOf, writeFileAtomic, type AtomicWriteFileSystem } from "../../src/files/atomic-write.ts";

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
    const fullDisk: AtomicWriteFileSystem = {
      ...fsPromises,
      async open(target, flags, mode) {
        const handle = await fsPromises.open(target, flags, mode);
        return {
          async writeFile(data: string) {
            await handle.writeFile(data.slice(0, 3)); // half the data reaches the disk...
            throw errno("ENOSPC"); // ...then the disk is full
          },
          sync: () => handle.sync(),
          close: () => handle.close(),
        };
      },
    };
    await assert.rejects(writeFileAtomic(file, "new contents", { fileSystem: fullDisk }), { code: "ENOSPC" });
    assert.equal(fs.readFileSync(file, "utf8"), "old contents");
    assert.deepEqual(fs.readdirSync(dir), ["users.json"]);
  });

  it("removes the temporary file when fsync or rename fails", async () => {
    const file = path.join(dir, "users.json");
    fs.writeFileSync(file, "old contents");
    const failures: Array<[string, AtomicWriteFileSystem]> = [
      ["rename", { ...fsPromises, rename: async () => { throw errno("EROFS"); } }],
      [
        "sync",
        {
          ...fsPromises,
          async open(target, flags, mode) {
            const handle = await fsPromises.open(target, flags, mode);
            return { writeFile: (d: string) => handle.writeFile(d), sync: async () => { throw errno("EIO"); }, close: () => handle.close() };
          },
        },
      ],
    ];
    for (const [label, fileSystem] of failures) {
      await assert.rejects(writeFileAtomic(file, "new", { fileSystem }), label);
      assert.equal(fs.readFileSync(file, "utf8"), "old contents", label);
      assert.deepEqual(fs.readdirSync(dir), ["users.json"], label);
    }
  });

  it("fails without writing anything when the directory is gone (its path is now a regular file)", async () => {
    const blocked = path.join(dir, "data");
    fs.writeFileSync(blocked, "");
    await assert.rejects(writeFileAtomic(path.join(blocked, "users.json"), "x"), { code: "ENOTDIR" });
  });

  it("creates the temporary file exclusively (wx), so a planted symlink is never followed", async () => {
    const opened: Array<[string, string, number]> = [];
    const spy: AtomicWriteFileSystem = {
      ...fsPromises,
      open: (target, flags, mode) => {
        opened.push([path.basename(target), flags, mode]);
        return fsPromises.open(target, flags, mode);
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
      ...fsPromises,
      rename: async () => {
        throw errno("EIO");
      },
      unlink: async () => {},
    };
    await assert.rejects(writeFileAtomic(file, "data", { fileSystem: crashing }), { code: "EIO" });
    const [leftover] = fs.readdirSync(dir);
    assert.equal(isTemporaryFileOf(file, leftover!), true);
    for (const other of ["users.json", "users.json.bak", "users.json.xyz.tmp", "other.json.0123456789abcdef.tmp", "users.json.0123456789ABCDEF.tmp"]) {
      assert.equal(isTemporaryFileOf(file, other), false, other);
    }
  });
});
