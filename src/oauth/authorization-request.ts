// Builds the URL that sends the browser to the provider's sign-in page (RFC 6749 §4.1.1), with a
// fresh `state` (RFC 6749 §10.12, RFC 9700 §4.7) and a PKCE S256 challenge (RFC 7636 §4.3).
// Returns the URL and the `pending` record the app keeps in the server-side session until the
// callback: state and code verifier must never travel to the browser except as the URL parameters
// the spec puts there. The session cookie carrying it must be SameSite=Lax, not Strict: a Strict
// cookie is not sent on the provider's cross-site redirect back, and the state would be lost.
// Pitfall prevented: a static or missing state (login CSRF) and codes usable without the verifier.
import { randomToken } from "../crypto/random.ts";
import { codeChallengeS256, createCodeVerifier } from "./pkce.ts";
import type { OAuthProvider } from "./providers.ts";

/** Kept in the session between /sign-in and the callback; JSON-serializable. Delete it on first use. */
export interface PendingAuthorization {
  state: string;
  codeVerifier: string;
  createdAtMs: number;
  /** The redirect URI of this request: the token request must repeat it exactly (RFC 6749 §4.1.3). */
  redirectUri: string;
  /** Expected `iss` in the callback (RFC 9207), and whether its absence is an error. */
  issuer: string | null;
  issuerRequired: boolean;
}

export interface AuthorizationRequest {
  url: string;
  pending: PendingAuthorization;
}

const stateBytes = 32; // 256 bits; RFC 6749 §10.10 asks for at least 128

export function createAuthorizationRequest(
  provider: OAuthProvider,
  options: { now?: () => number } = {},
): AuthorizationRequest {
  const now = options.now ?? Date.now;
  const state = randomToken(stateBytes);
  const codeVerifier = createCodeVerifier();
  const url = new URL(provider.authorizationEndpoint);
  // Provider extras first, so they can never replace a security parameter below.
  for (const [name, value] of Object.entries(provider.authorizationParams)) url.searchParams.set(name, value);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", provider.clientId);
  url.searchParams.set("redirect_uri", provider.redirectUri);
  if (provider.scope !== "") url.searchParams.set("scope", provider.scope);
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", codeChallengeS256(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  return {
    url: url.href,
    pending: {
      state,
      codeVerifier,
      createdAtMs: now(),
      redirectUri: provider.redirectUri,
      issuer: provider.issuer,
      issuerRequired: provider.issuerInCallback,
    },
  };
}
