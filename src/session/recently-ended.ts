// Remembers, for a short while, the sessions requests ended on purpose (the manager: those given a new
// ID at login or refresh), so it can tell a cookie replaced a moment ago from one merely stale.
// Why: a request the browser sent before the answer with the new cookie arrived (a second tab, a
// refresh timer) still brings the old one. Answering it with a clearing or a new cookie would, if the
// browser handled that answer last, delete the cookie the login or refresh just set: signed out.
// Bounded in time and size: entries go after `graceMs`, and the oldest first beyond `maxEntries`, so
// a flood of logins can only shorten how long an entry is kept, never grow memory.
// Bad options are a programmer error: TypeError at construction.

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
    for (const name of ["graceMs", "maxEntries"] as const) {
      if (!Number.isInteger(options[name]) || options[name] < 1) {
        throw new TypeError(`recently ended "${name}" is invalid: must be an integer of at least 1`);
      }
    }
    this.#graceMs = options.graceMs;
    this.#maxEntries = options.maxEntries;
  }

  add(storeKey: string, nowMs: number): void {
    this.#endedAtMs.delete(storeKey); // re-inserted at the end: the order stays oldest first
    this.#endedAtMs.set(storeKey, nowMs);
    this.#forgetOld(nowMs);
  }

  /**
   * Whether the session was ended less than `graceMs` before `atMs` (a request's arrival), or after it
   * (the request waited behind the one that ended it), and not yet pushed out by newer entries.
   */
  has(storeKey: string, atMs: number): boolean {
    this.#forgetOld(atMs);
    return this.#endedAtMs.has(storeKey);
  }

  /** How many are remembered right now (for tests). */
  get size(): number {
    return this.#endedAtMs.size;
  }

  // Oldest first: stop at the first entry still within the grace and the limit (all later ones are too).
  #forgetOld(nowMs: number): void {
    for (const [storeKey, endedAtMs] of this.#endedAtMs) {
      if (this.#endedAtMs.size <= this.#maxEntries && nowMs - endedAtMs < this.#graceMs) return;
      this.#endedAtMs.delete(storeKey);
    }
  }
}
