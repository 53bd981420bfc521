// Demo users (src/demo/demo-users.ts): created only in an empty store, stored as scrypt hashes,
// announced loudly without their passwords, switched off by DEMO_USERS=off.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { fastScryptParamsForTests, verifyPassword } from "../../src/crypto/password.ts";
import { createDemoUsersIfEmpty, demoUsers, readDemoUsersSetting } from "../../src/demo/demo-users.ts";
import { UserStore } from "../../src/users/user-store.ts";

const scryptParams = fastScryptParamsForTests;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("createDemoUsersIfEmpty", () => {
  it("creates the tutorial's user1/password1 and user2/password2 in an empty store, hashed", async () => {
    const users = await UserStore.open(path.join(dir, "users.json"));
    const logs: string[] = [];
    assert.deepEqual(await createDemoUsersIfEmpty(users, { scryptParams, log: (line) => logs.push(line) }), ["user1", "user2"]);
    for (const { name, password } of demoUsers) {
      const user = await users.find(name);
      assert.match(user?.passwordHash ?? "", /^\$scrypt\$ln=10,r=8,p=1\$/);
      assert.equal(await verifyPassword(password, user!.passwordHash, scryptParams), true);
    }
    assert.ok(!fs.readFileSync(path.join(dir, "users.json"), "utf8").includes("password1"), "no plaintext on disk");
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /^\*\*\* DEMO USERS: the user store was empty, so "user1" and "user2" were created/);
    assert.match(logs[0]!, /DEMO_USERS=off/);
    assert.ok(!logs[0]!.includes("password1") && !logs[0]!.includes("password2"), "passwords never logged");
  });

  it("does nothing, silently, when the store already has a user", async () => {
    const users = await UserStore.open(path.join(dir, "users.json"));
    await users.create({ name: "alice" });
    const logs: string[] = [];
    assert.deepEqual(await createDemoUsersIfEmpty(users, { scryptParams, log: (line) => logs.push(line) }), []);
    assert.equal(await users.find("user1"), null);
    assert.deepEqual(logs, []);
  });

  it("creates them only once: a second call finds the store no longer empty", async () => {
    const users = await UserStore.open(path.join(dir, "users.json"));
    await createDemoUsersIfEmpty(users, { scryptParams });
    assert.deepEqual(await createDemoUsersIfEmpty(users, { scryptParams }), []);
    assert.equal(users.size, 2);
  });
});

describe("readDemoUsersSetting", () => {
  it("is on by default and for on, off for off, any case and spacing", () => {
    for (const value of [undefined, "", " ", "on", "ON", " On "]) assert.equal(readDemoUsersSetting(value), true, String(value));
    for (const value of ["off", "OFF", " Off "]) assert.equal(readDemoUsersSetting(value), false, value);
  });

  for (const value of ["0", "false", "no", "yes", "1", "of"]) {
    it(`refuses ${JSON.stringify(value)} with a TypeError`, () => {
      assert.throws(() => readDemoUsersSetting(value), {
        name: "TypeError",
        message: `DEMO_USERS is invalid: must be "on" (create demo users in an empty user store) or "off"`,
      });
    });
  }
});
