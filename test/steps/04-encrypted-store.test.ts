// Step 04 over real HTTP: the FileStore with sealed (AES-256-GCM) files. The shared suite covers what
// step 03 does too; here, what encryption at rest adds.
import assert from "node:assert/strict";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { describeFileSessionStep, sessionFiles, viewsOf } from "../helpers/file-session-step-suite.ts";
import { type StartedStep, startStep } from "../helpers/start-step.ts";

describeFileSessionStep("04");

// v1.<key id>.<96-bit IV>.<ciphertext>.<128-bit tag>, base64url parts (src/crypto/seal.ts).
const sealedFileRegExp = /^v1\.([A-Za-z0-9_-]{8})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{22})$/;
const keyA = "q3L8vZ0xN2pR5tW7yB1dF4hJ6kM9sU0cG5jT8wQ2eY7";
const keyB = "Zk2Xc9Vb7Nm5Lq3Wp1Er8Ty6Ui4Oa0SdH3fK6gP9rX1";

describe("step 04: sealed session files", () => {
  let app: StartedStep;
  beforeEach(async () => (app = await startStep("04")));
  afterEach(() => app.close());

  const readOnlyFile = (target: StartedStep = app) => {
    const files = sessionFiles(target);
    assert.equal(files.length, 1);
    const path = join(target.dataDir, "sessions", files[0]!);
    return { path, content: readFileSync(path, "utf8") };
  };

  it("R12: stores each session sealed: no JSON, no count, no ID, only v1.<key>.<iv>.<ciphertext>.<tag>", async () => {
    await viewsOf(app);
    const { content } = readOnlyFile();
    assert.match(content, sealedFileRegExp);
    assert.ok(!content.includes('"views"') && !content.includes("{")); // quoted: base64url never has a quote
  });

  it("R12: seals every write with a fresh IV", async () => {
    const ivs = new Set<string>();
    for (let index = 0; index < 5; index++) {
      await viewsOf(app);
      ivs.add(sealedFileRegExp.exec(readOnlyFile().content)?.[2] ?? "");
    }
    assert.equal(ivs.size, 5);
  });

  it("R12: a session file altered anywhere is no session: Views: 1 and a 200, never a 500", async () => {
    for (const position of [0, 3, 5, 12, 20, 30, 40, -10, -1]) {
      const browser = app.newBrowser();
      assert.equal(await viewsOf(browser), "Views: 1");
      assert.equal(await viewsOf(browser), "Views: 2");
      const { path, content } = readOnlyFile();
      const at = position < 0 ? content.length + position : position;
      const flipped = content[at] === "A" ? "B" : "A";
      writeFileSync(path, content.slice(0, at) + flipped + content.slice(at + 1));
      assert.equal(await viewsOf(browser), "Views: 1", `character ${position} altered`);
      rmSync(join(app.dataDir, "sessions"), { recursive: true }); // one file at a time
    }
  });

  it("binds each file to its name: swapping two sessions' files makes both unreadable", async () => {
    const first = app.newBrowser();
    const second = app.newBrowser();
    await viewsOf(first);
    await viewsOf(first);
    await viewsOf(second);
    const [nameA, nameB] = sessionFiles(app).map((name) => join(app.dataDir, "sessions", name));
    const contentA = readFileSync(nameA!, "utf8");
    writeFileSync(nameA!, readFileSync(nameB!, "utf8"));
    writeFileSync(nameB!, contentA);
    assert.equal(await viewsOf(first), "Views: 1");
    assert.equal(await viewsOf(second), "Views: 1");
  });

  it("R12: rotating ENCRYPTION_KEY to \"new,old\" keeps sessions and re-seals them with the new key", async () => {
    await app.restart({ env: { ENCRYPTION_KEY: keyA } });
    assert.equal(await viewsOf(app), "Views: 1");
    const oldKeyId = sealedFileRegExp.exec(readOnlyFile().content)?.[1];
    await app.restart({ env: { ENCRYPTION_KEY: `${keyB},${keyA}` } });
    assert.equal(await viewsOf(app), "Views: 2");
    const newKeyId = sealedFileRegExp.exec(readOnlyFile().content)?.[1];
    assert.notEqual(newKeyId, oldKeyId);
    await app.restart({ env: { ENCRYPTION_KEY: keyB } }); // the old key retired
    assert.equal(await viewsOf(app), "Views: 3");
  });

  it("treats files sealed with a key that is no longer configured as no session, and says so once", async () => {
    await app.restart({ env: { ENCRYPTION_KEY: keyA } });
    assert.equal(await viewsOf(app), "Views: 1");
    await app.restart({ env: { ENCRYPTION_KEY: keyB } });
    assert.equal(await viewsOf(app), "Views: 1");
    assert.equal(app.logs.filter((line) => line.startsWith("FileStore: ignored and removed an unreadable session file")).length, 1);
  });

  it("generates its encryption key on first run, next to the session secret, mode 0600", async () => {
    const file = join(app.dataDir, "encryption-key");
    assert.ok(app.logs.includes(`Generated a new random secret in ${file} (keep it private; sessions survive restarts)`));
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it("refuses to start with a weak ENCRYPTION_KEY, naming the setting", async () => {
    await assert.rejects(startStep("04", { env: { ENCRYPTION_KEY: "my encryption key" } }), {
      name: "TypeError",
      message: /^secret "ENCRYPTION_KEY" is invalid: must be at least 32 bytes, got 17/,
    });
  });

  it("answers a stale cookie (its file gone) with a new session at once, logging nothing about it", async () => {
    await viewsOf(app);
    const cookie = decodeURIComponent(app.jar.get("sid")!);
    rmSync(join(app.dataDir, "sessions"), { recursive: true });
    const logged = app.logs.length;
    assert.equal(await viewsOf(app), "Views: 1");
    assert.deepEqual(app.logs.slice(logged), []);
    assert.ok(app.logs.every((line) => !line.includes(cookie.slice(0, cookie.indexOf(".")))));
  });
});
