import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseUsersFile, serializeUsersFile, type User } from "../../src/users/user-file.ts";

const file = "/data/users.json";
const alice: User = { name: "Alice", passwordHash: "$scrypt$ln=17,r=8,p=1$c2FsdA$aGFzaA", views: 3, createdAtMs: 1_735_689_600_000 };
const record = (changes: Record<string, unknown>) => JSON.stringify({ version: 1, users: [{ ...alice, ...changes }] });
const message = (what: string) =>
  `users file "${file}" is invalid: ${what} (fix it or move it away; it is never replaced by an empty list)`;

describe("parseUsersFile and serializeUsersFile", () => {
  it("round-trips users, keyed by the comparison key, keeping the display spelling", () => {
    const bob: User = { name: "<b>Bob</b>", passwordHash: null, views: 0, createdAtMs: 0 };
    const users = parseUsersFile(serializeUsersFile([alice, bob]), file);
    assert.deepEqual([...users.keys()], ["alice", "<b>bob</b>"]);
    assert.deepEqual(users.get("alice"), alice);
    assert.deepEqual(users.get("<b>bob</b>"), bob);
    assert.ok(Object.isFrozen(users.get("alice")));
  });

  it("writes a versioned, indented file ending in a newline, with only the known fields", () => {
    const text = serializeUsersFile([{ ...alice, extra: "dropped" } as User]);
    assert.ok(text.endsWith("}\n"));
    assert.deepEqual(JSON.parse(text), { version: 1, users: [alice] });
  });

  it("reads a file from before \"sessionVersion\" was dropped, and records with other unknown fields", () => {
    const text = JSON.stringify({ version: 1, users: [{ ...alice, sessionVersion: 1 }, { ...alice, name: "Bob", addedLater: [1] }] });
    const users = parseUsersFile(text, file);
    assert.deepEqual(users.get("alice"), alice);
    assert.deepEqual(users.get("bob"), { ...alice, name: "Bob" });
    assert.deepEqual(Object.keys(JSON.parse(serializeUsersFile(users.values())).users[0]), ["name", "passwordHash", "views", "createdAtMs"]);
  });

  it("reads an empty list", () => {
    assert.equal(parseUsersFile('{"version":1,"users":[]}', file).size, 0);
  });

  it("throws a TypeError naming the defect for a damaged or foreign file, never an empty list", () => {
    const cases: Array<[string, string]> = [
      ["", "not JSON"],
      ['{"version":1,"users":[', "not JSON"],
      ["\u0000\u0000\u0000", "not JSON"],
      ["null", `expected {"version": 1, "users": [...]}`],
      ['[{"user":"alice","views":3}]', `expected {"version": 1, "users": [...]}`], // the tutorial's format
      ['{"users":[]}', `expected {"version": 1, "users": [...]}`],
      ['{"version":2,"users":[]}', `expected {"version": 1, "users": [...]}`],
      ['{"version":1,"users":{}}', `expected {"version": 1, "users": [...]}`],
      ['{"version":1,"users":[null]}', "users[0] is not an object"],
      [record({ name: "" }), "users[0].name must be a non-empty string without surrounding spaces, in NFC"],
      [record({ name: " alice" }), "users[0].name must be a non-empty string without surrounding spaces, in NFC"],
      [record({ name: "A\u030Asa" }), "users[0].name must be a non-empty string without surrounding spaces, in NFC"],
      [record({ name: 7 }), "users[0].name must be a non-empty string without surrounding spaces, in NFC"],
      [record({ passwordHash: 1 }), "users[0].passwordHash must be a string or null"],
      [record({ passwordHash: undefined }), "users[0].passwordHash must be a string or null"],
      [record({ views: -1 }), "users[0].views must be a whole number of at least 0"],
      [record({ views: "3" }), "users[0].views must be a whole number of at least 0"],
      [record({ views: 1.5 }), "users[0].views must be a whole number of at least 0"],
      [record({ createdAtMs: 2 ** 53 }), "users[0].createdAtMs must be a whole number of at least 0"], // past exact integers
      [record({ createdAtMs: null }), "users[0].createdAtMs must be a whole number of at least 0"],
      [
        JSON.stringify({ version: 1, users: [alice, { ...alice, name: "ALICE" }] }),
        "users[1].name is the same name as an earlier record",
      ],
    ];
    for (const [text, what] of cases) {
      assert.throws(() => parseUsersFile(text, file), { name: "TypeError", message: message(what) }, text);
    }
  });

  it("never echoes a password hash from the file in its message", () => {
    const text = record({ passwordHash: { secret: "$scrypt$hash" } });
    assert.throws(() => parseUsersFile(text, file), (error: Error) => !error.message.includes("scrypt"));
  });
});
