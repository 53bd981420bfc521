import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { loadOrCreateSecret, resolveSecrets } from "../../src/config/secret-file.ts";

const strongA = "q3L8vZ0xN2pR5tW7yB1dF4hJ6kM9sU0cG5jT8wQ2eY7";
const strongB = "Zk2Xc9Vb7Nm5Lq3Wp1Er8Ty6Ui4Oa0SdH3fK6gP9rX1";

describe("loadOrCreateSecret", () => {
  let dir = "";
  const logs: string[] = [];
  const log = (message: string) => logs.push(message);
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
    logs.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("generates 32 random bytes (43 base64url characters) on first run, mode 0600, and says where", () => {
    const dataDir = path.join(dir, "data"); // does not exist yet: created
    const secret = loadOrCreateSecret(dataDir, "session-secret", log);
    const file = path.join(dataDir, "session-secret");
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(readFileSync(file, "utf8"), secret + "\n");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(logs, [`Generated a new random secret in ${file} (keep it private; sessions survive restarts)`]);
  });

  it("never writes the secret itself into the log", () => {
    const secret = loadOrCreateSecret(dir, "session-secret", log);
    assert.ok(logs.every((line) => !line.includes(secret)));
  });

  it("reuses the same secret on the next start, silently", () => {
    const first = loadOrCreateSecret(dir, "session-secret", log);
    logs.length = 0;
    assert.equal(loadOrCreateSecret(dir, "session-secret", log), first);
    assert.deepEqual(logs, []);
  });

  it("gives each file (each purpose) its own secret", () => {
    assert.notEqual(loadOrCreateSecret(dir, "session-secret"), loadOrCreateSecret(dir, "encryption-key"));
  });

  it("leaves no temporary files behind", () => {
    loadOrCreateSecret(dir, "session-secret");
    assert.deepEqual(readdirSync(dir), ["session-secret"]);
  });

  it("reads a secret someone put in the file (trailing newline ignored)", () => {
    writeFileSync(path.join(dir, "session-secret"), strongA + "\n", { mode: 0o600 });
    assert.equal(loadOrCreateSecret(dir, "session-secret", log), strongA);
    assert.deepEqual(logs, []);
  });

  it("warns when other users can read the file", () => {
    const file = path.join(dir, "session-secret");
    writeFileSync(file, strongA);
    chmodSync(file, 0o644);
    loadOrCreateSecret(dir, "session-secret", log);
    assert.deepEqual(logs, [`Warning: ${file} can be read by other users of this machine; run: chmod 600 "${file}"`]);
  });

  it("refuses an empty or weak file instead of silently replacing it (which would sign everyone out)", () => {
    const file = path.join(dir, "session-secret");
    for (const content of ["", "\n", "short", "a".repeat(64)]) {
      writeFileSync(file, content);
      assert.throws(() => loadOrCreateSecret(dir, "session-secret", log), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.ok(error.message.startsWith(`secret "${file}" is invalid: `), error.message);
        assert.ok(error.message.endsWith("; or delete the file to have a new one generated (this signs everyone out)"));
        return true;
      });
      assert.equal(readFileSync(file, "utf8"), content, "the file is left as it was");
    }
  });
});

describe("resolveSecrets", () => {
  let dir = "";
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "nsfs-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("uses the secret file when nothing is configured (unset or blank)", () => {
    const fromFile = resolveSecrets(undefined, dir, "session-secret");
    assert.equal(fromFile.length, 1);
    assert.deepEqual(resolveSecrets("  ", dir, "session-secret"), fromFile);
  });

  it("prefers a configured secret and then creates no file", () => {
    assert.deepEqual(resolveSecrets(strongA, dir, "session-secret"), [strongA]);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("splits a comma-separated list for rotation, keeping the order (the first one signs)", () => {
    assert.deepEqual(resolveSecrets(` ${strongB} , ${strongA} `, dir, "session-secret"), [strongB, strongA]);
  });

  it("rejects a weak configured secret, naming the setting but never showing the secret", () => {
    const cases: Array<[string, string]> = [
      ["keyboard cat", 'secret "SESSION_SECRET" is invalid: must be at least 32 bytes, got 12'],
      [`${strongA},`, 'secret "SESSION_SECRET[1]" is invalid: must be a non-empty string'],
      [`${strongA},tooShort`, 'secret "SESSION_SECRET[1]" is invalid: must be at least 32 bytes, got 8'],
      ["0123456789".repeat(4), 'secret "SESSION_SECRET" is invalid: holds at most 132 bits in 40 characters of decimal digits'],
      ["0123456789abcdef".repeat(4), 'secret "SESSION_SECRET" is invalid: repeats a shorter pattern'],
      ["keyboardcat-keyboardcat-keyboardcat-1234567", 'secret "SESSION_SECRET" is invalid: contains a well-known placeholder word'],
    ];
    for (const [configured, message] of cases) {
      assert.throws(() => resolveSecrets(configured, dir, "session-secret"), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.ok(error.message.startsWith(message), error.message);
        for (const secret of configured.split(",")) if (secret) assert.ok(!error.message.includes(secret));
        return true;
      });
    }
  });

  it("names another setting when told to", () => {
    assert.throws(() => resolveSecrets("short", dir, "encryption-key", undefined, "ENCRYPTION_KEY"), {
      name: "TypeError",
      message: /^secret "ENCRYPTION_KEY" is invalid: /,
    });
  });
});
