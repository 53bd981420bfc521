// The `session` object a request handler receives, plus the bookkeeping the manager needs to commit
// it: what was loaded (to detect changes), and whether it was regenerated or destroyed.
// regenerate()/destroy() only record intent; the manager applies them when the callback returns,
// under the session's lock, so a failing handler changes nothing. Pitfall prevented: the popular
// tutorials' module-level `session` variable shared by concurrent requests: one object per request.
import type { SessionData, SessionRecord } from "./store.ts";

export interface RegenerateOptions {
  /** Keep the data under the new ID (default false: start empty, as express-session does). */
  keepData?: boolean;
  /** Restart the absolute timeout from now (default false: a new ID never extends a session, R08). */
  restartLifetime?: boolean;
}

export interface Session<D extends SessionData = SessionData> {
  /** The session ID (secret: never log or display it). Changes on regenerate(). */
  readonly id: string;
  /** The application's data; changes are saved when the callback returns (JSON-compatible values). */
  data: D;
  /** The signed-in user; set it, then regenerate(), to log in (R05). */
  userId: string | null;
  /** True when the request brought no valid session. */
  readonly isNew: boolean;
  readonly createdAtMs: number;
  /** New ID at commit, old one deleted from the store: the session-fixation defence on login. */
  regenerate(options?: RegenerateOptions): void;
  /** Delete from the store and clear the cookie at commit (logout). Wins over everything else. */
  destroy(): void;
  /** Save even if the data looks unchanged. */
  markChanged(): void;
}

/** A session as loaded for one request. Fields other than Session's are the manager's. */
export class LiveSession<D extends SessionData = SessionData> implements Session<D> {
  data: D;
  userId: string | null;
  readonly isNew: boolean;
  /** The store key it was loaded under (null for a new session) and what was loaded. */
  readonly loadedKey: string | null;
  readonly loaded: SessionRecord | null;
  /** JSON of the data as loaded: one stringify now, one at commit, compared as strings. */
  readonly loadedDataJson: string;
  changed = false;
  regenerated = false;
  destroyed = false;
  /** The request's clock reading: expiry and touches are computed from it. */
  readonly nowMs: number;
  #id: string;
  #createdAtMs: number;
  readonly #newId: () => string;

  /** newId makes the ID regenerate() moves to: the manager's createSessionIdSource(). */
  constructor(id: string, loadedKey: string | null, loaded: SessionRecord | null, nowMs: number, newId: () => string) {
    this.#id = id;
    this.#newId = newId;
    this.nowMs = nowMs;
    this.loadedKey = loadedKey;
    this.loaded = loaded;
    this.isNew = loaded === null;
    this.data = (loaded === null ? {} : loaded.data) as D;
    this.userId = loaded === null ? null : loaded.userId;
    this.#createdAtMs = loaded === null ? nowMs : loaded.createdAtMs;
    this.loadedDataJson = loaded === null ? "{}" : JSON.stringify(loaded.data);
  }

  get id(): string {
    return this.#id;
  }

  get createdAtMs(): number {
    return this.#createdAtMs;
  }

  regenerate(options: RegenerateOptions = {}): void {
    this.#id = this.#newId();
    this.regenerated = true;
    if (!options.keepData) this.data = {} as D;
    if (options.restartLifetime) this.#createdAtMs = this.nowMs;
  }

  destroy(): void {
    this.destroyed = true;
  }

  markChanged(): void {
    this.changed = true;
  }
}
