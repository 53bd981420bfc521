import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { addressThrottleKey, loginFailedMessage, verifyLogin, type LoginOptions } from "../../src/auth/login.ts";
import { LoginThrottle } from "../../src/auth/login-throttle.ts";
import { defaultHashSlots } from "../../src/crypto/hash-slots.ts";
import { fastScryptParamsForTests, hashPassword, passwordHashSlots } from "../../src/crypto/password.ts";
import { UserStore } from "../../src/users/user-store.ts";
import { createClock } from "../helpers/clock.ts";

const params = fastScryptParamsForTests;
const password = "correct horse battery staple";
const failed = { ok: false, status: 401, message: loginFailedMessage };

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function setup(scryptParams = params) {
  const clock = createClock();
  const users = await UserStore.open(path.join(dir, "users.json"));
  await users.create({ name: "Alice", passwordHash: await hashPassword(password, params) });
  await users.create({ name: "NoPassword" });
  const throttle = new LoginThrottle({ now: clock.now });
  const logged: string[] = [];
  const options: LoginOptions = { users, throttle, scryptParams, log: (message) => logged.push(message) };
  const login = (username: unknown, pw: unknown, clientAddress?: string) =>
    verifyLogin(options, { username, password: pw, clientAddress });
  return { clock, users, throttle, login, logged };
}

