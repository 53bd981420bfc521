// The session manager: what express-session does, in one readable pass per request. withSession()
// reads the signed cookie, loads the record (strict: only IDs we generated, R04), runs your callback,
// then saves only what changed, touches lastSeen at most once per interval (R07, never past the
// absolute timeout, R08), applies regenerate()/destroy() (R05, R06) and sets Set-Cookie and
// `Cache-Control: no-store` (R09). Everything for one session ID runs under a per-ID lock, so
// overlapping requests of one session can't lose each other's updates (R13, within one process).
// Stores see only SHA-256(ID) (R02). Bad options throw a TypeError at start-up; a bad cookie is just
// "no session"; a store failure (FileStore: HttpError 503) rejects withSession's promise.
import type { IncomingMessage, ServerResponse } from "node:http";
import { KeyedLock } from "./keyed-lock.ts";
import { LiveSession, type Session } from "./live-session.ts";
import { RecentlyEnded } from "./recently-ended.ts";
import { SessionCookie, type SessionCookieReading } from "./session-cookie.ts";
import { createSessionIdSource, storeKeyOf } from "./session-id.ts";
import type { SessionData, SessionRecord, SessionStore } from "./store.ts";
import { expiryOf, isExpired, isTouchDue, secondsUntil, sessionTimeouts } from "./timeouts.ts";

export type { RegenerateOptions, Session } from "./live-session.ts";
export { storeKeyOf } from "./session-id.ts";

export interface SessionManagerOptions {
  store: SessionStore;
  /** Cookie-signing secrets, each ≥ 32 random bytes; the first signs, all verify (rotation). Copied at start-up. */
  secrets: readonly string[];
  /** express-session `name`; default "sid". Becomes `__Host-sid` over HTTPS. */
  cookieName?: string;
  /** express-session `cookie`: path "/", no domain, SameSite "Lax", persistent (Max-Age) by default. */
  cookie?: { path?: string; domain?: string; sameSite?: "Strict" | "Lax" | "None"; persistent?: boolean };
  /** Idle timeout (sliding); express-session's `cookie.maxAge` + `rolling`. Default 30 minutes. */
  idleTimeoutSeconds?: number;
  /** Idle timeout while no user is signed in (pre-sessions, sign-ins in progress). Default: idleTimeoutSeconds. */
  anonymousIdleTimeoutSeconds?: number;
  /** Hard limit from creation, never extended. express-session has none. Default 8 hours. */
  absoluteTimeoutSeconds?: number;
  /** lastSeen is written at most this often (express-session touches on every request). Default 60. */
  touchIntervalSeconds?: number;
  /** Store sessions that hold nothing? Default false (express-session's default is true). */
  saveUninitialized?: boolean;
  /** true → cookie `__Host-<name>` with Secure. Decide from the socket or a trusted proxy header. */
  isSecureRequest?: (req: IncomingMessage) => boolean;
  now?: () => number;
}

/** A read-only look at a session (peek): changes to it are never saved. */
export interface SessionSnapshot<D extends SessionData = SessionData> {
  readonly id: string;
  readonly data: D;
  readonly userId: string | null;
  readonly createdAtMs: number;
  readonly expiresAtMs: number;
}

export interface SessionManager<D extends SessionData = SessionData> {
  /**
   * Loads the session, runs fn, commits, sets the headers; resolves with fn's result. Send the response
   * after. One call at a time per request: a nested call rejects (TypeError) instead of deadlocking.
   */
  withSession<T>(req: IncomingMessage, res: ServerResponse, fn: (session: Session<D>) => T | Promise<T>): Promise<T>;
  /** The session without saving or setting headers (add `Cache-Control: no-store` yourself); null if none. Waits for the session's running requests. */
  peek(req: IncomingMessage): Promise<SessionSnapshot<D> | null>;
  /**
   * Deletes every session of the user (password change), including requests still running and logins
   * in progress; returns how many stored sessions went. `options.except` keeps one: the session of the
   * request calling this, from inside its withSession callback (anything else is a TypeError).
   */
  destroyAllForUser(userId: string, options?: { except?: Session<D> }): Promise<number>;
}

