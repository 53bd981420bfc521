// Remembers, for a short while, the sessions requests ended on purpose (a logout, or a new ID at login
// or refresh), so the manager can tell a cookie that was replaced a moment ago from one merely stale.
// Why: a request the browser sent before the answer that replaced its cookie arrived (a second tab, a
// refresh timer) still brings the old one. Answering it with a clearing or a new cookie would, if the
// browser handled that answer last, delete the cookie the login or refresh just set: signed out.
// Bounded in time and size: entries go after `graceMs`, and the oldest first beyond `maxEntries`, so
// a flood of logins can only shorten how long an entry is kept, never grow memory.

export interface RecentlyEndedOptions {
  graceMs: number;
  maxEntries: number;
}

export class RecentlyEnded {
  readonly #graceMs: number;
  readonly #maxEntries: number;
  // store key → when it was ended; a Map iterates in insertion order, so the oldest entry comes first.
  readonly #endedAtMs = new Map<string, number>();

  constructor(options: RecentlyEndedOptions) {
    this.#graceMs = options.graceMs;
    this.#maxEntries = options.maxEntries;
  }

  add(storeKey: string, nowMs: number): void {
    this.#endedAtMs.delete(storeKey); // re-inserted at the end: the order stays oldest first
    this.#endedAtMs.set(storeKey, nowMs);
    this.#forgetOld(nowMs);
  }

  /** Whether the session was ended less than `graceMs` ago (and not pushed out by newer entries). */
  has(storeKey: string, nowMs: number): boolean {
    this.#forgetOld(nowMs);
    return this.#endedAtMs.has(storeKey);
  }

  /** How many are remembered right now (for tests). */
  get size(): number {
    return this.#endedAtMs.size;
  }

  #forgetOld(nowMs: number): void {
    for (const [storeKey, endedAtMs] of this.#endedAtMs) {
      if (this.#endedAtMs.size <= this.#maxEntries && nowMs - endedAtMs < this.#graceMs) return;
      this.#endedAtMs.delete(storeKey);
    }
  }
}
