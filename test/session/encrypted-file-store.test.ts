import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { randomToken } from "../../src/crypto/random.ts";
import { createSealer } from "../../src/crypto/seal.ts";
import { FileStore } from "../../src/session/file-store.ts";
import { createClock, type TestClock } from "../helpers/clock.ts";
import { makeTempDir, removeDir } from "./fs-helpers.ts";
import { sampleRecord, storeContract } from "./store-contract.ts";

storeContract("FileStore with a sealer", (clock) => {
  const dir = makeTempDir();
  const sealer = createSealer([randomToken()], { purpose: "session-files" });
  const store = new FileStore({ dir, nameKey: randomToken(), sealer, now: clock.now, reapIntervalMs: 0 });
  return { store, cleanup: () => removeDir(dir) };
});

describe("FileStore with a sealer", () => {
  const nameKey = randomToken();
  const secret = randomToken();
  let dir: string;
  let clock: TestClock;
  let logs: string[];

  function makeStore(secrets: string[] = [secret]): FileStore {
    const sealer = createSealer(secrets, { purpose: "session-files" });
    return new FileStore({ dir, nameKey, sealer, now: clock.now, reapIntervalMs: 0, log: (m) => logs.push(m) });
  }
  const filePaths = () => fs.readdirSync(dir).sort().map((name) => path.join(dir, name));

  beforeEach(() => {
    dir = makeTempDir();
    clock = createClock();
    logs = [];
  });
  afterEach(() => removeDir(dir));

  it("R12: writes files that reveal nothing: no data, no user, no JSON, a versioned format naming the key", async () => {
    const store = makeStore();
    await store.set("k", sampleRecord(clock, { userId: "ada", data: { plan: "launch at dawn" } }));
    const [file] = filePaths();
    const content = fs.readFileSync(file!, "utf8");
    assert.match(content, /^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    // Quoted, as JSON would hold them: a bare "ada" turns up in ~236 random base64url characters once
    // in ~1,300 files, but base64url never contains a quote.
    for (const visible of ['"launch at dawn"', '"ada"', '"views"', "{", '"expiresAtMs"']) assert.ok(!content.includes(visible));
  });

  it("R12: seals each write with a fresh IV: the same record twice gives two different files", async () => {
    const store = makeStore();
    const record = sampleRecord(clock);
    await store.set("k", record);
    const first = fs.readFileSync(filePaths()[0]!, "utf8");
    await store.set("k", record);
    const second = fs.readFileSync(filePaths()[0]!, "utf8");
    assert.notEqual(first, second);
    assert.notEqual(first.split(".")[2], second.split(".")[2]);
  });

  it("R12: a flipped bit anywhere in the file means no session (logged), never an exception", async () => {
    const store = makeStore();
    const record = sampleRecord(clock);
    await store.set("k", record);
    const [file] = filePaths();
    const original = fs.readFileSync(file!);
    const positions = [0, 3, 5, 12, 20, 30, Math.floor(original.length / 2), original.length - 10, original.length - 1];
    for (const position of positions) {
      const tampered = Buffer.from(original);
      tampered[position]! ^= 0x01;
      fs.writeFileSync(file!, tampered);
      assert.equal(await store.get("k"), null, `bit flip at byte ${position}`);
      fs.writeFileSync(file!, original); // #get removed it; put the original back for the next position
      assert.deepEqual(await store.get("k"), record);
    }
    assert.equal(logs.length, 1); // one file, logged once however often it goes bad
  });

  it("binds each file to its name: swapping two sessions' files makes both unreadable", async () => {
    const store = makeStore();
    await store.set("alice", sampleRecord(clock, { userId: "alice" }));
    const [aliceFile] = filePaths();
    await store.set("mallory", sampleRecord(clock, { userId: "mallory" }));
    const malloryFile = filePaths().find((file) => file !== aliceFile)!;
    const alice = fs.readFileSync(aliceFile!);
    const mallory = fs.readFileSync(malloryFile);
    fs.writeFileSync(aliceFile!, mallory);
    fs.writeFileSync(malloryFile, alice);
    assert.equal(await store.get("mallory"), null); // Mallory can't become Alice by copying her file
    assert.equal(await store.get("alice"), null);
  });

  it("reads files sealed with an older secret while it is listed (rotation), and not once it is dropped", async () => {
    const old = makeStore([secret]);
    const record = sampleRecord(clock);
    await old.set("k", record);
    const newer = randomToken();
    assert.deepEqual(await makeStore([newer, secret]).get("k"), record);
    assert.equal(await makeStore([newer]).get("k"), null);
    assert.equal(logs.length, 1);
  });

  it("treats a plain JSON file where a sealed one belongs as no session", async () => {
    const plain = new FileStore({ dir, nameKey, now: clock.now, reapIntervalMs: 0 });
    await plain.set("k", sampleRecord(clock));
    assert.equal(await makeStore().get("k"), null);
  });
});
