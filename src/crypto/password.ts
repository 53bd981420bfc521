// Password hashing with scrypt (RFC 7914) as OWASP's Password Storage CS recommends: N=2^17, r=8, p=1,
// a 16-byte random salt, a 32-byte hash, stored as a PHC string `$scrypt$ln=17,r=8,p=1$<salt>$<hash>`
// (standard base64 without padding, per the PHC string format) so parameters can be raised later and
// `needsRehash` upgrades old hashes at the next login (R14). Async: the hash runs on the thread pool
// while the event loop keeps serving (test/pitfalls/hash-sync-blocks-loop.test.ts). Input is NFKC-
// normalized and capped at 1024 bytes, never silently truncated (bcrypt stops at 72). verifyPassword
// returns false for anything wrong, including a malformed stored string, and every "no" costs at least
// one hash at the app's parameters (unknown user, unusable stored hash, hash stored at a lower cost), so
// timing doesn't reveal which names exist (R15). A stored string's cost is bounded (withinStoredBounds),
// so a planted one can't make a login run for a minute. Hashes take turns in passwordHashSlots
// (hash-slots.ts), so a burst of logins never takes every core from the event loop; when too many
// wait, a hash rejects at once with an HttpError 503 and Retry-After instead of queueing for minutes.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { HttpError } from "../http/http-error.ts";
import { createHashSlots, defaultHashSlots, HashSlotsFullError } from "./hash-slots.ts";
import { assertScryptParams, defaultScryptParams, scryptAsync, type ScryptParams } from "./keys.ts";
import { maxPasswordBytes } from "./password-rules.ts";

export { defaultScryptParams, type ScryptParams } from "./keys.ts";
export { checkNewPassword, maxPasswordBytes, type NewPasswordRules } from "./password-rules.ts";

/** Cheap parameters (N=2^10, ~1 MiB) so tests stay fast. Never in production. */
export const fastScryptParamsForTests: Readonly<ScryptParams> = Object.freeze({ ln: 10, r: 8, p: 1 });

// The one piece of module state here, on purpose: the cores it shares out belong to the whole process,
// so every hash in it must queue in the same line (one line per caller would not bound the total).
// At most ~30 s of waiting at OWASP's cost (~0.5 s a hash, 60 per slot): half of a common reverse
// proxy's 60 s timeout (nginx's proxy_read_timeout), so a hash is never queued for an answer that
// proxy has already given up on. Past that, "busy, come back in 30 s": the line will have moved.
const hashSlots = defaultHashSlots();
export const passwordHashSlots = createHashSlots(hashSlots, { maxWaiting: 60 * hashSlots });
const busyRetryAfterSeconds = 30;
export const hashingBusyMessage = `Too many sign-ins at once. Please try again in ${busyRetryAfterSeconds} seconds.`;

// Bounds on the cost a stored hash may ask for. A stored string names its own cost, so a corrupt or
// planted `ln=20,r=8,p=16` would make every login attempt on its account hash for about a minute in
// 1 GiB, holding a slot. Allowed: the memory of OWASP's parameters or the app's, whichever is more
// (128 MiB by default, the per-slot budget of hash-slots.ts), and 4× the work (N·r·p, which scrypt's
// time grows with) of either, room for the app to have raised p since. Beyond that a stored hash is
// unusable (verifyPassword: false, needsRehash: true). The app's own parameters are the programmer's
// choice: only assertScryptParams limits them.
function memoryOf(params: ScryptParams): number {
  return 128 * params.r * 2 ** params.ln; // bytes: scrypt's V array
}

function workOf(params: ScryptParams): number {
  return 2 ** params.ln * params.r * params.p;
}

function withinStoredBounds(stored: ScryptParams, app: ScryptParams): boolean {
  return memoryOf(stored) <= Math.max(memoryOf(defaultScryptParams), memoryOf(app)) &&
    workOf(stored) <= 4 * Math.max(workOf(defaultScryptParams), workOf(app));
}

// Every scrypt of this file runs through here. Async: bad parameters are a rejection, never a throw.
async function hashInTurn(password: string, salt: Buffer, outputBytes: number, params: ScryptParams): Promise<Buffer> {
  assertScryptParams(params);
  try {
    return await passwordHashSlots.run(() => scryptAsync(password, salt, outputBytes, params));
  } catch (error) {
    if (!(error instanceof HashSlotsFullError)) throw error;
    throw new HttpError(503, hashingBusyMessage, { cause: error, headers: { "Retry-After": String(busyRetryAfterSeconds) } });
  }
}

const saltBytes = 16;
const hashBytes = 32; // 256 bits: more adds nothing against guessing, only storage
const minStoredSaltBytes = 16;
const minStoredHashBytes = 16;
const maxStoredHashBytes = 64;
// PHC string format: $<id>$<param>=<value>,...$<salt>$<hash>, decimal values without leading zeros.
const phcRegExp = /^\$scrypt\$ln=([1-9]\d?),r=([1-9]\d?),p=([1-9]\d?)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface ParsedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

