// Replaces a file's contents all at once: write a temporary file next to it, fsync, rename over it.
// rename(2) within one directory is atomic (POSIX), so a crash, `kill -9` or full disk mid-write leaves
// either the old file or the new one, never a truncated mix; fsync first so the rename cannot reach the
// disk before the data does. The temporary file is created with O_EXCL ("wx"), so a planted symlink
// is not followed, and with the final mode (0600: only the server's user reads it).
// Pitfall prevented: `fs.writeFile(target)` truncates first, so a crash mid-write loses the file.
// On failure the temporary file is removed and the error is rethrown; the target is untouched.
import { randomBytes } from "node:crypto";
import * as nodeFs from "node:fs/promises";
import path from "node:path";

/** The few file operations used, so tests can inject a full disk or a read-only directory. */
export interface AtomicWriteFileSystem {
  open(path: string, flags: string, mode: number): Promise<{
    writeFile(data: string, encoding: "utf8"): Promise<void>;
    sync(): Promise<void>;
    close(): Promise<void>;
  }>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export interface AtomicWriteOptions {
  mode?: number; // default 0o600
  fileSystem?: AtomicWriteFileSystem; // default node:fs/promises
}

/**
 * True when `entry` (a name in the file's folder) is one of writeFileAtomic's temporary files for
 * `file`: what a write interrupted by a crash leaves behind, for the file's owner to clean up.
 */
export function isTemporaryFileOf(file: string, entry: string): boolean {
  const prefix = `${path.basename(file)}.`;
  return entry.startsWith(prefix) && /^[0-9a-f]{16}\.tmp$/.test(entry.slice(prefix.length));
}

export async function writeFileAtomic(file: string, data: string, options: AtomicWriteOptions = {}): Promise<void> {
  const fs = options.fileSystem ?? nodeFs;
  // Same directory as the target (rename is only atomic within one file system); random, so two
  // processes sharing a directory never write the same temporary file.
  const temporary = `${file}.${randomBytes(8).toString("hex")}.tmp`;
  let handle: Awaited<ReturnType<AtomicWriteFileSystem["open"]>> | undefined;
  try {
    handle = await fs.open(temporary, "wx", options.mode ?? 0o600);
    await handle.writeFile(data, "utf8");
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temporary, file);
  } catch (error) {
    await handle?.close().catch(() => {});
    await fs.unlink(temporary).catch(() => {}); // may not exist (open failed): nothing to clean
    throw error;
  }
}
