import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync,
  writeFileSync,
} from "node:fs";
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { loadOrCreateSecret, resolveSecrets } from "../../src/config/secret-file.ts";

const strongA = "q3L8vZ0xN2pR5tW7yB1dF4hJ6kM9sU0cG5jT8wQ2eY7";
const strongB = "Zk2Xc9Vb7Nm5Lq3Wp1Er8Ty6Ui4Oa0SdH3fK6gP9rX1";
const isWindows = process.platform === "win32";
const regenerate = "otherwise delete it to have a new one generated (this signs everyone out)";

/** The ID of a process that has ended: a server that crashed. */
function endedProcessId(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  return new Promise((resolve) => child.on("exit", () => resolve(child.pid!)));
}

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

  it("creates the data folder for the owner only (0700)", { skip: isWindows }, () => {
    const dataDir = path.join(dir, "data");
    loadOrCreateSecret(dataDir, "session-secret", log);
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
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

  it("warns when other users can read the file, on the console when no log is given", { skip: isWindows }, (t) => {
    const file = path.join(dir, "session-secret");
    const warning = `Warning: ${file} can be read by other users of this machine; run: chmod 600 "${file}"`;
    writeFileSync(file, strongA);
    for (const mode of [0o644, 0o640, 0o604]) {
      chmodSync(file, mode);
      logs.length = 0;
      assert.equal(loadOrCreateSecret(dir, "session-secret", log), strongA);
      assert.deepEqual(logs, [warning]);
    }
    const warn = t.mock.method(console, "warn", () => {});
    assert.deepEqual(resolveSecrets(undefined, dir, "session-secret"), [strongA]);
    assert.deepEqual(warn.mock.calls.map((call) => call.arguments), [[warning]]);
  });

  it("refuses a file that other users may change: a secret written there would let them forge sessions", { skip: isWindows }, () => {
    const file = path.join(dir, "session-secret");
    writeFileSync(file, strongA);
    for (const mode of [0o666, 0o620, 0o602, 0o660]) {
      chmodSync(file, mode);
      const octal = mode.toString(8).padStart(4, "0");
      assert.throws(() => resolveSecrets(undefined, dir, "session-secret", log), {
        name: "TypeError",
        message: `secret file "${file}" is unsafe: other users of this machine may change it (mode ${octal}), and a ` +
          `secret they write there lets them forge sessions; if nobody else could have written it, run: chmod 600 ` +
          `"${file}"; ${regenerate}`,
      });
      assert.equal(readFileSync(file, "utf8"), strongA, "the file is left as it was");
    }
    assert.deepEqual(logs, []);
  });

  // Only root may give a file away; as another user, any file it can create is its own.
  const notRoot = isWindows || process.geteuid?.() !== 0 ? "needs root to chown a file to another user" : false;
  it("refuses a file that belongs to another user, who could write a known secret into it", { skip: notRoot }, () => {
    const file = path.join(dir, "session-secret");
    writeFileSync(file, strongA, { mode: 0o600 });
    chownSync(file, 12345, 12345);
    assert.throws(() => loadOrCreateSecret(dir, "session-secret", log), {
      name: "TypeError",
      message: `secret file "${file}" is unsafe: it belongs to user 12345, not to user 0 who runs this server, and a ` +
        `secret its owner writes there lets them forge sessions; run the server as its owner, or if you trust its ` +
        `content, run: chown 0 "${file}"; ${regenerate}`,
    });
  });

  it("refuses a folder at the file's path, saying what to do instead of showing a stack trace", () => {
    const file = path.join(dir, "session-secret");
    mkdirSync(file);
    assert.throws(() => loadOrCreateSecret(dir, "session-secret", log), {
      name: "TypeError",
      message: `secret file "${file}" is a folder, not a file: remove it to have a secret generated there, or set ` +
        "DATA_DIR to another folder",
    });
  });

  it("refuses a FIFO at the file's path at once, without waiting for a writer", { skip: isWindows }, () => {
    const file = path.join(dir, "session-secret");
    execFileSync("mkfifo", [file]);
    assert.throws(() => loadOrCreateSecret(dir, "session-secret", log), {
      name: "TypeError",
      message: `secret file "${file}" is not a regular file: remove it, or set DATA_DIR to another folder`,
    });
  });

  it("refuses a symbolic link, also a dangling one, and creates nothing where it points", { skip: isWindows }, () => {
    const file = path.join(dir, "session-secret");
    const message = `secret file "${file}" cannot be read (ELOOP): it is a symbolic link, and a secret is read only ` +
      "from a regular file (a link can be pointed elsewhere): replace the link with the file itself, or remove it to " +
      "have a new secret generated";
    symlinkSync(path.join(dir, "nowhere"), file);
    assert.throws(() => loadOrCreateSecret(dir, "session-secret", log), { name: "TypeError", message });
    assert.deepEqual(readdirSync(dir), ["session-secret"], "nothing was created at the link's target");
    rmSync(file);
    writeFileSync(path.join(dir, "real-secret"), strongA, { mode: 0o600 });
    symlinkSync(path.join(dir, "real-secret"), file);
    assert.throws(() => loadOrCreateSecret(dir, "session-secret", log), { name: "TypeError", message });
  });

  it("refuses a file holding two secrets on two lines, pointing to the setting's \"new,old\" list", () => {
    const file = path.join(dir, "session-secret");
    writeFileSync(file, `${strongB}\n${strongA}\n`, { mode: 0o600 });
    assert.throws(() => loadOrCreateSecret(dir, "session-secret", log), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.ok(error.message.startsWith(`secret "${file}" is invalid: must not contain control characters such as ` +
        'a line break or a tab: it is one secret; to rotate, list the secrets in the setting as "new,old"'), error.message);
      assert.ok(!error.message.includes(strongA) && !error.message.includes(strongB));
      return true;
    });
  });

  describe("temporary files a crash left (each holds a valid secret)", () => {
    const leftover = (pid: number, hex = "0badc0de") => `session-secret.${pid}.${hex}.tmp`;

    it("removes those of a process that has ended, and those carrying this process's ID (a restarted container), and nothing else", async () => {
      const ended = await endedProcessId();
      const others = [
        "session-secret.bak", "session-secret.1.0badc0de.tmp.swp", "session-secret.1.0BADC0DE.tmp",
        "session-secret.1.0badc0.tmp", "encryption-key.1.0badc0de.tmp", "xsession-secret.1.0badc0de.tmp",
      ];
      for (const name of others) writeFileSync(path.join(dir, name), "keep me");
      for (const name of [leftover(ended), leftover(process.pid, "12ab34cd")]) writeFileSync(path.join(dir, name), strongA);
      loadOrCreateSecret(dir, "session-secret", log); // first run: also creates the secret
      assert.deepEqual(readdirSync(dir).sort(), [...others, "session-secret"].sort());
      writeFileSync(path.join(dir, leftover(ended)), strongB);
      loadOrCreateSecret(dir, "session-secret", log); // a later start: the secret exists
      assert.deepEqual(readdirSync(dir).sort(), [...others, "session-secret"].sort());
    });

    it("starts anyway when another server, with the same process ID in another container, removes its temporary file mid-write", (t) => {
      // That server takes the file for a crash's leftover (same ID: see the test above). The write is
      // tried again instead of failing the start with ENOENT from link().
      const realLink = fs.linkSync;
      let removed = 0;
      t.mock.method(fs, "linkSync", (from: string, to: string) => {
        if (removed++ === 0) rmSync(from); // the other server's removeLeftovers(), just before our link
        return realLink(from, to);
      });
      syncBuiltinESMExports(); // `import { linkSync } from "node:fs"` in the module sees the mock
      t.after(() => {
        t.mock.restoreAll();
        syncBuiltinESMExports();
      });
      const secret = loadOrCreateSecret(dir, "session-secret", log);
      assert.equal(removed, 2);
      assert.equal(readFileSync(path.join(dir, "session-secret"), "utf8"), `${secret}\n`);
      assert.deepEqual(readdirSync(dir), ["session-secret"]);
    });

    it("uses the secret of another server that created the file at the same moment, instead of failing the start", (t) => {
      // Both found no file; the other one's link() came first, so ours fails with EEXIST.
      const file = path.join(dir, "session-secret");
      const realLink = fs.linkSync;
      t.mock.method(fs, "linkSync", (from: string, to: string) => {
        writeFileSync(to, `${strongA}\n`, { mode: 0o600 });
        return realLink(from, to);
      });
      syncBuiltinESMExports();
      t.after(() => {
        t.mock.restoreAll();
        syncBuiltinESMExports();
      });
      assert.equal(loadOrCreateSecret(dir, "session-secret", log), strongA);
      assert.equal(readFileSync(file, "utf8"), `${strongA}\n`);
      assert.deepEqual(readdirSync(dir), ["session-secret"]);
      assert.deepEqual(logs, [], "this server generated nothing");
    });

    it("warns, naming the file, when a leftover cannot be removed", async () => {
      const leftoverPath = path.join(dir, leftover(await endedProcessId()));
      mkdirSync(leftoverPath); // unlink() fails on a folder
      loadOrCreateSecret(dir, "session-secret", log);
      const warnings = logs.filter((line) => line.startsWith("Warning:"));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /^Warning: could not remove .* \((EISDIR|EPERM)\), a leftover that holds a secret; delete it$/);
      assert.ok(warnings[0]!.includes(leftoverPath));
    });

    it("removes an old one even if its process ID is now a live process's, but keeps a live process's fresh one", () => {
      const live = process.ppid; // the test runner: alive, and not this process
      const fresh = path.join(dir, leftover(live, "aaaaaaaa"));
      const old = path.join(dir, leftover(live, "bbbbbbbb"));
      writeFileSync(fresh, strongA);
      writeFileSync(old, strongB);
      const twoMinutesAgo = new Date(Date.now() - 120_000);
      utimesSync(old, twoMinutesAgo, twoMinutesAgo);
      loadOrCreateSecret(dir, "session-secret", log);
      assert.deepEqual(readdirSync(dir).sort(), ["session-secret", leftover(live, "aaaaaaaa")],
        "a write in progress in another server starting at the same moment is left alone");
    });
  });

  it("refuses an empty or weak file instead of silently replacing it (which would sign everyone out)", () => {
    const file = path.join(dir, "session-secret");
    for (const content of ["", "\n", "short", "a".repeat(64)]) {
      writeFileSync(file, content, { mode: 0o600 });
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
