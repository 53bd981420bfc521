// A session store with one file per session in a directory: survives restarts. One process per folder:
// the manager's per-session lock is per process, so two processes could undo each other's logouts and
// updates (each file stays whole, but the last writer wins). Each file is named HMAC(nameKey, store
// key) in hex, so neither the session ID nor the store key ever appears on disk, and whatever a cookie
// holds is never used as a path (R04). Writes are atomic (temp file, fsync, rename; R13): a crash or
// two writers at once leave the old version or the new one, never a torn file. With a sealer, files
// are AES-256-GCM sealed with the file name as associated data, so swapping two files makes both
// unreadable (R12). Bad input: a corrupt, truncated, tampered or foreign file is "no session" (logged
// once, removed); a failed read, write or delete (EACCES, ENOSPC, EROFS, ...) is HttpError 503 and
// leaves the previous file intact. No cap on the number of files: each session that stores something
// costs one (~0.3 KiB) until it expires; put a rate limit in front of a public site.
import { createHmac } from "node:crypto";
import * as fsPromises from "node:fs/promises";
import { join } from "node:path";
import { deriveKey } from "../crypto/keys.ts";
import { assertStrongSecret } from "../crypto/secret-strength.ts";
import type { Sealer } from "../crypto/seal.ts";
import { isTemporaryFileOf, writeFileAtomic } from "../files/atomic-write.ts";
import { nodeFileDescriptors, type FileDescriptorOps } from "../files/file-descriptors.ts";
import { readWholeFile } from "../files/read-whole-file.ts";
import { HttpError } from "../http/http-error.ts";
import { parseSessionFile, serializeSessionFile } from "./session-file.ts";
import type { SessionRecord, SessionStore } from "./store.ts";

/** The file operations FileStore uses; tests inject failing ones (a full disk, a read-only folder). */
export type FileStoreFileSystem = FileDescriptorOps & Pick<typeof fsPromises, "readdir" | "stat" | "mkdir">;

// Descriptors for the per-request reads and writes (cheaper: file-descriptors.ts); promises for the rest.
const nodeFileSystem: FileStoreFileSystem = {
  ...nodeFileDescriptors,
  readdir: fsPromises.readdir,
  stat: fsPromises.stat,
  mkdir: fsPromises.mkdir,
};

/** The timer functions used for periodic reaping; tests inject fakes to run a reap by hand. */
export interface ReapTimers {
  setInterval(callback: () => void, ms: number): { unref(): unknown };
  clearInterval(timer: { unref(): unknown }): void;
}

export interface FileStoreOptions {
  /** The folder for session files; created (mode 0700) on the first write if missing. */
  dir: string;
  /** A random secret (≥ 32 bytes) keying the file names. Keep it stable: changing it orphans every file. */
  nameKey: string;
  /** Encrypts files at rest (src/crypto/seal.ts). Without it files are plain JSON. */
  sealer?: Sealer;
  now?: () => number;
  /** How often expired files and stray temp files are removed; 0 turns the timer off. Default 10 min. */
  reapIntervalMs?: number;
  log?: (message: string) => void;
  fileSystem?: FileStoreFileSystem;
  timers?: ReapTimers;
}

const fileExtension = ".session";
const sessionFileNameRegExp = /^[0-9a-f]{64}\.session$/; // hex HMAC-SHA256 + extension
const defaultReapIntervalMs = 10 * 60_000; // expired files cost disk only; no need to hurry
// A write still under way after this long belongs to a crashed process: its temp file can go. The
// timer's reap also leaves expired files this long: a request that loaded a session just before it
// expired may still be writing its renewal, and removing by name after reading the old version would
// delete the new one.
const inFlightWriteMs = 5 * 60_000;
const maxRememberedCorruptFiles = 1000; // bounds the "already logged" set
const unavailableMessage = "Sessions cannot be saved right now. Please try again later.";

const defaultTimers: ReapTimers = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (timer) => clearInterval(timer as ReturnType<typeof setInterval>),
};

