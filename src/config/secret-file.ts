// Secrets that need no configuration: on first run, 32 random bytes (base64url) are written to a file
// in the data folder, readable by the owner only (mode 0600), and reused on every restart, so sessions
// survive restarts. A configured value (e.g. SESSION_SECRET, comma-separated for rotation: the first
// signs, every one verifies) wins. Pitfall prevented: a secret typed into the source code, where every
// copy of the code shares it (as in a popular express-session tutorial; OWASP Secrets Management CS).
// Bad input: a weak configured secret, or a secret file that is empty or weak, is a configuration
// error: TypeError naming the setting or the file, never showing the secret. A bad file is never
// silently replaced: that would log everyone out.
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { assertStrongSecret } from "../crypto/secret-strength.ts";
import { randomToken } from "../crypto/random.ts";

/** At least one secret; the first one signs or seals, the others only verify or unseal. */
export type SecretList = readonly [string, ...string[]];

const generatedSecretBytes = 32; // 256 bits: a full HMAC-SHA256 / AES-256 key's worth

/** The secret stored in dataDir/fileName, created (mode 0600) if the file does not exist yet. */
export function loadOrCreateSecret(dataDir: string, fileName: string, log?: (message: string) => void): string {
  const file = path.join(dataDir, fileName);
  if (readIfExists(file) === null) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (createExclusively(file, randomToken(generatedSecretBytes) + "\n")) {
      log?.(`Generated a new random secret in ${file} (keep it private; sessions survive restarts)`);
    }
  }
  const secret = (readIfExists(file) ?? "").trim();
  try {
    assertStrongSecret(secret, file);
  } catch (error) {
    const hint = "or delete the file to have a new one generated (this signs everyone out)";
    throw new TypeError(`${(error as Error).message}; ${hint}`);
  }
  if ((statSync(file).mode & 0o077) !== 0) {
    log?.(`Warning: ${file} can be read by other users of this machine; run: chmod 600 "${file}"`);
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

function readIfExists(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

// Written to a temporary file, flushed, then hard-linked into place: link() never replaces an existing
// file, so two servers starting at once agree on one secret, and a crash never leaves half a secret.
function createExclusively(file: string, content: string): boolean {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`; // unique, not secret
  const fd = openSync(temporary, "wx", 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false; // Another process won: use its secret.
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}
