// Replaces a file's contents all at once: write a temporary file next to it, fsync, rename over it.
// rename(2) within one directory is atomic (POSIX), so a crash, `kill -9` or full disk mid-write leaves
// either the old file or the new one, never a truncated mix; fsync first so the rename cannot reach the
// disk before the data does. The temporary file is created with O_EXCL ("wx"), so a planted symlink
// is not followed, and with the final mode (0600: only the server's user reads it).
// Pitfall prevented: `fs.writeFile(target)` truncates first, so a crash mid-write loses the file.
// On failure the temporary file is removed and the error is rethrown; the target is untouched.
import { randomBytes } from "node:crypto";
import path from "node:path";
import { nodeFileDescriptors, type FileDescriptorOps } from "./file-descriptors.ts";

/** The few file operations used, so tests can inject a full disk or a read-only directory. */
export type AtomicWriteFileSystem = Pick<FileDescriptorOps, "open" | "write" | "fsync" | "close" | "rename" | "unlink">;

export interface AtomicWriteOptions {
  mode?: number; // default 0o600
  fileSystem?: AtomicWriteFileSystem; // default node:fs (file-descriptors.ts)
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
  const fs = options.fileSystem ?? nodeFileDescriptors;
  // Same directory as the target (rename is only atomic within one file system); random, so two
  // processes sharing a directory never write the same temporary file.
  const temporary = `${file}.${randomBytes(8).toString("hex")}.tmp`;
  let fd: number | undefined;
  try {
    fd = await fs.open(temporary, "wx", options.mode ?? 0o600);
    await writeAll(fs, fd, Buffer.from(data, "utf8"));
    await fs.fsync(fd);
    const closing = fd;
    fd = undefined; // a failed close must not be retried on a descriptor number that may be reused
    await fs.close(closing);
    await fs.rename(temporary, file);
  } catch (error) {
    if (fd !== undefined) await fs.close(fd).catch(() => {});
    await fs.unlink(temporary).catch(() => {}); // may not exist (open failed): nothing to clean
    throw error;
  }
}

// write(2) may write less than asked (a disk filling up); the rest is written until done or an error.
async function writeAll(fs: AtomicWriteFileSystem, fd: number, bytes: Buffer): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const count = await fs.write(fd, bytes, written, bytes.length - written, written); // at byte `written`
    // Never for a regular file, but a loop that cannot advance must end: fail like a disk error.
    if (count <= 0) throw Object.assign(new Error("write made no progress"), { code: "EIO" });
    written += count;
  }
}