/** Hashes a password into a PHC string. Rejects (never truncates) passwords over 1024 bytes or with NUL. */
export async function hashPassword(password: string, params: ScryptParams = defaultScryptParams): Promise<string> {
  const input = normalizedPassword(password);
  if (input === null) {
    throw new TypeError(`password is invalid: must be a string of at most ${maxPasswordBytes} bytes in UTF-8, without NUL`);
  }
  const salt = randomBytes(saltBytes);
  const hash = await hashInTurn(input, salt, hashBytes, params);
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${encodeB64(salt)}$${encodeB64(hash)}`;
}

/**
 * True only when `password` matches the stored PHC string. For an unknown user pass `null`. `params`
 * are the parameters your app hashes with: every false answer costs at least one hash with them (an
 * unknown user, an unusable stored string or password, a hash stored at a lower cost), so no path
 * answers faster than a real check (R15).
 */
export async function verifyPassword(
  password: string,
  phc: string | null,
  params: ScryptParams = defaultScryptParams,
): Promise<boolean> {
  const parsed = parsePhc(phc, params);
  const input = normalizedPassword(password);
  if (parsed === null || input === null) {
    // No user, a corrupt or over-cost stored hash (see isUsablePasswordHash), or unusable input (over
    // the byte cap, not a string): an early "false" would be faster than a real check and reveal that
    // the name exists (R15).
    await spendDummyHash(params);
    return false;
  }
  const candidate = await hashInTurn(input, parsed.salt, parsed.hash.length, parsed.params);
  // Same length by construction; timingSafeEqual would throw otherwise, so check anyway.
  const matches = candidate.length === parsed.hash.length && timingSafeEqual(candidate, parsed.hash);
  // A hash stored before the app raised its cost is checked faster than an unknown name's dummy hash;
  // a wrong password then also spends the work missing to the app's cost (R15). A right one needs no
  // cover: the caller rehashes it at that cost anyway (needsRehash), and a correct guess already knows
  // the name exists.
  if (!matches) await spendMissingWork(workOf(parsed.params), params);
  return matches;
}

/** False when verifyPassword can never accept `phc`: malformed, or beyond the cost bounds above. */
export function isUsablePasswordHash(phc: string, params: ScryptParams = defaultScryptParams): boolean {
  return parsePhc(phc, params) !== null;
}

// The smallest dummy hash worth running: below N=2^10 (about 1 ms at r=8) the rest is noise.
const minDummyLn = 10;

// Spends what a check costing `spentWork` lacks to one hash at `params`: hashes at the app's r (so never
// more memory than a real one) whose N·p add up to the difference, largest first; at most p + ln - 10.
async function spendMissingWork(spentWork: number, params: ScryptParams): Promise<void> {
  let missing = workOf(params) - spentWork;
  for (let ln = params.ln; ln >= minDummyLn && missing > 0; ln--) {
    const work = 2 ** ln * params.r;
    for (; missing >= work; missing -= work) await spendDummyHash({ ln, r: params.r, p: 1 });
  }
}

/** Spends one hash's worth of time and memory, for code paths that have no stored hash. */
export async function spendDummyHash(params: ScryptParams = defaultScryptParams): Promise<void> {
  await hashInTurn("dummy password", Buffer.alloc(saltBytes), hashBytes, params);
}

/**
 * True when the stored hash is unusable or weaker than `params` in any way: hash again at login. A
 * stronger one is kept; one beyond the bounds above never verifies, so there is no login to upgrade it.
 */
export function needsRehash(phc: string, params: ScryptParams = defaultScryptParams): boolean {
  const parsed = parsePhc(phc, params);
  if (parsed === null) return true;
  const stored = parsed.params;
  return (
    stored.ln < params.ln || stored.r < params.r || stored.p < params.p ||
    parsed.salt.length < saltBytes || parsed.hash.length < hashBytes
  );
}

// NFKC so that "ﬁ" and "fi", or a composed and a decomposed "é", are the same password wherever typed.
function normalizedPassword(password: unknown): string | null {
  // UTF-16 length ≤ UTF-8 length, so this bounds the cost of normalize() before measuring bytes.
  if (typeof password !== "string" || password.length > maxPasswordBytes) return null;
  // scrypt keys an HMAC with the password, and HMAC pads short keys with zero bytes, so "pw" and
  // "pw\0" would be the same password. No real password has a NUL (registration refuses controls).
  if (password.includes("\0")) return null;
  const normalized = password.normalize("NFKC");
  return Buffer.byteLength(normalized, "utf8") > maxPasswordBytes ? null : normalized;
}

function parsePhc(phc: unknown, app: ScryptParams): ParsedHash | null {
  if (typeof phc !== "string") return null;
  const match = phcRegExp.exec(phc);
  if (match === null) return null;
  const [, ln, r, p, saltText = "", hashText = ""] = match;
  const params = { ln: Number(ln), r: Number(r), p: Number(p) };
  const salt = decodeB64(saltText);
  const hash = decodeB64(hashText);
  if (salt === null || hash === null || salt.length < minStoredSaltBytes) return null;
  if (hash.length < minStoredHashBytes || hash.length > maxStoredHashBytes) return null;
  // scrypt needs N < 2^(16r) (RFC 7914 §2); Node would refuse it, so it is malformed, not an error.
  if (params.ln >= 16 * params.r) return null;
  try {
    assertScryptParams(params); // the ranges scryptAsync accepts (r ≤ 32, p ≤ 16)
  } catch {
    return null;
  }
  // Asking for more time or memory than we would ever hash with: corrupt (or planted), not a hash to run.
  if (!withinStoredBounds(params, app)) return null;
  return { params, salt, hash };
}

function encodeB64(bytes: Buffer): string {
  return bytes.toString("base64").replace(/=+$/, ""); // PHC "B64": standard alphabet, no padding
}

// Only the canonical spelling decodes: Node's decoder would skip stray characters and trailing bits.
function decodeB64(text: string): Buffer | null {
  const bytes = Buffer.from(text, "base64");
  return encodeB64(bytes) === text ? bytes : null;
}
