// Secrets that need no configuration: on first run, 32 random bytes (base64url) are written to a file
// in the data folder, readable by the owner only (mode 0600), and reused on every restart, so sessions
// survive restarts. A configured value (e.g. SESSION_SECRET, comma-separated for rotation: the first
// signs, every one verifies) wins. Pitfall prevented: a secret typed into the source code, where every
// copy of the code shares it (as in a popular express-session tutorial; OWASP Secrets Management CS).
// Bad input: a weak configured secret, or a secret file that is empty, weak, unreadable, or that
// someone else could have written (a symbolic link, another user's file, group/other-writable: they
// could forge sessions after the next restart), is a configuration error: a TypeError naming the
// setting or file and what to do, never the secret. A bad file is never silently replaced.
import { randomBytes } from "node:crypto";
import {
  closeSync, constants, fstatSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync,
  rmSync, type Stats, unlinkSync, writeSync,
} from "node:fs";
import path from "node:path";
import { assertStrongSecret } from "../crypto/secret-strength.ts";
import { randomToken } from "../crypto/random.ts";

/** At least one secret; the first one signs or seals, the others only verify or unseal. */
export type SecretList = readonly [string, ...string[]];

const generatedSecretBytes = 32; // 256 bits: a full HMAC-SHA256 / AES-256 key's worth
// A temporary file lives for one write, fsync and link; one older than this is a crash's leftover
// even if its process ID now belongs to a live process (IDs are reused).
const leftoverAgeMs = 60_000;
// Windows has no owners or group/other modes for stat() to report (every writable file is 0666).
const checksOwnership = process.platform !== "win32";
// Never follow a link at the file's own path; don't hang on a FIFO (both flags are 0 on Windows).
const openFlags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/** The secret stored in dataDir/fileName, created (mode 0600) if the file does not exist yet. */
export function loadOrCreateSecret(dataDir: string, fileName: string, log?: (message: string) => void): string {
  const file = path.join(dataDir, fileName);
  const warn = log ?? ((message: string) => console.warn(message));
  removeLeftovers(dataDir, fileName, warn);
  let stored = readIfExists(file);
  if (stored === null) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (createExclusively(file, randomToken(generatedSecretBytes) + "\n")) {
      log?.(`Generated a new random secret in ${file} (keep it private; sessions survive restarts)`);
    }
    stored = readIfExists(file);
  }
  const secret = (stored?.text ?? "").trim();
  try {
    assertStrongSecret(secret, file);
  } catch (error) {
    const hint = "or delete the file to have a new one generated (this signs everyone out)";
    throw new TypeError(`${(error as Error).message}; ${hint}`);
  }
  if (checksOwnership && stored !== null && (stored.mode & 0o044) !== 0) {
    warn(`Warning: ${file} can be read by other users of this machine; run: chmod 600 "${file}"`);
  }
  return secret;
}

/**
 * The configured list when `configured` is set ("new,old": rotation), else the secret file's one
 * secret. `settingName` only names the setting in error messages.
 */
export function resolveSecrets(
  configured: string | undefined,
  dataDir: string,
  fileName: string,
  log?: (message: string) => void,
  settingName = "SESSION_SECRET",
): SecretList {
  if (configured === undefined || configured.trim() === "") return [loadOrCreateSecret(dataDir, fileName, log)];
  const secrets = configured.split(",").map((secret) => secret.trim());
  secrets.forEach((secret, index) => assertStrongSecret(secret, secrets.length === 1 ? settingName : `${settingName}[${index}]`));
  return secrets as unknown as SecretList;
}