export class FileStore implements SessionStore {
  readonly #dir: string;
  readonly #nameKey: Buffer;
  readonly #sealer: Sealer | undefined;
  readonly #now: () => number;
  readonly #log: (message: string) => void;
  readonly #fs: FileStoreFileSystem;
  readonly #timers: ReapTimers;
  readonly #timer: { unref(): unknown } | undefined;
  readonly #reportedCorrupt = new Set<string>();
  #reaping: Promise<number> | undefined;
  #lastFailureCode: string | undefined;

  constructor(options: FileStoreOptions) {
    const { dir, nameKey, sealer, now = Date.now, reapIntervalMs = defaultReapIntervalMs } = options;
    if (typeof dir !== "string" || dir === "") {
      throw new TypeError(`FileStore "dir" is invalid: must be a folder path`);
    }
    assertStrongSecret(nameKey, "FileStore nameKey");
    if (!Number.isSafeInteger(reapIntervalMs) || reapIntervalMs < 0) {
      throw new TypeError(`FileStore "reapIntervalMs" is invalid: must be a whole number of milliseconds (0: off)`);
    }
    this.#dir = dir;
    this.#nameKey = deriveKey(nameKey, "session-file-names"); // never the raw secret: domain separation
    this.#sealer = sealer;
    this.#now = now;
    this.#log = options.log ?? ((message) => console.warn(message));
    this.#fs = options.fileSystem ?? nodeFileSystem;
    this.#timers = options.timers ?? defaultTimers;
    if (reapIntervalMs > 0) {
      // unref(): a pending reap never keeps the process alive; close() stops it.
      this.#timer = this.#timers.setInterval(() => void this.reap(), reapIntervalMs);
      this.#timer.unref();
    }
  }

  async get(key: string): Promise<SessionRecord | null> {
    const name = this.#fileName(key);
    const record = await this.#read(name);
    if (record === null) return null;
    if (this.#now() >= record.expiresAtMs) {
      // Reaped on read, at once: the session manager reads (withSession and peek) under the session's
      // lock, so no request of this session can be writing a renewal meanwhile (the timer's reap has no
      // lock: it waits).
      await this.#fs.unlink(this.#path(name)).catch(() => {});
      return null;
    }
    return record;
  }

  async set(key: string, record: SessionRecord): Promise<void> {
    const name = this.#fileName(key);
    await this.#writeAtomically(name, serializeSessionFile(record, name, this.#sealer));
  }

  // The manager passes the whole record, so a touch is a rewrite: simple, and just as atomic.
  async touch(key: string, record: SessionRecord): Promise<void> {
    await this.set(key, record);
  }

  async destroy(key: string): Promise<void> {
    try {
      await this.#fs.unlink(this.#path(this.#fileName(key)));
    } catch (error) {
      if (errorCode(error) === "ENOENT") return;
      // A logout that can't delete must fail loudly, not leave the session alive and say "logged out".
      throw this.#unavailable("delete", error);
    }
  }

  async destroyByUser(userId: string): Promise<number> {
    let count = 0;
    for (const name of await this.#sessionFileNames()) {
      const record = await this.#read(name);
      if (record === null || record.userId !== userId) continue;
      await this.#unlinkOrThrow(name);
      count++;
    }
    return count;
  }

