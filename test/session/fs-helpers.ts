// Test helpers for FileStore: temporary folders, a file system that records every path it is given,
// and one that fails on demand the way a full or read-only disk does (tests run as root, where
// chmod 0o500 denies nothing, so failures are injected instead).
import fs from "node:fs";
import * as fsPromises from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { nodeFileDescriptors } from "../../src/files/file-descriptors.ts";
import type { FileStoreFileSystem } from "../../src/session/file-store.ts";

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
}

export function removeDir(dir: string): Promise<void> {
  return fsPromises.rm(dir, { recursive: true, force: true });
}

export const realFs: FileStoreFileSystem = {
  ...nodeFileDescriptors,
  readdir: fsPromises.readdir,
  stat: fsPromises.stat,
  mkdir: fsPromises.mkdir,
};

/** An error shaped like Node's system errors ("ENOSPC", "EACCES", "EROFS"). */
export function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated failure`), { code });
}

/** The real file system, recording every path passed to it. */
export function recordingFs(): { fileSystem: FileStoreFileSystem; paths: string[] } {
  const paths: string[] = [];
  const fileSystem = Object.fromEntries(
    Object.entries(realFs).map(([name, fn]) => [
      name,
      (...args: unknown[]) => {
        for (const arg of args) if (typeof arg === "string" && arg.includes(path.sep)) paths.push(arg);
        return (fn as (...a: unknown[]) => unknown)(...args);
      },
    ]),
  ) as unknown as FileStoreFileSystem;
  return { fileSystem, paths };
}

/**
 * The real file system until fail() is called; then the named operation throws `code`.
 * "open" fails opening a file for writing (a read-only or full folder still lets files be read);
 * "read" fails reading an opened file (EIO); "write" writes the first half of the data and then
 * fails: a truncated write, as on a full disk; "sync" is fsync.
 */
export function faultyFs(): {
  fileSystem: FileStoreFileSystem;
  fail(operation: "open" | "read" | "write" | "sync" | "rename" | "unlink", code: string): void;
  heal(): void;
} {
  let failing: { operation: string; code: string } | null = null;
  const failIf = (operation: string) => {
    if (failing?.operation === operation) throw systemError(failing.code);
  };
  const fileSystem: FileStoreFileSystem = {
    ...realFs,
    unlink: async (target) => {
      failIf("unlink");
      return realFs.unlink(target);
    },
    rename: async (from, to) => {
      failIf("rename");
      return realFs.rename(from, to);
    },
    open: async (target, flags, mode) => {
      if (flags !== "r") failIf("open");
      return realFs.open(target, flags, mode);
    },
    read: async (fd, buffer, offset, length, position) => {
      failIf("read");
      return realFs.read(fd, buffer, offset, length, position);
    },
    write: async (fd, buffer, offset, length, position) => {
      if (failing?.operation === "write") {
        if (offset === 0 && length > 1) return realFs.write(fd, buffer, offset, Math.floor(length / 2), position);
        throw systemError(failing.code);
      }
      return realFs.write(fd, buffer, offset, length, position);
    },
    fsync: async (fd) => {
      failIf("sync");
      return realFs.fsync(fd);
    },
  };
  return {
    fileSystem,
    fail(operation, code) {
      failing = { operation, code };
    },
    heal() {
      failing = null;
    },
  };
}
