// The local provider's authorization codes (RFC 6749 §4.1.2–4.1.3, RFC 7636 §4.6, RFC 9700 §4.8):
// single use, 60 seconds (RFC 6749 asks for at most 10 minutes), bound to the client, the exact
// redirect_uri and the PKCE challenge. Any redemption attempt uses the code up; a second attempt is
// a replay, and the tokens issued from the code are revoked (RFC 6749 §4.1.2, §10.5; R23).
// A code_verifier for a code issued without a challenge is refused too: that is the PKCE downgrade
// attack (RFC 9700 §2.1.1, §4.8).
// Codes are stored by SHA-256, bounded in number; clock injected. Refusals are values, never throws.
import { randomToken } from "../../crypto/random.ts";
import { verifyCodeChallengeS256 } from "../pkce.ts";
import { tokenKey, type Refusal, type TokenFamilies, type IssuedTokens } from "./token-families.ts";

export const codeLifetimeSeconds = 60; // one redirect and one back-channel request; RFC 6749 §4.1.2: ≤ 10 min
const replayMemorySeconds = 10 * 60; // a used code is remembered this long, to catch (and punish) a replay

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  codeChallenge: string | null;
  username: string;
  scope: string;
  issuedAtMs: number;
  used: boolean;
  familyId: string | null;
}

export interface CodeRedemption {
  code: string | undefined;
  clientId: string;
  redirectUri: string | undefined;
  codeVerifier: string | undefined;
}

export class AuthorizationCodes {
  readonly #codes = new Map<string, CodeRecord>();
  readonly #families: TokenFamilies;
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: { families: TokenFamilies; now: () => number; maxEntries?: number }) {
    this.#families = options.families;
    this.#now = options.now;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  issue(grant: { clientId: string; redirectUri: string; codeChallenge: string | null; username: string; scope: string }): string {
    this.#prune();
    const code = randomToken(32);
    this.#codes.set(tokenKey(code), { ...grant, issuedAtMs: this.#now(), used: false, familyId: null });
    return code;
  }

  redeem(request: CodeRedemption): { ok: true; tokens: IssuedTokens } | Refusal {
    const record = request.code === undefined ? undefined : this.#codes.get(tokenKey(request.code));
    if (!record) return refuse("the code is unknown or expired");
    if (record.used) {
      if (record.familyId !== null) this.#families.revokeFamily(record.familyId);
      return refuse("the code was already used; tokens issued from it are revoked");
    }
    record.used = true; // before any other check: a code gets exactly one chance
    if (this.#now() - record.issuedAtMs >= codeLifetimeSeconds * 1000) return refuse("the code has expired");
    if (record.clientId !== request.clientId) return refuse("the code was issued to another client");
    // "identical" (RFC 6749 §4.1.3): a plain string comparison, no normalization.
    if (request.redirectUri !== record.redirectUri) return refuse("redirect_uri differs from the authorization request");
    if (record.codeChallenge === null) {
      if (request.codeVerifier !== undefined) return refuse("code_verifier sent, but the authorization request had no code_challenge");
    } else if (!verifyCodeChallengeS256(request.codeVerifier, record.codeChallenge)) {
      return refuse("code_verifier does not match the code_challenge");
    }
    const { familyId, tokens } = this.#families.start(record);
    record.familyId = familyId;
    return { ok: true, tokens };
  }

  // Codes are added in time order, so the oldest come first: stop at the first one still remembered
  // and within the limit. The work is what is dropped, not the map's size.
  #prune(): void {
    const now = this.#now();
    for (const [key, record] of this.#codes) {
      const forgotten = now - record.issuedAtMs >= replayMemorySeconds * 1000;
      if (!forgotten && this.#codes.size < this.#maxEntries) break;
      this.#codes.delete(key);
    }
  }
}

function refuse(description: string): Refusal {
  return { ok: false, error: "invalid_grant", description };
}