  /**
   * Removes session files expired for 5 minutes, unreadable ones and stale temp files. Returns how many
   * expired and temp files went; unreadable ones are removed (and logged) by the read itself, uncounted.
   */
  reap(): Promise<number> {
    // One reap at a time: a slow disk must not pile up overlapping scans.
    this.#reaping ??= this.#reapOnce().finally(() => {
      this.#reaping = undefined;
    });
    return this.#reaping;
  }

  async close(): Promise<void> {
    if (this.#timer !== undefined) this.#timers.clearInterval(this.#timer);
    await this.#reaping;
  }

  async #reapOnce(): Promise<number> {
    let entries: string[];
    try {
      entries = await this.#fs.readdir(this.#dir);
    } catch (error) {
      if (errorCode(error) !== "ENOENT") this.#log(`FileStore: cannot list ${this.#dir} to reap sessions (${errorCode(error)})`);
      return 0;
    }
    const nowMs = this.#now();
    let removed = 0;
    for (const entry of entries) {
      try {
        if (this.#isOwnTemporaryFile(entry)) {
          const { mtimeMs } = await this.#fs.stat(join(this.#dir, entry));
          if (nowMs - mtimeMs < inFlightWriteMs) continue; // maybe a write in flight
          await this.#fs.unlink(join(this.#dir, entry));
          removed++;
        } else if (sessionFileNameRegExp.test(entry)) {
          const name = entry.slice(0, -fileExtension.length);
          const record = await this.#read(name); // unreadable files are removed (and logged) by #read
          if (record === null || nowMs < record.expiresAtMs + inFlightWriteMs) continue;
          await this.#fs.unlink(this.#path(name));
          removed++;
        }
      } catch {
        // Vanished meanwhile (another process reaped it) or not removable now: the next round retries.
      }
    }
    return removed;
  }

  async #sessionFileNames(): Promise<string[]> {
    try {
      const entries = await this.#fs.readdir(this.#dir);
      return entries.filter((entry) => sessionFileNameRegExp.test(entry)).map((entry) => entry.slice(0, -fileExtension.length));
    } catch (error) {
      if (errorCode(error) === "ENOENT") return [];
      throw this.#unavailable("list", error);
    }
  }

  // The record in a file, or null when it's missing or unreadable (an unreadable one is logged once).
  async #read(name: string): Promise<SessionRecord | null> {
    let text: string;
    try {
      text = await readWholeFile(this.#path(name), this.#fs); // leaner than fs.readFile, on every request
    } catch (error) {
      if (errorCode(error) === "ENOENT") return null;
      throw this.#unavailable("read", error);
    }
    const record = parseSessionFile(text, name, this.#sealer);
    if (record === null) await this.#discardUnreadable(name);
    return record;
  }

  async #discardUnreadable(name: string): Promise<void> {
    if (!this.#reportedCorrupt.has(name)) {
      if (this.#reportedCorrupt.size >= maxRememberedCorruptFiles) this.#reportedCorrupt.clear();
      this.#reportedCorrupt.add(name);
      // No file name or content in the log: only that it happened (a name is harmless, but the
      // ArcGIS tutorial's store logged session IDs this way; we keep logs free of anything session-like).
      this.#log(`FileStore: ignored and removed an unreadable session file in ${this.#dir} ` +
        `(corrupt, truncated, tampered with, or sealed with a key not configured)`);
    }
    // The session is lost either way; removing the file keeps the next request from reading it again.
    await this.#fs.unlink(this.#path(name)).catch(() => {});
  }

  async #writeAtomically(name: string, text: string): Promise<void> {
    const options = { fileSystem: this.#fs }; // writeFileAtomic leaves temp files ending in ".tmp"
    try {
      try {
        await writeFileAtomic(this.#path(name), text, options);
      } catch (error) {
        if (errorCode(error) !== "ENOENT") throw error;
        await this.#fs.mkdir(this.#dir, { recursive: true, mode: 0o700 }); // first write: create the folder
        await writeFileAtomic(this.#path(name), text, options);
      }
      this.#lastFailureCode = undefined;
    } catch (error) {
      throw this.#unavailable("write", error);
    }
  }

  async #unlinkOrThrow(name: string): Promise<void> {
    try {
      await this.#fs.unlink(this.#path(name));
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw this.#unavailable("delete", error);
    }
  }

  #unavailable(action: string, error: unknown): HttpError {
    const code = errorCode(error);
    // Logged when the failure starts (or changes), not on every request while the disk stays full.
    if (code !== this.#lastFailureCode) {
      this.#lastFailureCode = code;
      this.#log(`FileStore: cannot ${action} session files in ${this.#dir} (${code}); answering 503`);
    }
    return new HttpError(503, unavailableMessage, { cause: error });
  }

  #fileName(key: string): string {
    return createHmac("sha256", this.#nameKey).update(key, "utf8").digest("hex");
  }

  #path(name: string): string {
    return join(this.#dir, name + fileExtension);
  }

  // A temporary file writeFileAtomic made for one of our session files. Only those are ours to remove:
  // another program's "*.tmp" in the same folder is left alone.
  #isOwnTemporaryFile(entry: string): boolean {
    const sessionFile = entry.split(".", 2).join("."); // "<64 hex>.session" of "<64 hex>.session.<16 hex>.tmp"
    return sessionFileNameRegExp.test(sessionFile) && isTemporaryFileOf(sessionFile, entry);
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "unknown error";
}
