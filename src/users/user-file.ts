// The users file format: `{ "version": 1, "users": [{ "name", "passwordHash", "views", "createdAtMs" }] }`,
// JSON (RFC 8259), one record per account, display spelling kept. Other fields in a record are ignored
// and dropped at the next write, so older files (with an unused "sessionVersion") still load.
// Pitfall prevented: the popular tutorial read `user_views.json` with a bare JSON.parse; a damaged file
// either crashed a request or was silently replaced by an empty list, losing every account. Here a file
// that doesn't parse or has the wrong shape stops start-up with a TypeError saying what is wrong and
// where (no values are echoed: the file holds password hashes).
import { cleanUsername, usernameKey } from "./username.ts";

export interface User {
  /** The name as the user spelled it at registration (NFC, trimmed); compare with usernameKey(). */
  readonly name: string;
  /** PHC string from hashPassword(), or null for an account without a password (step 05). */
  readonly passwordHash: string | null;
  readonly views: number;
  readonly createdAtMs: number;
}

export const usersFileVersion = 1;

/** Parses the file's text into a map keyed by usernameKey(name). Throws TypeError on any defect. */
export function parseUsersFile(text: string, file: string): Map<string, User> {
  const invalid = (what: string) =>
    new TypeError(
      `users file "${file}" is invalid: ${what} (fix it or move it away; it is never replaced by an empty list)`,
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid("not JSON");
  }
  if (!isObject(value) || value.version !== usersFileVersion || !Array.isArray(value.users)) {
    throw invalid(`expected {"version": ${usersFileVersion}, "users": [...]}`);
  }
  const users = new Map<string, User>();
  value.users.forEach((record: unknown, index: number) => {
    const at = `users[${index}]`;
    if (!isObject(record)) throw invalid(`${at} is not an object`);
    const { name, passwordHash, views, createdAtMs } = record;
    if (typeof name !== "string" || name === "" || cleanUsername(name) !== name) {
      throw invalid(`${at}.name must be a non-empty string without surrounding spaces, in NFC`);
    }
    if (passwordHash !== null && typeof passwordHash !== "string") {
      throw invalid(`${at}.passwordHash must be a string or null`);
    }
    const counts = { views, createdAtMs };
    for (const [field, number] of Object.entries(counts)) {
      if (!isCount(number)) throw invalid(`${at}.${field} must be a whole number of at least 0`);
    }
    const key = usernameKey(name);
    if (users.has(key)) throw invalid(`${at}.name is the same name as an earlier record`);
    users.set(key, Object.freeze({ name, passwordHash, views, createdAtMs } as User));
  });
  return users;
}

/** The file's text for a list of users, with a trailing newline; readable and diffable. */
export function serializeUsersFile(users: Iterable<User>): string {
  const records = [...users].map(({ name, passwordHash, views, createdAtMs }) => ({ name, passwordHash, views, createdAtMs }));
  return `${JSON.stringify({ version: usersFileVersion, users: records }, null, 2)}\n`;
}

export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
