// Reading and writing the session cookie: `sid=<id>.<HMAC>` signed with the first secret, verified
// against all (rotation, R11). Over HTTPS the name gets the `__Host-` prefix and `Secure` (R03):
// browsers then refuse the cookie from plain HTTP or a sibling subdomain (RFC 6265bis §4.1.3.2).
// Always HttpOnly with an explicit SameSite (Lax by default). Pitfall prevented: adopting whatever the
// browser sends. readId() yields an ID only if the signature verifies and the ID has our exact shape;
// anything else (forged, tampered, truncated, "../", huge) is `verified: null` and goes nowhere near a
// store. Bad settings throw a TypeError at start-up. The secrets are copied then (rotate by restarting
// with the new list), so values that verified can be remembered (by SHA-256) in a bounded map: no HMAC.
import type { IncomingMessage, ServerResponse } from "node:http";
import { readCookie } from "../cookies/parse.ts";
import { clearCookie, serializeCookie, type CookieOptions } from "../cookies/serialize.ts";
import { sign, unsign } from "../cookies/sign.ts";
import { assertSecrets } from "../crypto/secret-strength.ts";
import { isWellFormedSessionId, sha256Base64url, storeKeyOf } from "./session-id.ts";

export interface SessionCookieSettings {
  name: string;
  secrets: readonly string[];
  path: string;
  domain: string | undefined;
  sameSite: "Strict" | "Lax" | "None";
  /** true: Max-Age follows the session's expiry; false: a browser-session cookie (no Max-Age). */
  persistent: boolean;
  isSecureRequest: (req: IncomingMessage) => boolean;
}

/** A session ID that verified, with its store key (computed once, remembered with it). */
export interface VerifiedSessionId {
  readonly id: string;
  readonly storeKey: string;
}

/** What the request's cookie says: `present` even when the value was rejected (verified null). */
export interface SessionCookieReading {
  verified: VerifiedSessionId | null;
  present: boolean;
}

const maxSignedValueLength = 100; // 43-character ID + "." + 43-character MAC = 87; longer is not ours
const maxLifetimeSeconds = 400 * 24 * 60 * 60; // browsers cap cookies at 400 days (RFC 6265bis)
const maxRememberedValues = 10_000; // ~3 MiB; a forgotten value just costs one HMAC again

export class SessionCookie {
  readonly #settings: SessionCookieSettings;
  readonly #plainName: string;
  readonly #secureName: string;
  // SHA-256(cookie value) → the ID it verified to, and its store key. Keyed by a hash, not the value: a Map lookup
  // compares strings with an early exit, which must never run over an attacker's guess of a cookie.
  // Safe to remember: the secrets are a private frozen copy, so a value that verified once verifies
  // for this instance's whole life (a caller editing its array can't revoke some values and not others).
  readonly #verified = new Map<string, VerifiedSessionId>();

  constructor(settings: SessionCookieSettings) {
    assertSecrets(settings.secrets);
    this.#settings = { ...settings, secrets: Object.freeze([...settings.secrets]) };
    this.#plainName = settings.name;
    // __Host- demands Path=/ and no Domain; with either configured, __Secure- is the strongest prefix left.
    const prefix = settings.path === "/" && settings.domain === undefined ? "__Host-" : "__Secure-";
    this.#secureName = prefix + settings.name;
    // Serialize once now, so a bad name, path, domain or SameSite fails at start-up, not per request.
    serializeCookie(this.#secureName, "x", this.#attributes(true));
    serializeCookie(this.#plainName, "x", this.#attributes(false));
  }

  /** The cookie name this request uses: `__Host-sid` over HTTPS, `sid` otherwise. */
  nameFor(req: IncomingMessage): string {
    return this.#settings.isSecureRequest(req) ? this.#secureName : this.#plainName;
  }

  readId(req: IncomingMessage): SessionCookieReading {
    const value = readCookie(req.headers.cookie, this.nameFor(req));
    if (value === undefined) return { verified: null, present: false };
    if (value.length > maxSignedValueLength) return { verified: null, present: true }; // no HMAC for junk
    return { verified: this.#verify(value), present: true };
  }

  #verify(value: string): VerifiedSessionId | null {
    const digest = sha256Base64url(value);
    const known = this.#verified.get(digest);
    if (known !== undefined) return known;
    const id = unsign(value, this.#settings.secrets);
    if (!isWellFormedSessionId(id)) return null;
    // Full: start over. Deleting just the oldest entry would step over every slot deleted before it
    // (V8 Maps keep them until they rehash): ~20 µs per new value once full, against one HMAC (~4 µs)
    // for each value forgotten here.
    if (this.#verified.size >= maxRememberedValues) this.#verified.clear();
    const verified = { id, storeKey: storeKeyOf(id) };
    this.#verified.set(digest, verified);
    return verified;
  }

  /** Sets the signed cookie; maxAgeSeconds is used only for persistent cookies. */
  write(req: IncomingMessage, res: ServerResponse, id: string, maxAgeSeconds: number): void {
    const secure = this.#settings.isSecureRequest(req);
    const options = this.#attributes(secure);
    if (this.#settings.persistent) options.maxAge = Math.min(maxAgeSeconds, maxLifetimeSeconds);
    const name = secure ? this.#secureName : this.#plainName;
    setCookieHeader(res, name, serializeCookie(name, sign(id, this.#settings.secrets[0]!), options));
  }

  /** Deletes the cookie in the browser: same name, Path and Domain, Max-Age=0 (R06). */
  clear(req: IncomingMessage, res: ServerResponse): void {
    const secure = this.#settings.isSecureRequest(req);
    const name = secure ? this.#secureName : this.#plainName;
    setCookieHeader(res, name, clearCookie(name, this.#attributes(secure)));
  }

  #attributes(secure: boolean): CookieOptions {
    const { path, domain, sameSite } = this.#settings;
    // Browsers refuse SameSite=None without Secure (RFC 6265bis §5.7 step 21). Over plain HTTP (local
    // development) the cookie is Lax instead: it works same-site, rather than a 500 on every request.
    const effectiveSameSite = sameSite === "None" && !secure ? "Lax" : sameSite;
    return { path, domain, sameSite: effectiveSameSite, httpOnly: true, secure };
  }
}

// One Set-Cookie per name per response (RFC 6265bis §4.1.1): replace ours, keep everyone else's.
function setCookieHeader(res: ServerResponse, name: string, line: string): void {
  if (res.headersSent) {
    throw new Error("session cookie can't be set: the response was already sent inside the withSession " +
      "callback; send it after withSession resolves");
  }
  const existing = res.getHeader("Set-Cookie");
  if (existing === undefined) {
    res.setHeader("Set-Cookie", line);
    return;
  }
  const lines = Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader("Set-Cookie", [...lines.filter((other) => !other.startsWith(`${name}=`)), line]);
}
