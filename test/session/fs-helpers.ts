// Test helpers for FileStore: temporary folders, a file system that records every path it is given,
// and one that fails on demand the way a full or read-only disk does (tests run as root, where
// chmod 0o500 denies nothing, so failures are injected instead).
import fs from "node:fs";
import * as fsPromises from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { FileStoreFileSystem } from "../../src/session/file-store.ts";

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
}

export function removeDir(dir: string): Promise<void> {
  return fsPromises.rm(dir, { recursive: true, force: true });
}

export const realFs: FileStoreFileSystem = {
  open: fsPromises.open,
  rename: fsPromises.rename,
  unlink: fsPromises.unlink,
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
  const record = <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A): R => {
    for (const arg of args) if (typeof arg === "string" && arg.includes(path.sep)) paths.push(arg);
    return fn(...args);
  };
  const fileSystem = {
    open: record(fsPromises.open),
    rename: record(fsPromises.rename),
    unlink: record(fsPromises.unlink),
    readdir: record(fsPromises.readdir),
    stat: record(fsPromises.stat),
    mkdir: record(fsPromises.mkdir),
  } as FileStoreFileSystem;
  return { fileSystem, paths };
}

/**
 * The real file system until fail() is called; then the named operation throws `code`.
 * "open" fails opening a file for writing (a read-only or full folder still lets files be read);
 * "read" fails reading an opened file (EIO); "write" writes the first half of the data and then
 * fails: a truncated write, as on a full disk.
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
      return fsPromises.unlink(target);
    },
    rename: async (from, to) => {
      failIf("rename");
      return fsPromises.rename(from, to);
    },
    open: async (target, flags, mode) => {
      if (flags !== "r") failIf("open");
      const handle = await fsPromises.open(target, flags, mode);
      return new Proxy(handle, {
        get(real, property) {
          if (property === "writeFile" && failing?.operation === "write") {
            return async (data: string) => {
              await real.writeFile(data.slice(0, Math.floor(data.length / 2)));
              throw systemError(failing!.code);
            };
          }
          if (property === "read" && failing?.operation === "read") {
            return async () => {
              throw systemError(failing!.code);
            };
          }
          if (property === "sync" && failing?.operation === "sync") {
            return async () => {
              throw systemError(failing!.code);
            };
          }
          const value = Reflect.get(real, property) as unknown;
          return typeof value === "function" ? value.bind(real) : value;
        },
      });
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