// The file's text and mode, null if there is none; a TypeError saying what to do if it can't be read
// or could have been written by someone else. Checks the opened file itself (fstat), so the path
// can't be swapped between the check and the read.
function readIfExists(file: string): { text: string; mode: number } | null {
  let fd: number;
  try {
    fd = openSync(file, openFlags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    throw unreadable(file, code, error);
  }
  try {
    const stats = fstatSync(fd);
    assertTrustworthy(file, stats);
    return { text: readFileSync(fd, "utf8"), mode: stats.mode };
  } catch (error) {
    if (error instanceof TypeError) throw error;
    throw unreadable(file, (error as NodeJS.ErrnoException).code, error);
  } finally {
    closeSync(fd);
  }
}

function assertTrustworthy(file: string, stats: Stats): void {
  if (stats.isDirectory()) {
    throw new TypeError(`secret file "${file}" is a folder, not a file: remove it to have a secret generated there, ` +
      "or set DATA_DIR to another folder");
  }
  if (!stats.isFile()) throw new TypeError(`secret file "${file}" is not a regular file: remove it, or set DATA_DIR to another folder`);
  if (!checksOwnership) return;
  const unsafe = `secret file "${file}" is unsafe:`;
  const regenerate = "otherwise delete it to have a new one generated (this signs everyone out)";
  if ((stats.mode & 0o022) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, "0");
    throw new TypeError(`${unsafe} other users of this machine may change it (mode ${mode}), and a secret they ` +
      `write there lets them forge sessions; if nobody else could have written it, run: chmod 600 "${file}"; ${regenerate}`);
  }
  const euid = process.geteuid?.();
  if (euid !== undefined && stats.uid !== euid) {
    throw new TypeError(`${unsafe} it belongs to user ${stats.uid}, not to user ${euid} who runs this server, and a ` +
      `secret its owner writes there lets them forge sessions; run the server as its owner, or if you trust its ` +
      `content, run: chown ${euid} "${file}"; ${regenerate}`);
  }
}

function unreadable(file: string, code: string | undefined, cause: unknown): TypeError {
  const problem = `secret file "${file}" cannot be read (${code ?? "unknown error"})`;
  let advice = "fix the file, or set DATA_DIR to another folder";
  if (code === "EACCES" || code === "EPERM") {
    const euid = process.geteuid?.();
    const user = euid === undefined ? "the user that runs the server" : `user ${euid} (e.g. sudo chown ${euid} "${file}")`;
    advice = `this user may not read it (was it created with sudo?): run the server as the file's owner, or give ` +
      `the file to ${user}`;
  } else if (code === "ELOOP") {
    advice = "it is a symbolic link, and a secret is read only from a regular file (a link can be pointed " +
      "elsewhere): replace the link with the file itself, or remove it to have a new secret generated";
  } else if (code === "ENOTDIR") {
    advice = "part of its path is a file, not a folder: check DATA_DIR";
  }
  return new TypeError(`${problem}: ${advice}`, { cause });
}

// Written to a temporary file, flushed, then hard-linked into place: link() never replaces an existing
// file, so two servers starting at once agree on one secret, and a crash never leaves half a secret.
// The temporary file can vanish before the link: a server starting at the same moment in another
// container, with the same process ID (1), took it for a crash's leftover (see isWriting). Then the
// whole write is tried again, a few times, instead of failing the start with ENOENT.
function createExclusively(file: string, content: string): boolean {
  for (let attempt = 1; ; attempt++) {
    try {
      return createOnce(file, content);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt === 3) throw error;
    }
  }
}

function createOnce(file: string, content: string): boolean {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`; // unique, not secret
  const fd = openSync(temporary, "wx", 0o600);
  try {
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false; // Another process won: use its secret.
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

// A crash between creating the temporary file and removing it leaves a valid secret behind under
// `<fileName>.<pid>.<8 hex>.tmp`: remove those, unless a live process may still be writing one.
function removeLeftovers(dataDir: string, fileName: string, warn: (message: string) => void): void {
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch {
    return; // No folder yet (or none we can list): nothing to clean.
  }
  for (const name of names) {
    const match = /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.startsWith(`${fileName}.`) ? name.slice(fileName.length + 1) : "");
    if (match === null) continue;
    const leftover = path.join(dataDir, name);
    try {
      if (isWriting(Number(match[1]), lstatSync(leftover).mtimeMs)) continue;
      unlinkSync(leftover);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") warn(`Warning: could not remove ${leftover} (${code}), a leftover that holds a secret; delete it`);
    }
  }
}

// This process writes synchronously, so it is never mid-write here: its ID on a file means a crashed
// predecessor had it too (in a container the server is often process 1 on every start).
function isWriting(pid: number, modifiedAtMs: number): boolean {
  if (pid === process.pid || Date.now() - modifiedAtMs > leftoverAgeMs) return false;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"; // exists, but belongs to another user
  }
}
