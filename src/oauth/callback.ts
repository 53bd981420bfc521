// Checks the provider's redirect back to the app (the callback query) against the pending sign-in
// kept in the session, before any code is exchanged. Pure: no I/O, the clock injected.
// Order, each check its own error code: duplicated parameters (RFC 6749 §3.1) → a pending sign-in
// exists → `state` present, equal (constant time) and younger than 10 minutes (RFC 6749 §10.12,
// RFC 9700 §4.7) → `iss` equal to the expected issuer (RFC 9207 §2.4; mix-up defence) → `error=`
// (RFC 6749 §4.1.2.1) → `code` present. State is checked before `error=`, so only a response that
// carries the state is believed: a forged `error=access_denied` is a state mismatch, never "you
// declined". The caller deletes `pending` from the session first, so a state is good for one callback
// only (R22); the price: any callback, even a forged one another page makes the browser open, ends
// the sign-in in progress (it cannot finish or alter it), and the user has to start it again.
// Returns { ok: true, value: { code, pending } } or { ok: false, error: OAuthCallbackError }; never throws.
import { timingSafeEqual } from "node:crypto";
import type { PendingAuthorization } from "./authorization-request.ts";
import { OAuthCallbackError, type OAuthResult } from "./errors.ts";

export const stateMaxAgeSeconds = 10 * 60; // time to sign in at the provider; an older callback is a stale tab or a replay

export function validateCallback(
  query: URLSearchParams,
  pending: PendingAuthorization | null | undefined,
  options: { now?: () => number } = {},
): OAuthResult<{ code: string; pending: PendingAuthorization }> {
  const now = options.now ?? Date.now;
  const fail = (code: ConstructorParameters<typeof OAuthCallbackError>[0], message: string, providerError?: string) => ({
    ok: false as const,
    error: new OAuthCallbackError(code, message, providerError ?? null),
  });
  const again = "Please start the sign-in again.";

  for (const name of ["state", "code", "error", "iss"]) {
    if (query.getAll(name).length > 1) return fail("malformed_callback", `The sign-in response was malformed. ${again}`);
  }
  if (!pending || typeof pending.state !== "string") {
    return fail("no_pending_sign_in", `This sign-in response does not belong to a sign-in in progress. ${again}`);
  }
  const state = query.get("state");
  if (state === null || state === "") return fail("missing_state", `The sign-in response had no state. ${again}`);
  if (!sameText(state, pending.state)) {
    return fail("state_mismatch", `The sign-in response does not match your sign-in. ${again}`);
  }
  if (!(now() - pending.createdAtMs <= stateMaxAgeSeconds * 1000)) {
    return fail("state_expired", `The sign-in took too long. ${again}`);
  }

  const iss = query.get("iss");
  if (pending.issuer !== null && iss !== null && iss !== pending.issuer) {
    return fail("issuer_mismatch", `The sign-in response came from an unexpected provider. ${again}`);
  }
  if (pending.issuerRequired && iss === null) {
    return fail("missing_issuer", `The sign-in response did not name its provider. ${again}`);
  }

  const error = query.get("error");
  if (error !== null) {
    const message =
      error === "access_denied" ? "You declined the sign-in." : `The sign-in provider reported an error. ${again}`;
    // Only a known-safe token goes into the error object: `error` is attacker-controllable text.
    return fail("provider_error", message, /^[\x20-\x7e]{1,64}$/.test(error) ? error : "invalid");
  }

  const code = query.get("code");
  if (code === null || code === "") return fail("missing_code", `The sign-in response had no code. ${again}`);
  return { ok: true, value: { code, pending } };
}

function sameText(a: string, b: string): boolean {
  const aBytes = Buffer.from(a, "utf8");
  const bBytes = Buffer.from(b, "utf8");
  return aBytes.length === bBytes.length && timingSafeEqual(aBytes, bBytes);
}
