// The local provider's tokens (a teaching aid, but correct). Every grant is a "family": one user, one
// client, the access and refresh tokens issued from one authorization code. Refresh rotates: each use
// of a refresh token retires it and issues a new one; presenting a retired one again means it was
// copied, so the whole family is revoked (RFC 9700 §4.14.2, refresh token rotation). Revoking a refresh
// token revokes its family's access tokens too (RFC 7009 §2.1).
// Tokens are 32 random bytes; maps are keyed by their SHA-256, so a heap dump holds no usable token
// (R02). Memory is bounded per grant and in grants: a family remembers its last 20 retired refresh
// tokens (an older one is just unknown: refused, without revoking) and its 4 newest access tokens; past
// `maxEntries` grants, the oldest goes. So a client refreshing in a loop cannot grow memory or make
// each request slower. Clock injected.
// Bad input (unknown, expired, revoked, another client's token) gives a refusal value, never a throw.
import { createHash } from "node:crypto";
import { randomToken } from "../../crypto/random.ts";

// Reuse is detected for the last 20 rotations: with 10-minute access tokens, over 3 hours of refreshes.
export const retiredRefreshTokensRemembered = 20;
// A client uses the newest access token; older ones of the grant only wait for their expiry.
export const liveAccessTokensPerGrant = 4;

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresInSeconds: number;
  scope: string;
}

interface Family {
  clientId: string;
  username: string;
  scope: string;
  refreshExpiresAtMs: number;
  revoked: boolean;
  /** Keys of this family's refresh tokens still remembered, oldest first; the last one is live. */
  refreshKeys: string[];
  /** Keys of its newest access tokens, oldest first. */
  accessKeys: string[];
}

export type Refusal = { ok: false; error: "invalid_grant"; description: string };

export function tokenKey(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("base64url");
}

export class TokenFamilies {
  // Insertion order is start order, and every family lives as long: the first one expires first.
  readonly #families = new Map<string, Family>();
  readonly #refreshTokens = new Map<string, { familyId: string; rotated: boolean }>();
  readonly #accessTokens = new Map<string, { familyId: string; expiresAtMs: number }>();
  readonly #now: () => number;
  readonly #accessLifetimeSeconds: number;
  readonly #refreshLifetimeSeconds: number;
  readonly #maxEntries: number;

