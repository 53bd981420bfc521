// Drives a session manager without a network: real IncomingMessage/ServerResponse objects (never
// sent), a cookie jar per "browser", and a store wrapper that records every call.
import { IncomingMessage, ServerResponse } from "node:http";
import { Socket } from "node:net";
import { randomToken } from "../../src/crypto/random.ts";
import { MemoryStore } from "../../src/session/memory-store.ts";
import { createSessionManager, type Session, type SessionManager, type SessionManagerOptions } from "../../src/session/manager.ts";
import type { SessionRecord, SessionStore } from "../../src/session/store.ts";
import { createClock, type TestClock } from "../helpers/clock.ts";
import { CookieJar } from "../helpers/cookie-jar.ts";

export const secret = randomToken();

/** A store that forwards to another and records each call as "method key". */
export class RecordingStore implements SessionStore {
  readonly calls: string[] = [];
  readonly inner: SessionStore;

  constructor(inner: SessionStore) {
    this.inner = inner;
  }
  writes(): string[] {
    return this.calls.filter((call) => !call.startsWith("get "));
  }
  get(key: string) {
    this.calls.push(`get ${key}`);
    return this.inner.get(key);
  }
  set(key: string, record: SessionRecord) {
    this.calls.push(`set ${key}`);
    return this.inner.set(key, record);
  }
  touch(key: string, record: SessionRecord) {
    this.calls.push(`touch ${key}`);
    return this.inner.touch(key, record);
  }
  destroy(key: string) {
    this.calls.push(`destroy ${key}`);
    return this.inner.destroy(key);
  }
  destroyByUser(userId: string) {
    this.calls.push(`destroyByUser ${userId}`);
    return this.inner.destroyByUser(userId);
  }
}

export interface Harness {
  clock: TestClock;
  memory: MemoryStore;
  store: RecordingStore;
  sessions: SessionManager;
}

export function harness(options: Partial<SessionManagerOptions> = {}): Harness {
  const clock = createClock();
  const memory = new MemoryStore({ now: clock.now });
  const store = new RecordingStore(memory);
  const sessions = createSessionManager({ store, secrets: [secret], now: clock.now, ...options });
  return { clock, memory, store, sessions };
}

export function fakeRequest(headers: Record<string, string | undefined> = {}): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  req.method = "GET";
  req.url = "/";
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) req.headers[name] = value;
  return req;
}

export interface Visit<T> {
  result: T;
  res: ServerResponse;
  setCookie: string[];
}

/** One request from the browser whose cookies are in `jar`; Set-Cookie lines go back into the jar. */
export async function visit<T>(
  sessions: SessionManager,
  jar: CookieJar,
  fn: (session: Session) => T | Promise<T>,
  headers: Record<string, string | undefined> = {},
): Promise<Visit<T>> {
  const req = fakeRequest({ cookie: jar.header(), ...headers });
  const res = new ServerResponse(req);
  const result = await sessions.withSession(req, res, fn);
  const header = res.getHeader("set-cookie");
  const setCookie = header === undefined ? [] : Array.isArray(header) ? header : [String(header)];
  for (const line of setCookie) jar.storeSetCookie(line);
  return { result, res, setCookie };
}

/** The view counter of step 01, as a session callback. */
export function countView(session: Session): number {
  session.data.views = (Number(session.data.views) || 0) + 1;
  return session.data.views as number;
}

export { CookieJar };
