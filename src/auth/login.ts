// Checks a username and password (OWASP Authentication CS): throttled per username and per client
// address (R17, login-throttle.ts; attempts sent at once take turns; an IPv6 client counts by its /56),
// the same 401 and message for an unknown name and a wrong password, and at least the same work: every
// "no" costs one scrypt hash at the app's parameters (R15, verifyPassword). A weaker hash is upgraded at
// login (needsRehash), never over a password changed meanwhile. A stored hash that can never verify
// (corrupt, or planted with a huge cost) fails like a wrong password and is logged for the operator.
// Pitfall prevented: the popular tutorial answered a failed login with 200 and checked passwords with
// the blocking bcrypt.compareSync. Never throws for bad input: a missing field is a wrong password.
// Returns the user, or the status and message for the response (and Retry-After seconds on 429).
import { isIPv4, isIPv6 } from "node:net";
import type { ScryptParams } from "../crypto/keys.ts";
import { hashPassword, isUsablePasswordHash, needsRehash, verifyPassword } from "../crypto/password.ts";
import { HttpError } from "../http/http-error.ts";
import type { User, UserStore } from "../users/user-store.ts";
import { isUsernameForLookup, usernameKey } from "../users/username.ts";
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
  /** Where an unusable stored hash is reported; defaults to console.warn. Never receives passwords. */
  log?: (message: string) => void;
}

export const loginFailedMessage = "Incorrect username or password.";

export interface LoginAttempt {
  username: unknown;
  password: unknown;
  clientAddress: string | undefined;
  /**
   * Counts this check's failures under this key instead of the username's. For a signed-in user
   * confirming their password (a password change): key it by their sign-in, e.g. user ID and the
   * session's createdAtMs, so failed logins others send for the username, which anyone can keep
   * locked, never block the account's owner there. Not by the session ID: where a refresh gives a
   * session a new ID, whoever holds it could get a fresh key, and a fresh budget of guesses, at will.
   */
  throttleKey?: string;
}

export async function verifyLogin(options: LoginOptions, attempt: LoginAttempt): Promise<LoginResult> {
  const { users, throttle, scryptParams, log = (message) => console.warn(message) } = options;
  // Only names an account could have get a throttle key, so a 16 KiB junk "username" costs no memory;
  // the address key still counts it. Such a name is counted whether or not it exists (no hint either way).
  const name = isUsernameForLookup(attempt.username) ? attempt.username : null;
  const userKey = name === null ? null : attempt.throttleKey ?? `user:${usernameKey(name)}`;
  const addressKey = attempt.clientAddress === undefined ? null : `address:${addressThrottleKey(attempt.clientAddress)}`;
  const keys = [userKey, addressKey].filter((key) => key !== null);
  // Waits while earlier attempts on these keys still hash, so guesses sent at once are counted in turn.
  const turn = await throttle.begin(keys);
  if (!turn.allowed) {
    const { retryAfterSeconds } = turn;
    const seconds = `${retryAfterSeconds} second${retryAfterSeconds === 1 ? "" : "s"}`;
    const message = `Too many failed sign-in attempts. Try again in ${seconds}.`;
    return { ok: false, status: 429, message, retryAfterSeconds };
  }

  const password = typeof attempt.password === "string" ? attempt.password : "";
  let user: User | null;
  try {
    user = name === null ? null : await users.find(name);
    if (user?.passwordHash != null && !isUsablePasswordHash(user.passwordHash, scryptParams)) {
      log(`login: the stored password hash of user ${JSON.stringify(user.name)} is malformed or exceeds the ` +
        `scrypt cost bounds (src/crypto/password.ts); nobody can sign in as them until it is reset`);
    }
    // An unknown name (null), an unusable hash or password, or a hash stored at a lower cost than
    // scryptParams: a "no" still costs one hash at scryptParams.
    const valid = await verifyPassword(password, user?.passwordHash ?? null, scryptParams);
    if (!valid || user === null || userKey === null) {
      for (const key of keys) throttle.recordFailure(key);
      return { ok: false, status: 401, message: loginFailedMessage };
    }
    // Only the username's count is cleared: clearing the address's would let an attacker who owns one
    // account reset it between guesses at others.
    throttle.recordSuccess(userKey);
  } finally {
    turn.end(); // after the outcome is recorded: the next attempt in line sees it
  }
  return { ok: true, user: await upgradedHash(users, user, password, scryptParams) };
}

async function upgradedHash(users: UserStore, user: User, password: string, params?: ScryptParams): Promise<User> {
  const verifiedHash = user.passwordHash;
  if (verifiedHash === null || !needsRehash(verifiedHash, params)) return user;
  try {
    const rehashed = await hashPassword(password, params);
    // Saved only over the hash this login verified (salted: it never repeats): a password change saved
    // since we read the user must win, or the old password would work again and the new one would not.
    const current = await users.update(user.name, (stored) =>
      stored.passwordHash === verifiedHash ? { passwordHash: rehashed } : {});
    return current ?? user;
  } catch (error) {
    // Best effort: with the store read-only (503) the login still succeeds; the next one tries again.
    if (error instanceof HttpError) return user;
    throw error;
  }
}

/**
 * Who an address belongs to, for the per-address throttle: an IPv4 address as is, also when written
 * IPv4-mapped ("::ffff:192.0.2.1", as a dual-stack server reports it: masking that as IPv6 would put
 * every IPv4 client in one bucket, express-rate-limit's CVE-2026-30827) or behind a NAT64 translator
 * with the well-known prefix ("64:ff9b::192.0.2.1", RFC 6052: the same mistake otherwise); an IPv6
 * address by its /56, a customer site's usual allocation (RFC 6177), since one site may use any of its
 * 2^72 addresses. Anything else is kept as given.
 */
export function addressThrottleKey(address: string): string {
  const plain = address.replace(/%.*$/, ""); // a zone ("fe80::1%eth0") names our interface, not the client
  if (isIPv4(plain)) return plain;
  if (!isIPv6(plain)) return address;
  const groups = ipv6Groups(plain);
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((group) => group === 0);
  if (mapped || nat64) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join(".");
  }
  // The first 56 bits: three whole 16-bit groups and the high byte of the fourth.
  const prefix = [groups[0]!, groups[1]!, groups[2]!, groups[3]! & 0xff00];
  return `${prefix.map((group) => group.toString(16)).join(":")}::/56`;
}

/** The eight 16-bit groups of a valid IPv6 address: "::" expanded, a dotted IPv4 tail read as two groups. */
function ipv6Groups(address: string): number[] {
  const [head, tail] = address.split("::");
  const parse = (text: string | undefined) => (text ? text.split(":") : []).flatMap((group) => {
    if (!group.includes(".")) return [Number.parseInt(group, 16)];
    const [a = 0, b = 0, c = 0, d = 0] = group.split(".").map(Number);
    return [(a << 8) | b, (c << 8) | d];
  });
  const before = parse(head);
  const after = parse(tail);
  return [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
}
