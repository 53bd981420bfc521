// Slows down password guessing (R17; OWASP Authentication CS "Login Throttling"): after a few free
// failures a key (a username, or a client address) is locked: the 5th failure in a row locks it for
// 1 s, the 6th for 2 s, then 4 s … up to 15 min; a success clears the key. In memory and bounded: at most
// `maxEntries` keys, expired ones dropped first, then the oldest evicted, so a flood of made-up
// usernames cannot exhaust memory (the trade-off: it can push older locks out early).
// Pitfall prevented: a permanent lock-out after N failures lets anyone lock a victim out for good.
// The clock is injected; check() returns how many whole seconds to wait (for `Retry-After`).

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface LoginThrottleOptions {
  lockAfterFailures?: number; // the failure that starts the first lock (default 5)
  baseDelaySeconds?: number; // that first lock, doubled by each further failure (default 1)
  maxDelaySeconds?: number; // the cap (default 15 min)
  forgetAfterSeconds?: number; // a key with no failure for this long starts over (default 1 h)
  maxEntries?: number; // keys kept at most (default 10 000)
  now?: () => number; // milliseconds; Date.now by default, a fake clock in tests
}

interface Entry {
  failures: number;
  lockedUntilMs: number;
  expiresAtMs: number;
}

export class LoginThrottle {
  readonly #lockAfterFailures: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #forgetAfterMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  // Map keeps insertion order; a failure re-inserts its key, so the first entry is the stalest.
  readonly #entries = new Map<string, Entry>();

  constructor(options: LoginThrottleOptions = {}) {
    this.#lockAfterFailures = integerOption("lockAfterFailures", options.lockAfterFailures ?? 5, 1);
    this.#baseDelayMs = integerOption("baseDelaySeconds", options.baseDelaySeconds ?? 1, 1) * 1000;
    this.#maxDelayMs = integerOption("maxDelaySeconds", options.maxDelaySeconds ?? 15 * 60, 1) * 1000;
    this.#forgetAfterMs = integerOption("forgetAfterSeconds", options.forgetAfterSeconds ?? 60 * 60, 1) * 1000;
    this.#maxEntries = integerOption("maxEntries", options.maxEntries ?? 10_000, 1);
    this.#now = options.now ?? Date.now;
    // Expiry must outlast every lock, so entries expire in insertion order and a lock is never forgotten.
    if (this.#forgetAfterMs < this.#maxDelayMs) {
      throw new TypeError(`login throttle "forgetAfterSeconds" is invalid: must be at least "maxDelaySeconds"`);
    }
  }

  /** Number of keys currently remembered (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  check(key: string): ThrottleDecision {
    const nowMs = this.#now();
    const entry = this.#live(key, nowMs);
    if (entry === undefined || entry.lockedUntilMs <= nowMs) return { allowed: true };
    return { allowed: false, retryAfterSeconds: Math.ceil((entry.lockedUntilMs - nowMs) / 1000) };
  }

  recordFailure(key: string): void {
    const nowMs = this.#now();
    const failures = (this.#live(key, nowMs)?.failures ?? 0) + 1;
    const doublings = failures - this.#lockAfterFailures; // 0 for the failure that starts the lock
    // Capping the exponent keeps 2 ** n finite however many failures pile up.
    const delayMs = doublings < 0 ? 0 : Math.min(this.#baseDelayMs * 2 ** Math.min(doublings, 40), this.#maxDelayMs);
    this.#entries.delete(key);
    this.#dropStale(nowMs);
    this.#entries.set(key, { failures, lockedUntilMs: nowMs + delayMs, expiresAtMs: nowMs + this.#forgetAfterMs });
  }

  recordSuccess(key: string): void {
    this.#entries.delete(key);
  }

  #live(key: string, nowMs: number): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAtMs <= nowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  // Oldest first: drop what has expired, then evict until there is room for one more key.
  #dropStale(nowMs: number): void {
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAtMs > nowMs && this.#entries.size < this.#maxEntries) break;
      this.#entries.delete(key);
    }
  }
}

function integerOption(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`login throttle "${name}" is invalid: must be a whole number of at least ${min}`);
  }
  return value;
}
