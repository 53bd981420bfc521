// A per-key async mutex: run(key, fn) starts fn only when every earlier fn for the same key has
// settled, so two requests of one session never interleave their read-modify-write (no lost updates,
// R13). Different keys never wait for each other. Pitfall prevented: express-session's last-write-
// wins, where overlapping requests of one session silently drop each other's changes.
// Bounded: a key's entry exists only while a task for it is running or waiting. The uncontended path
// calls fn at once, with no extra promise or await. A throwing fn rejects its own promise and still
// releases the key. Not reentrant: awaiting run(k) inside run(k) waits forever.

export class KeyedLock {
  // key → tasks waiting their turn; present (maybe empty) while the key is held.
  readonly #queues = new Map<string, Array<() => void>>();

  /** Runs fn when the key is free, holding it until fn's promise settles; resolves with fn's result. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const queue = this.#queues.get(key);
    if (queue === undefined) {
      this.#queues.set(key, []);
      return this.#runHolding(key, fn);
    }
    return new Promise<T>((resolve, reject) => {
      queue.push(() => {
        this.#runHolding(key, fn).then(resolve, reject);
      });
    });
  }

  /** True while a task for this key runs or waits: run(key) now would have to wait its turn. */
  isHeld(key: string): boolean {
    return this.#queues.has(key);
  }

  /** How many keys are held right now (for tests and metrics). */
  get size(): number {
    return this.#queues.size;
  }

  #runHolding<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let result: Promise<T>;
    try {
      result = fn();
    } catch (error) {
      result = Promise.reject(error);
    }
    // Released when fn settles either way. Registered before the caller's own reaction, so the next
    // task starts first; this derived promise never rejects (#release returns normally), so it can't
    // be an unhandled rejection. (Two inline arrows, not one `const release = () => …`: under tsx a
    // named arrow costs a __name() call that defines its `name` property, on every request here.)
    result.then(() => this.#release(key), () => this.#release(key));
    return result;
  }

  #release(key: string): void {
    const queue = this.#queues.get(key);
    const next = queue?.shift();
    if (next === undefined) this.#queues.delete(key);
    else next();
  }
}
