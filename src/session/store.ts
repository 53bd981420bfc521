// The contract between the session manager and a session store (memory, files, or your database).
// Keys are never raw session IDs: the manager passes a hash of the ID (see manager.ts), so a dump of
// any store cannot be replayed as a cookie (R02). Records carry their own expiry, min(lastSeen + idle,
// createdAt + absolute); a store treats a record at or past `expiresAtMs` as absent and may delete it.
// Stores return copies (the caller may mutate what get() returns) and hold only JSON-compatible data.
// Failures: a missing, expired or unreadable record is `null`; a failed write rejects (FileStore:
// HttpError 503), so the request fails instead of pretending the session was saved.

export type SessionData = Record<string, unknown>;

export interface SessionRecord<D extends SessionData = SessionData> {
  /** What the application keeps in the session (JSON-compatible values only). */
  data: D;
  /** The signed-in user, or null before login. destroyByUser() finds sessions by it. */
  userId: string | null;
  /** When the session was created: the absolute timeout counts from here and is never extended (R08). */
  createdAtMs: number;
  /** The last time the session was touched (written at most once per touch interval, R07). */
  lastSeenMs: number;
  /** min(lastSeenMs + idle timeout, createdAtMs + absolute timeout): invalid from this instant on. */
  expiresAtMs: number;
}

export interface SessionStore {
  /** The record for this key, or null (unknown, expired, unreadable). Never a shared object. */
  get(key: string): Promise<SessionRecord | null>;
  /** Creates or replaces the record. */
  set(key: string, record: SessionRecord): Promise<void>;
  /** Removes the record; removing an unknown key is not an error. */
  destroy(key: string): Promise<void>;
  /** Records new `lastSeenMs`/`expiresAtMs` (the data is unchanged). A store may simply call set(). */
  touch(key: string, record: SessionRecord): Promise<void>;
  /** Removes every record whose userId matches (e.g. after a password change); returns how many. */
  destroyByUser(userId: string): Promise<number>;
  /** Stops timers and releases resources; safe to call twice. */
  close?(): Promise<void>;
}
