// Demo accounts, so a step can be tried without registering: the popular JSON-API tutorial's
// user1/password1 and user2/password2, created only when the user store is empty, and announced loudly.
// Their passwords are public and shorter than the 15 characters registration demands (password-rules.ts,
// NIST SP 800-63B-4): acceptable only on a demo server nobody else can reach. DEMO_USERS=off skips them.
// Pitfall prevented: the tutorial's hard-coded `users` map with plaintext passwords compared by `!==`;
// these are stored as scrypt hashes like every other account. The log names the users, never the passwords.
// Bad input: a DEMO_USERS value other than on/off is a TypeError at start-up.
import type { ScryptParams } from "../crypto/keys.ts";
import { hashPassword } from "../crypto/password.ts";
import type { UserStore } from "../users/user-store.ts";

export const demoUsers: ReadonlyArray<{ readonly name: string; readonly password: string }> = Object.freeze([
  Object.freeze({ name: "user1", password: "password1" }),
  Object.freeze({ name: "user2", password: "password2" }),
]);

/** The DEMO_USERS setting: "on" (the default) or "off". */
export function readDemoUsersSetting(value: string | undefined): boolean {
  const normalized = (value ?? "").trim().toLowerCase();
  if (normalized === "" || normalized === "on") return true;
  if (normalized === "off") return false;
  throw new TypeError(`DEMO_USERS is invalid: must be "on" (create demo users in an empty user store) or "off"`);
}

/**
 * Creates the demo users if the store has no users at all; returns the names created (none when the
 * store already had users). Hashes with `scryptParams`, the parameters the app signs in with.
 */
export async function createDemoUsersIfEmpty(
  users: UserStore,
  options: { scryptParams?: ScryptParams; log?: (message: string) => void } = {},
): Promise<string[]> {
  if (users.size > 0) return [];
  const created: string[] = [];
  for (const { name, password } of demoUsers) {
    // Skipping checkNewPassword on purpose: these are the tutorial's short passwords.
    const result = await users.create({ name, passwordHash: await hashPassword(password, options.scryptParams) });
    // "taken": code in this process registered the name while we hashed (the store is one process's
    // memory; other processes never show up in it). Their account stays; this demo user is skipped.
    if (result.ok) created.push(result.user.name);
  }
  if (created.length > 0) {
    const names = created.map((name) => `"${name}"`).join(" and ");
    options.log?.(
      `*** DEMO USERS: the user store was empty, so ${names} were created with the tutorial's public passwords\n` +
      `*** (listed in this step's README). Anyone who can reach this server can sign in as them.\n` +
      `*** For trying things out only: start with DEMO_USERS=off to skip this.`,
    );
  }
  return created;
}