// A request between loading and committing; destroyAllForUser marks the ones it must stop.
interface InFlight {
  session: LiveSession | null;
  /** Users whose sessions destroyAllForUser ended while this request ran: it must not save one of theirs. */
  revokedUsers: Set<string> | null;
  /** When withSession() was called, before waiting for the session's lock. */
  arrivedAtMs: number;
}

export function createSessionManager<D extends SessionData = SessionData>(options: SessionManagerOptions): SessionManager<D> {
  const { store, saveUninitialized = false } = options;
  const clock = options.now ?? Date.now;
  // Whole milliseconds: a fractional clock (performance.now() based) would write times FileStore refuses.
  const now = () => Math.floor(clock());
  const methods = ["get", "set", "destroy", "touch", "destroyByUser"] as const;
  if (typeof store !== "object" || store === null || methods.some((method) => typeof store[method] !== "function")) {
    throw new TypeError(`session "store" is invalid: must implement SessionStore (get, set, destroy, touch, destroyByUser)`);
  }
  const idleTimeoutSeconds = options.idleTimeoutSeconds ?? 30 * 60; // OWASP: 15–30 minutes for most apps
  const timeouts = sessionTimeouts({
    idleTimeoutSeconds,
    anonymousIdleTimeoutSeconds: options.anonymousIdleTimeoutSeconds ?? idleTimeoutSeconds,
    absoluteTimeoutSeconds: options.absoluteTimeoutSeconds ?? 8 * 3600, // one working day
    touchIntervalSeconds: options.touchIntervalSeconds ?? 60, // ≤ 1 write a minute per active session
  });
  const { path = "/", domain, sameSite = "Lax", persistent = true } = options.cookie ?? {};
  if (sameSite === "None" && options.isSecureRequest === undefined) {
    throw new TypeError(`cookie "sameSite" is invalid: "None" needs Secure, so pass isSecureRequest (RFC 6265bis §4.1.2.7)`);
  }
  const cookie = new SessionCookie({
    name: options.cookieName ?? "sid",
    secrets: options.secrets,
    path,
    domain,
    sameSite,
    persistent,
    isSecureRequest: options.isSecureRequest ?? (() => false),
  });
  const lock = new KeyedLock();
  const newSessionId = createSessionIdSource();
  // Requests inside withSession(): a nested call for one of them would queue behind itself for good.
  const requestsInSession = new WeakSet<IncomingMessage>();
  const inFlight = new Set<InFlight>();
  const usersBeingDestroyed = new Map<string, number>(); // userId → destroyAllForUser calls running
  // Sessions a request regenerated (login, refresh), for the requests that bring the old cookie: those
  // queued behind it, and those that arrive within 10 s after, which the browser (another tab, a
  // refresh timer) sent before the answer with the new cookie came back. See write().
  const recentlyReplaced = new RecentlyEnded({ graceMs: 10_000, maxEntries: 10_000 });

  async function run<T>(req: IncomingMessage, res: ServerResponse, cookieReading: SessionCookieReading,
    arrivedAtMs: number, fn: (session: Session<D>) => T | Promise<T>): Promise<T> {
    const { id = null, storeKey = null } = cookieReading.verified ?? {};
    const nowMs = now();
    const flight: InFlight = { session: null, revokedUsers: null, arrivedAtMs };
    inFlight.add(flight);
    try {
      let record = storeKey === null ? null : await store.get(storeKey);
      if (record !== null && (isExpired(record, nowMs, timeouts) || isRevoked(record, flight))) {
        await store.destroy(storeKey!); // R07: an expired session is deleted when seen
        record = null;
      }
      // Strict mode: a cookie we can't match to a live record never names the new session (R04).
      const session = record === null
        ? new LiveSession<D>(newSessionId(), null, null, nowMs, newSessionId)
        : new LiveSession<D>(id!, storeKey, record, nowMs, newSessionId);
      flight.session = session as LiveSession;
      const result = await fn(session);
      await commit(req, res, session, flight, cookieReading);
      return result;
    } finally {
      inFlight.delete(flight);
      requestsInSession.delete(req);
    }
  }

  function isRevoked(record: SessionRecord, flight: InFlight): boolean {
    if (record.userId === null) return false;
    return usersBeingDestroyed.has(record.userId) || flight.revokedUsers?.has(record.userId) === true;
  }

  // The session as loaded, or as the callback left it (a login in progress), belongs to a user whose
  // sessions destroyAllForUser ended while this request ran.
  function isRevokedSession(session: LiveSession<D>, flight: InFlight): boolean {
    const users = flight.revokedUsers;
    if (users === null) return false;
    const loadedUserId = session.loaded?.userId ?? null;
    return (loadedUserId !== null && users.has(loadedUserId)) || (session.userId !== null && users.has(session.userId));
  }

  async function commit(req: IncomingMessage, res: ServerResponse, session: LiveSession<D>, flight: InFlight,
    cookieReading: SessionCookieReading): Promise<void> {
    if (session.destroyed || isRevokedSession(session, flight)) return end(req, res, session, null);
    const storeKey = await write(req, res, session, cookieReading, flight.arrivedAtMs);
    // destroyAllForUser may have started while the write above was under way, after deleting what
    // was stored before it: the write would have put the session back. Take it out again.
    if (storeKey !== null && isRevokedSession(session, flight)) await end(req, res, session, storeKey);
  }

  // Deletes what was loaded (and what this request wrote, if anything) and clears the cookie.
  async function end(req: IncomingMessage, res: ServerResponse, session: LiveSession<D>, writtenKey: string | null) {
    if (session.loadedKey !== null) await store.destroy(session.loadedKey);
    if (writtenKey !== null && writtenKey !== session.loadedKey) await store.destroy(writtenKey);
    cookie.clear(req, res); // R06: even without a session, logout answers with a clearing cookie
  }

  // Deletes the session a regenerating request loaded, and remembers that it was replaced (see write()).
  async function replaceStored(storeKey: string): Promise<void> {
    recentlyReplaced.add(storeKey, now());
    await store.destroy(storeKey);
  }

  // Saves what changed, if anything; returns the store key written, or null.
  async function write(req: IncomingMessage, res: ServerResponse, session: LiveSession<D>,
    cookieReading: SessionCookieReading, arrivedAtMs: number): Promise<string | null> {
    const { loaded, loadedKey, nowMs } = session;
    if (session.regenerated) {
      // R05: the old ID dies with this request; the new one was never known to anyone else.
      if (loadedKey !== null) await replaceStored(loadedKey);
      return save(req, res, session, nowMs);
    }
    const changed = session.changed || session.userId !== (loaded?.userId ?? null) ||
      JSON.stringify(session.data) !== session.loadedDataJson;
    if (loaded === null || loadedKey === null) {
      // A request of the same session gave it a new ID (a login, a refresh) just before this one
      // arrived, or while this one queued behind it: that one has told the browser which cookie to keep.
      // A new session or a clearing cookie here would, if the browser handled this response last, undo
      // the login. (A logout needs no such care: the user is signed out whichever cookie lands last.
      // A cookie that was merely stale, expired or unknown, or replaced over 10 s before this request
      // came, is not spared: that request gets a new session as usual.)
      const cookieKey = cookieReading.verified?.storeKey;
      if (cookieKey !== undefined && recentlyReplaced.has(cookieKey, arrivedAtMs)) return null;
      if (changed || saveUninitialized) return save(req, res, session, nowMs);
      if (cookieReading.present) cookie.clear(req, res); // a stale or forged cookie: tell the browser to drop it
      return null;
    }
    const touch = isTouchDue(loaded, nowMs, timeouts);
    if (!changed && !touch) return null; // the common case: nothing to write, no Set-Cookie
    const lastSeenMs = touch ? nowMs : loaded.lastSeenMs;
    const record = toRecord(session, lastSeenMs, touch ? expiryOf(loaded.createdAtMs, nowMs, timeouts, session.userId) : loaded.expiresAtMs);
    if (changed) await store.set(loadedKey, record);
    else await store.touch(loadedKey, record);
    // Sliding renewal for the browser too: a new Max-Age whenever lastSeen moved.
    if (touch) cookie.write(req, res, session.id, secondsUntil(record.expiresAtMs, nowMs));
    return loadedKey;
  }

  async function save(req: IncomingMessage, res: ServerResponse, session: LiveSession<D>, nowMs: number): Promise<string> {
    const storeKey = storeKeyOf(session.id);
    const record = toRecord(session, nowMs, expiryOf(session.createdAtMs, nowMs, timeouts, session.userId));
    await store.set(storeKey, record);
    cookie.write(req, res, session.id, secondsUntil(record.expiresAtMs, nowMs));
    return storeKey;
  }

  return {
    withSession(req, res, fn) {
      if (requestsInSession.has(req)) {
        return Promise.reject(new TypeError("withSession() is already running for this request: a nested call " +
          "would wait for its own session lock forever; pass the session object down instead"));
      }
      res.setHeader("Cache-Control", "no-store"); // R09, set first: it holds even if fn throws
      const reading = cookie.readId(req);
      const arrivedAtMs = now();
      requestsInSession.add(req);
      if (reading.verified === null) return run(req, res, reading, arrivedAtMs, fn);
      const { storeKey } = reading.verified;
      return lock.run(storeKey, () => run(req, res, reading, arrivedAtMs, fn));
    },

    async peek(req) {
      if (requestsInSession.has(req)) {
        throw new TypeError("peek() inside withSession() for the same request would wait for its own session lock " +
          "forever; use the session object you were given");
      }
      const { verified } = cookie.readId(req);
      if (verified === null) return null;
      const { id, storeKey } = verified;
      // Under the session's lock, like every other read: a store may delete an expired record it reads
      // (FileStore does), and must never do so while a request of this session writes its renewal.
      return lock.run(storeKey, async () => {
        const record = await store.get(storeKey);
        const nowMs = now();
        if (record === null || isExpired(record, nowMs, timeouts)) return null;
        if (record.userId !== null && usersBeingDestroyed.has(record.userId)) return null;
        const { data, userId, createdAtMs, expiresAtMs } = record;
        return { id, data: data as D, userId, createdAtMs, expiresAtMs };
      });
    },

    async destroyAllForUser(userId, destroyOptions = {}) {
      const except = destroyOptions.except;
      if (except !== undefined && ![...inFlight].some((flight) => flight.session === except)) {
        throw new TypeError(`destroyAllForUser "except" is invalid: must be the session of a request still inside withSession()`);
      }
      // Requests already running (loading, in their callback, or saving) must not leave a session of
      // this user behind: each checks its mark before and after it writes (commit()).
      const markRunning = () => {
        for (const flight of inFlight) {
          if (flight.session !== except) (flight.revokedUsers ??= new Set()).add(userId);
        }
      };
      markRunning();
      usersBeingDestroyed.set(userId, (usersBeingDestroyed.get(userId) ?? 0) + 1);
      try {
        return await store.destroyByUser(userId);
      } finally {
        const remaining = usersBeingDestroyed.get(userId)! - 1;
        if (remaining === 0) usersBeingDestroyed.delete(userId);
        else usersBeingDestroyed.set(userId, remaining);
        markRunning(); // loads that began during the deletion may have read a record just before it went
        // The kept session was deleted with the others: save it again at its commit.
        if (except instanceof LiveSession) except.markChanged();
      }
    },
  };
}

function toRecord<D extends SessionData>(session: LiveSession<D>, lastSeenMs: number, expiresAtMs: number): SessionRecord {
  return { data: session.data, userId: session.userId, createdAtMs: session.createdAtMs, lastSeenMs, expiresAtMs };
}
