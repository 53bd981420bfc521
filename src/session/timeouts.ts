// Expiry math for sessions, pure functions of the record, the clock and the settings.
// Idle timeout with sliding renewal: every touch moves expiry to lastSeen + idle (OWASP Session
// Management CS "Idle Timeout"), but never past createdAt + absolute ("Absolute Timeout"; R07, R08).
// A session without a user (a visitor's CSRF token, a sign-in in progress) may have a shorter idle
// limit than a signed-in one, so a long "remember me" lifetime is not granted to every anonymous GET.
// A session is invalid from its expiry instant on (now >= expiresAtMs). The stored expiresAtMs is
// trusted only if it is earlier than what today's settings allow: shortening a timeout in the
// configuration takes effect for existing sessions too. Bad settings throw a TypeError at start-up.
import type { SessionRecord } from "./store.ts";

export interface SessionTimeouts {
  idleMs: number;
  /** The idle limit while `userId` is null. */
  anonymousIdleMs: number;
  absoluteMs: number;
  touchIntervalMs: number;
}

export interface SessionTimeoutSettings {
  idleTimeoutSeconds: number;
  anonymousIdleTimeoutSeconds: number;
  absoluteTimeoutSeconds: number;
  touchIntervalSeconds: number;
}

/** Checks the settings once, at start-up, and converts them to milliseconds. */
export function sessionTimeouts(settings: SessionTimeoutSettings): SessionTimeouts {
  const { idleTimeoutSeconds, anonymousIdleTimeoutSeconds, absoluteTimeoutSeconds, touchIntervalSeconds } = settings;
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`session "${name}" is invalid: must be a positive whole number of seconds`);
    }
  }
  for (const name of ["idleTimeoutSeconds", "anonymousIdleTimeoutSeconds"] as const) {
    // Otherwise an active user's session would expire between two touches.
    if (touchIntervalSeconds >= settings[name]) {
      throw new TypeError(`session "touchIntervalSeconds" is invalid: must be less than "${name}"`);
    }
  }
  return {
    idleMs: idleTimeoutSeconds * 1000,
    anonymousIdleMs: anonymousIdleTimeoutSeconds * 1000,
    absoluteMs: absoluteTimeoutSeconds * 1000,
    touchIntervalMs: touchIntervalSeconds * 1000,
  };
}

/** The instant a session seen at lastSeenMs becomes invalid: the idle limit (by userId), capped by the absolute one. */
export function expiryOf(createdAtMs: number, lastSeenMs: number, timeouts: SessionTimeouts, userId: string | null): number {
  const idleMs = userId === null ? timeouts.anonymousIdleMs : timeouts.idleMs;
  return Math.min(lastSeenMs + idleMs, createdAtMs + timeouts.absoluteMs);
}

/** True from the expiry instant on, by the stored expiry or by today's settings, whichever is earlier. */
export function isExpired(record: SessionRecord, nowMs: number, timeouts: SessionTimeouts): boolean {
  const expiresAtMs = Math.min(record.expiresAtMs, expiryOf(record.createdAtMs, record.lastSeenMs, timeouts, record.userId));
  return nowMs >= expiresAtMs;
}

/** True when lastSeen is at least one touch interval old: time to write it again (at most once per interval). */
export function isTouchDue(record: SessionRecord, nowMs: number, timeouts: SessionTimeouts): boolean {
  return nowMs - record.lastSeenMs >= timeouts.touchIntervalMs;
}

/** Whole seconds from now until expiry, rounded up, for the cookie's Max-Age (0 when already past). */
export function secondsUntil(expiresAtMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((expiresAtMs - nowMs) / 1000));
}
