// Checks a username and password (OWASP Authentication CS): throttled per username and per client
// address (R17, login-throttle.ts), the same 401 and message for an unknown name and a wrong password,
// and the same work for both: an unknown name still spends one scrypt hash (R15). A hash with weaker
// parameters than today's is upgraded after a successful login (needsRehash).
// Pitfall prevented: the popular tutorial answered a failed login with 200 and checked passwords with
// the blocking bcrypt.compareSync. Never throws for bad input: a missing field is a wrong password.
// Returns the user, or the status and message for the response (and Retry-After seconds on 429).
import type { ScryptParams } from "../crypto/keys.ts";
import { hashPassword, needsRehash, verifyPassword } from "../crypto/password.ts";
import { HttpError } from "../http/http-error.ts";
import type { User, UserStore } from "../users/user-store.ts";
import { usernameKey, validateUsername } from "../users/username.ts";
import type { LoginThrottle } from "./login-throttle.ts";

export type LoginResult =
  | { ok: true; user: User }
  | { ok: false; status: 401; message: string }
  | { ok: false; status: 429; message: string; retryAfterSeconds: number };

export interface LoginOptions {
  users: UserStore;
  throttle: LoginThrottle;
  /** The parameters the app hashes with; also the cost of the unknown-user dummy hash. */
  scryptParams?: ScryptParams;
}

export const loginFailedMessage = "Incorrect username or password.";

export async function verifyLogin(
  options: LoginOptions,
  attempt: { username: unknown; password: unknown; clientAddress: string | undefined },
): Promise<LoginResult> {
  const { users, throttle, scryptParams } = options;
  // Only valid names get a throttle key, so a 16 KiB junk "username" costs no memory; the address
  // key still counts it. A valid name is counted whether or not it exists (no hint either way).
  const name = validateUsername(attempt.username) === null ? (attempt.username as string) : null;
  const userKey = name === null ? null : `user:${usernameKey(name)}`;
  const addressKey = attempt.clientAddress === undefined ? null : `address:${attempt.clientAddress}`;
  const keys = [userKey, addressKey].filter((key) => key !== null);
  const waits = keys.map((key) => throttle.check(key)).flatMap((d) => (d.allowed ? [] : [d.retryAfterSeconds]));
  if (waits.length > 0) {
    const retryAfterSeconds = Math.max(...waits);
    const seconds = `${retryAfterSeconds} second${retryAfterSeconds === 1 ? "" : "s"}`;
    const message = `Too many failed sign-in attempts. Try again in ${seconds}.`;
    return { ok: false, status: 429, message, retryAfterSeconds };
  }

  const user = name === null ? null : await users.find(name);
  const password = typeof attempt.password === "string" ? attempt.password : "";
  // For an unknown name (null) or an over-long password verifyPassword still spends one hash.
  const valid = await verifyPassword(password, user?.passwordHash ?? null, scryptParams);
  if (!valid || user === null || userKey === null) {
    for (const key of keys) throttle.recordFailure(key);
    return { ok: false, status: 401, message: loginFailedMessage };
  }
  // Only the username's count is cleared: clearing the address's would let an attacker who owns one
  // account reset it between guesses at others.
  throttle.recordSuccess(userKey);
  return { ok: true, user: await upgradedHash(users, user, password, scryptParams) };
}

async function upgradedHash(users: UserStore, user: User, password: string, params?: ScryptParams): Promise<User> {
  if (user.passwordHash === null || !needsRehash(user.passwordHash, params)) return user;
  try {
    return (await users.update(user.name, { passwordHash: await hashPassword(password, params) })) ?? user;
  } catch (error) {
    // Best effort: with the store read-only (503) the login still succeeds; the next one tries again.
    if (error instanceof HttpError) return user;
    throw error;
  }
}