// Lets every pending promise callback run (a few microtask turns).
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("verifyLogin", () => {
  it("returns the user for the right password, whatever the name's case or normalization", async () => {
    const { login } = await setup();
    for (const name of ["Alice", "alice", " ALICE "]) {
      const result = await login(name, password);
      assert.equal(result.ok && result.user.name, "Alice", name);
    }
  });

  it("signs in an account whose name today's rules would refuse (registered under older, looser ones)", async () => {
    // "admin" + ZWJ was accepted before stray joiners were refused; the account must not be locked out.
    const oldName = "admin\u200D";
    const file = path.join(dir, "old-users.json");
    const record = { name: oldName, passwordHash: await hashPassword(password, params), views: 0, createdAtMs: 0 };
    fs.writeFileSync(file, JSON.stringify({ version: 1, users: [record] }));
    const users = await UserStore.open(file);
    const options: LoginOptions = { users, throttle: new LoginThrottle(), scryptParams: params };
    const result = await verifyLogin(options, { username: oldName, password, clientAddress: undefined });
    assert.equal(result.ok && result.user.name, oldName);
  });

  it("R15: answers the same 401 and message for a wrong password, an unknown name and no password", async () => {
    const { login } = await setup();
    assert.deepEqual(await login("Alice", "wrong password, long enough"), failed);
    assert.deepEqual(await login("mallory", password), failed);
    assert.deepEqual(await login("NoPassword", ""), failed);
    assert.deepEqual(await login("NoPassword", password), failed);
  });

  it("R15: treats missing, non-string and junk fields as a failed login, without throwing", async () => {
    const { login, throttle } = await setup();
    const cases: Array<[unknown, unknown]> = [
      [undefined, undefined],
      ["Alice", undefined],
      ["Alice", ["a", "b"]],
      [["Alice"], password],
      ["Al\u0000ice", password],
      ["x".repeat(16 * 1024), password],
      ["Alice", "p".repeat(2000)],
    ];
    for (const [username, pw] of cases) {
      assert.deepEqual(await login(username, pw, undefined), failed);
    }
    assert.equal(throttle.size, 1); // only "user:alice": junk names take no throttle memory
  });

  it("R15: spends a hash for an unknown name and for an over-long password, as for a wrong one", async () => {
    // The dummy hash runs with the app's parameters. Parameters Node refuses turn "spent a hash" into a
    // rejection we can see: no timing, no flakiness. A shortcut would answer 401 instead.
    const { login } = await setup({ ln: 16, r: 1, p: 1 });
    const refused = { code: "ERR_CRYPTO_INVALID_SCRYPT_PARAMS" };
    await assert.rejects(login("mallory", password), refused);
    await assert.rejects(login("Alice", "p".repeat(5000)), refused);
  });

  it("R15: spends a hash at the app's cost for a wrong password on an account hashed before the cost was raised", async () => {
    // Alice's hash (N=2^10, r=8: work 2^13) is 16× cheaper than the app's { ln: 16, r: 1, p: 2 } (2^17):
    // checking it alone would answer faster than an unknown name does. The missing work is spent in
    // hashes at the app's r, the first with ln=16, which Node refuses: the rejection shows it ran.
    const { login } = await setup({ ln: 16, r: 1, p: 2 });
    await assert.rejects(login("Alice", "wrong password, long enough"), { code: "ERR_CRYPTO_INVALID_SCRYPT_PARAMS" });
  });

  it("fails like a wrong password on a stored hash asking for too much memory or work, and logs it without the password", async () => {
    // A planted "ln=20,r=8,p=16" would hash for a minute in 1 GiB; 256 MiB is enough to be refused.
    const { login, users, logged } = await setup();
    const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "");
    const planted = `$scrypt$ln=18,r=8,p=1$${b64(Buffer.alloc(16, 1))}$${b64(Buffer.alloc(32, 2))}`;
    await users.update("Alice", { passwordHash: planted });
    assert.deepEqual(await login("Alice", password), failed);
    assert.deepEqual(logged, [
      'login: the stored password hash of user "Alice" is malformed or exceeds the scrypt cost bounds ' +
        "(src/crypto/password.ts); nobody can sign in as them until it is reset",
    ]);
    assert.deepEqual(await login("mallory", password), failed);
    assert.equal(logged.length, 1, "an unknown name is not logged");
  });

  it("R17: answers 429 after five failures for a name, even with the right password, until the lock ends", async () => {
    const { login, clock } = await setup();
    for (let i = 0; i < 5; i++) await login("alice", "wrong password, long enough", `198.51.100.${i}`);
    assert.deepEqual(await login("Alice", password, "203.0.113.9"), {
      ok: false,
      status: 429,
      message: "Too many failed sign-in attempts. Try again in 1 second.",
      retryAfterSeconds: 1,
    });
    clock.advance(1000);
    assert.equal((await login("Alice", password, "203.0.113.9")).ok, true);
  });

  it("R17: with a throttleKey, counts the check's failures there instead of under the name (a password change)", async () => {
    const { login, users, throttle } = await setup();
    const options: LoginOptions = { users, throttle, scryptParams: params };
    const confirm = (pw: string, throttleKey: string) =>
      verifyLogin(options, { username: "Alice", password: pw, clientAddress: undefined, throttleKey });
    for (let i = 0; i < 5; i++) await login("alice", "wrong password, long enough", `198.51.100.${i}`);
    assert.equal((await login("alice", password, "203.0.113.9")).ok, false, "the name is locked");
    assert.equal((await confirm(password, "password-change:one-session")).ok, true, "its owner's session is not");
    for (let i = 0; i < 5; i++) await confirm("wrong password, long enough", "password-change:other-session");
    assert.equal((await confirm(password, "password-change:other-session")).ok, false, "a session guessing is");
    assert.equal((await confirm(password, "password-change:one-session")).ok, true);
  });

  it("R17: concurrent guesses cannot outrun the lock: of 20 sent at once, 5 are checked and 15 get 429", async () => {
    // A "single-packet" attack: every guess arrives before the first one has finished hashing.
    const { login } = await setup();
    const byName = await Promise.all(Array.from({ length: 20 }, (_, i) => login("alice", `wrong guess number ${i}`, `198.51.100.${i}`)));
    assert.deepEqual(byName.map((result) => result.ok ? 200 : result.status).sort(), [...Array(5).fill(401), ...Array(15).fill(429)]);
    const byAddress = await Promise.all(Array.from({ length: 20 }, (_, i) => login(`user${i}`, password, "192.0.2.66")));
    assert.deepEqual(byAddress.map((result) => result.ok ? 200 : result.status).sort(), [...Array(5).fill(401), ...Array(15).fill(429)]);
  });

  it("R17: lets concurrent right-password logins of one account from one address all through, a few at a time", async () => {
    const { login, throttle } = await setup();
    const results = await Promise.all(Array.from({ length: 20 }, () => login("Alice", password, "192.0.2.66")));
    assert.deepEqual(results.map((result) => result.ok), Array(20).fill(true));
    assert.equal(throttle.size, 0); // nothing left behind for attempts that ended
  });

  it("R17: throttles an unknown name exactly like an existing one", async () => {
    const { login } = await setup();
    for (let i = 0; i < 5; i++) await login("mallory", password, `198.51.100.${i}`);
    const result = await login("mallory", password, "203.0.113.9");
    assert.equal(result.ok === false && result.status, 429);
  });

  it("R17: throttles a client address that guesses across many names, and only that address", async () => {
    const { login } = await setup();
    for (let i = 0; i < 5; i++) await login(`user${i}`, password, "192.0.2.66");
    const blocked = await login("Alice", password, "192.0.2.66");
    assert.equal(blocked.ok === false && blocked.status, 429);
    assert.equal((await login("Alice", password, "192.0.2.67")).ok, true);
  });

  it("R17: counts an IPv6 client by its /56, since one site can use any address in it", async () => {
    const { login } = await setup();
    // Five addresses of one customer's network: a fresh address per guess gains nothing.
    const network = ["2001:db8:a:1::1", "2001:DB8:A:1:0:0:0:2", "2001:db8:a:2::9", "2001:db8:a:ff:1:2:3:4", "2001:db8:a:10::%eth0"];
    for (const [i, address] of network.entries()) await login(`user${i}`, password, address);
    assert.equal((await login("Alice", password, "2001:db8:a:7f::1")).ok === false, true);
    assert.equal((await login("Alice", password, "2001:db8:a:100::1")).ok, true, "the next /56 is someone else");
  });

  it("addressThrottleKey: IPv4 as is (also IPv4-mapped or through NAT64), IPv6 by its /56, anything else unchanged", () => {
    const cases: Array<[string, string]> = [
      ["192.0.2.1", "192.0.2.1"],
      ["::ffff:192.0.2.1", "192.0.2.1"],
      ["::FFFF:c000:0201", "192.0.2.1"],
      ["0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1"],
      ["2001:db8:a:1::1", "2001:db8:a:0::/56"],
      ["2001:0DB8:000a:01ff:ffff:ffff:ffff:ffff", "2001:db8:a:100::/56"],
      ["2001:db8::", "2001:db8:0:0::/56"],
      ["::1", "0:0:0:0::/56"],
      ["::", "0:0:0:0::/56"],
      ["fe80::1%eth0", "fe80:0:0:0::/56"],
      ["::ffff:0:192.0.2.1", "0:0:0:0::/56"], // IPv4-translated (RFC 2765), not mapped: an IPv6 address
      ["64:ff9b::192.0.2.1", "192.0.2.1"], // through a NAT64 translator (RFC 6052 well-known prefix)
      ["64:ff9b::c633:6407", "198.51.100.7"],
      ["64:ff9b:1::192.0.2.1", "64:ff9b:1:0::/56"], // the local-use prefix (RFC 8215) places IPv4 elsewhere
      ["not an address", "not an address"],
      ["", ""],
    ];
    for (const [address, key] of cases) assert.equal(addressThrottleKey(address), key, address);
  });

  it("R17: keeps IPv4 clients apart, also as IPv4-mapped IPv6 addresses on a dual-stack server", async () => {
    const { login } = await setup();
    for (let i = 0; i < 5; i++) await login(`user${i}`, password, "::ffff:192.0.2.66");
    assert.equal((await login("Alice", password, "192.0.2.66")).ok, false, "one client, however written");
    assert.equal((await login("Alice", password, "::ffff:192.0.2.67")).ok, true, "another IPv4 client");
    assert.equal((await login("Alice", password, "::1")).ok, true);
  });

  it("R17: waits for the longer of the two locks", async () => {
    const { login, clock } = await setup();
    for (let i = 0; i < 5; i++) await login(`user${i}`, password, "192.0.2.66");
    clock.advance(1000);
    await login("user5", password, "192.0.2.66"); // the address's 6th failure: a 2 s lock
    for (let i = 0; i < 5; i++) await login("alice", "wrong password, long enough", `198.51.100.${i}`); // 1 s
    const result = await login("Alice", password, "192.0.2.66");
    assert.equal(result.ok === false && result.status === 429 && result.retryAfterSeconds, 2);
  });

  it("clears the name's failures on success but not the address's", async () => {
    const { login } = await setup();
    for (let i = 0; i < 4; i++) await login(`user${i}`, password, "192.0.2.66");
    for (let i = 0; i < 4; i++) await login("alice", "wrong password, long enough", "192.0.2.50");
    assert.equal((await login("Alice", password, "192.0.2.66")).ok, true);
    // The address had 4 failures and keeps them: one more locks it.
    await login("user9", password, "192.0.2.66");
    const result = await login("Alice", password, "192.0.2.66");
    assert.equal(result.ok === false && result.status, 429);
    // The name starts over: four more failures from elsewhere don't lock it yet.
    for (let i = 0; i < 4; i++) await login("alice", "wrong password, long enough", "192.0.2.51");
    assert.equal((await login("Alice", password, "192.0.2.52")).ok, true);
  });

  it("upgrades a hash made with weaker parameters at a successful login", async () => {
    const { login, users } = await setup({ ln: 11, r: 8, p: 1 });
    assert.match((await users.find("alice"))?.passwordHash ?? "", /^\$scrypt\$ln=10,/);
    const result = await login("Alice", password);
    assert.match(result.ok ? (result.user.passwordHash ?? "") : "", /^\$scrypt\$ln=11,/);
    assert.match((await users.find("alice"))?.passwordHash ?? "", /^\$scrypt\$ln=11,/);
    assert.equal((await login("Alice", password)).ok, true);
  });

  it("never saves the upgraded hash over a password changed during the login: the old password stays dead", async () => {
    const appParams = { ln: 11, r: 8, p: 1 }; // Alice's hash (ln=10) is upgraded at her next login
    const { login, users } = await setup(appParams);
    const newPassword = "a brand new password, long enough";
    const changedHash = await hashPassword(newPassword, appParams);
    // Hold every hash slot: the login reads Alice's record, then waits to hash.
    const letGo: Array<() => void> = [];
    const held = Array.from({ length: defaultHashSlots() }, () =>
      passwordHashSlots.run(() => new Promise<void>((resolve) => letGo.push(resolve))));
    const loggingIn = login("Alice", password);
    while (passwordHashSlots.waiting === 0) await settle();
    await users.update("Alice", { passwordHash: changedHash }); // her password change is saved meanwhile
    for (const release of letGo) release();
    await Promise.all(held);
    assert.equal((await loggingIn).ok, true, "the old password was still hers when this login read it");

    assert.equal((await users.find("Alice"))?.passwordHash, changedHash);
    assert.deepEqual(await login("Alice", password), failed);
    assert.equal((await login("Alice", newPassword)).ok, true);
  });
});
