// Slows down password guessing (R17; OWASP Authentication CS "Login Throttling"): per key (a username,
// or a client address) the 5th failure in a row locks it for 1 s, the 6th for 2 s, then 4 s … up to
// 15 min; a success clears the key. Bounded: at most `maxEntries` keys, expired ones dropped first, then
// the oldest (the trade-off: a flood of made-up names can push older locks out early).
// No lock lasts longer than the cap, but one more failure renews it, so anyone can keep a username's
// login locked (OWASP names this trade-off): key a signed-in user's password checks by their sign-in
// (verifyLogin's throttleKey), not the username.
// Pitfall prevented: guesses sent all at once being checked before the first failure is counted:
// begin() lets no more attempts per key run at once than failures are left before its lock (at least
// one), so they are counted in turn.
// The clock is injected; check() and begin() give the whole seconds to wait (for `Retry-After`).

export type ThrottleDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };
/** A turn to check one password: record its outcome, then call end(), in a `finally`. */
export type AttemptTurn = { allowed: true; end(): void } | { allowed: false; retryAfterSeconds: number };

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
  // Attempts running per key, and the attempts waiting for one of them to end; only while any run.
  readonly #turns = new Map<string, { running: number; waiting: Array<() => void> }>();

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

  /**
   * Waits until every key has room for one more attempt, then takes a turn on each. Refuses at once,
   * also after waiting, while any key is locked (the failures of the attempts ahead may have locked it).
   */
  async begin(keys: readonly string[]): Promise<AttemptTurn> {
    for (;;) {
      const waits = keys.map((key) => this.check(key)).flatMap((d) => (d.allowed ? [] : [d.retryAfterSeconds]));
      if (waits.length > 0) return { allowed: false, retryAfterSeconds: Math.max(...waits) };
      const busy = keys.find((key) => !this.#hasRoom(key));
      if (busy === undefined) break;
      await new Promise<void>((resolve) => this.#turns.get(busy)!.waiting.push(resolve));
    }
    for (const key of keys) {
      const turns = this.#turns.get(key) ?? { running: 0, waiting: [] };
      turns.running += 1;
      this.#turns.set(key, turns);
    }
    let ended = false;
    return {
      allowed: true,
      end: () => {
        if (ended) return;
        ended = true;
        for (const key of keys) this.#endTurn(key);
      },
    };
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

  // Room while fewer attempts run than failures are left before the lock; one at a time once locked before.
  #hasRoom(key: string): boolean {
    const running = this.#turns.get(key)?.running ?? 0;
    const failures = this.#live(key, this.#now())?.failures ?? 0;
    return running < Math.max(1, this.#lockAfterFailures - failures);
  }

  #endTurn(key: string): void {
    const turns = this.#turns.get(key);
    if (turns === undefined) return;
    turns.running -= 1;
    const waiting = turns.waiting;
    turns.waiting = [];
    if (turns.running === 0) this.#turns.delete(key);
    for (const wake of waiting) wake(); // each one looks again: locked now, room, or wait again
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