  constructor(options: {
    now: () => number;
    accessTokenLifetimeSeconds: number;
    refreshTokenLifetimeSeconds: number;
    maxEntries?: number;
  }) {
    this.#now = options.now;
    this.#accessLifetimeSeconds = options.accessTokenLifetimeSeconds;
    this.#refreshLifetimeSeconds = options.refreshTokenLifetimeSeconds;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** Tokens remembered, live or retired (for tests and metrics). */
  get size(): number {
    return this.#refreshTokens.size + this.#accessTokens.size;
  }

  /** A new family for a redeemed code; returns its id (kept with the code, to revoke it on replay). */
  start(grant: { clientId: string; username: string; scope: string }): { familyId: string; tokens: IssuedTokens } {
    this.#prune({ makeRoom: true });
    const familyId = randomToken(16);
    const refreshExpiresAtMs = this.#now() + this.#refreshLifetimeSeconds * 1000;
    const { clientId, username, scope } = grant;
    this.#families.set(familyId, { clientId, username, scope, refreshExpiresAtMs, revoked: false, refreshKeys: [], accessKeys: [] });
    return { familyId, tokens: this.#issue(familyId) };
  }

  refresh(refreshToken: string, clientId: string): { ok: true; tokens: IssuedTokens } | Refusal {
    const entry = this.#refreshTokens.get(tokenKey(refreshToken));
    const family = entry && this.#families.get(entry.familyId);
    if (!entry || !family || family.revoked) return refuse("the refresh token is unknown or revoked");
    // Bound to the client it was issued to (RFC 6749 §6, §10.4).
    if (family.clientId !== clientId) return refuse("the refresh token was issued to another client");
    if (entry.rotated) {
      // A retired token came back: someone holds a copy. Revoke everything issued from this grant.
      family.revoked = true;
      return refuse("the refresh token was already used; all tokens of this grant are revoked");
    }
    if (this.#now() >= family.refreshExpiresAtMs) return refuse("the refresh token has expired");
    entry.rotated = true; // kept (not deleted) for a while: that is what detects reuse
    this.#prune({ makeRoom: false }); // after the checks, so an expired token is told "expired"
    return { ok: true, tokens: this.#issue(entry.familyId) };
  }

  /** RFC 7009: "revoked" (or already unknown: also success, §2.2) or "other_client" (refused, §2.1). */
  revoke(token: string, clientId: string): "revoked" | "other_client" {
    const key = tokenKey(token);
    const refresh = this.#refreshTokens.get(key);
    const access = this.#accessTokens.get(key);
    const familyId = refresh?.familyId ?? access?.familyId;
    const family = familyId === undefined ? undefined : this.#families.get(familyId);
    if (!family) return "revoked";
    if (family.clientId !== clientId) return "other_client";
    if (refresh) family.revoked = true; // the whole grant: its access tokens die with it
    else this.#accessTokens.delete(key);
    return "revoked";
  }

  revokeFamily(familyId: string): void {
    const family = this.#families.get(familyId);
    if (family) family.revoked = true;
  }

  /** The grant behind a live access token, or null (unknown, expired, revoked). */
  lookupAccessToken(token: string): { username: string; clientId: string; scope: string } | null {
    const entry = this.#accessTokens.get(tokenKey(token));
    const family = entry && this.#families.get(entry.familyId);
    if (!entry || !family || family.revoked || this.#now() >= entry.expiresAtMs) return null;
    return { username: family.username, clientId: family.clientId, scope: family.scope };
  }

  familyScope(refreshToken: string): string | null {
    const entry = this.#refreshTokens.get(tokenKey(refreshToken));
    return (entry && this.#families.get(entry.familyId)?.scope) ?? null;
  }

  #issue(familyId: string): IssuedTokens {
    const family = this.#families.get(familyId)!;
    const accessToken = randomToken(32);
    const refreshToken = randomToken(32);
    const accessKey = tokenKey(accessToken);
    const refreshKey = tokenKey(refreshToken);
    this.#accessTokens.set(accessKey, { familyId, expiresAtMs: this.#now() + this.#accessLifetimeSeconds * 1000 });
    this.#refreshTokens.set(refreshKey, { familyId, rotated: false });
    family.accessKeys.push(accessKey);
    family.refreshKeys.push(refreshKey);
    // Oldest first out: superseded access tokens, then retired refresh tokens past the watch window.
    while (family.accessKeys.length > liveAccessTokensPerGrant) this.#accessTokens.delete(family.accessKeys.shift()!);
    while (family.refreshKeys.length > 1 + retiredRefreshTokensRemembered) {
      this.#refreshTokens.delete(family.refreshKeys.shift()!);
    }
    return { accessToken, refreshToken, expiresInSeconds: this.#accessLifetimeSeconds, scope: family.scope };
  }

  // Drops expired families from the front (the oldest) and, to make room, the oldest live ones: the
  // work is proportional to what is dropped, never to how many tokens exist.
  #prune(options: { makeRoom: boolean }): void {
    const now = this.#now();
    for (const [id, family] of this.#families) {
      const full = options.makeRoom && this.#families.size >= this.#maxEntries;
      if (now < family.refreshExpiresAtMs && !full) break;
      this.#families.delete(id);
      for (const key of family.refreshKeys) this.#refreshTokens.delete(key);
      for (const key of family.accessKeys) this.#accessTokens.delete(key);
    }
  }
}

function refuse(description: string): Refusal {
  return { ok: false, error: "invalid_grant", description };
}
