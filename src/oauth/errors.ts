// The three ways an OAuth sign-in can fail, as classes a caller branches on, each with a stable `code`.
// - OAuthCallbackError: the redirect back from the provider is not one we may accept (RFC 6749 §4.1.2,
//   §10.12; RFC 9207): a 400 page.
// - OAuthTokenError: the provider answered and said no (RFC 6749 §5.2 `error`, or ArcGIS's `error` object).
// - OAuthProtocolError: the provider is down, slow, failing (HTTP 5xx, `temporarily_unavailable`), or
//   answered something that is not OAuth: a 502/504. Never a reason to sign anyone out.
// Pitfall prevented: messages never contain a token, code or secret; `publicMessage` is fixed text that
// is safe to show; the provider's own `error_description` is kept apart (it is untrusted text).
// These are returned inside an `OAuthResult`, never thrown to the top.

export abstract class OAuthError extends Error {
  abstract readonly code: string;
  /** Fixed, safe text for the error page. Never contains provider-supplied text. */
  readonly publicMessage: string;
  /** The status the app should answer with: 400 for a bad callback or refused grant, 502/504 upstream. */
  readonly httpStatus: number;

  constructor(message: string, publicMessage: string, httpStatus: number, options?: { cause?: unknown }) {
    super(message, options);
    this.publicMessage = publicMessage;
    this.httpStatus = httpStatus;
  }
}

export type OAuthCallbackErrorCode =
  | "malformed_callback" // a parameter appears twice (RFC 6749 §3.1)
  | "no_pending_sign_in" // no sign-in in progress in this session, or its state was already used
  | "missing_state"
  | "state_mismatch"
  | "state_expired"
  | "missing_issuer" // RFC 9207 §2.4: the provider always sends `iss`, this response has none
  | "issuer_mismatch" // RFC 9207 §2.4: a mix-up attack, or a misconfigured issuer
  | "provider_error" // `error=` in the callback (RFC 6749 §4.1.2.1), e.g. access_denied
  | "missing_code";

export class OAuthCallbackError extends OAuthError {
  readonly code: OAuthCallbackErrorCode;
  /** For `provider_error`: the provider's `error` value (e.g. "access_denied"), else null. */
  readonly providerError: string | null;

  constructor(code: OAuthCallbackErrorCode, publicMessage: string, providerError: string | null = null) {
    super(`OAuth callback rejected: ${code}${providerError ? ` (${providerError})` : ""}`, publicMessage, 400);
    this.name = "OAuthCallbackError";
    this.code = code;
    this.providerError = providerError;
  }
}

export class OAuthTokenError extends OAuthError {
  /** The provider's error code: an RFC 6749 §5.2 value ("invalid_grant", ...) or ArcGIS's numeric code as text. */
  readonly code: string;
  /** The provider's description, shortened and stripped of control characters. For logs, not for pages. */
  readonly description: string | null;

  constructor(endpoint: string, code: string, description: string | null) {
    super(
      `the provider's ${endpoint} endpoint refused the request: ${code}`,
      "The sign-in provider refused the request. Please sign in again.",
      400,
    );
    this.name = "OAuthTokenError";
    this.code = code;
    this.description = description;
  }
}

export type OAuthProtocolErrorCode =
  | "timeout" // no complete answer within the timeout
  | "unreachable" // connection refused, DNS failure, TLS error, redirect refused
  | "http_status" // a 5xx (whatever the body), or another unexpected status without an OAuth error body
  | "provider_failure" // an error body that reports the provider's own failure, not a refusal (token-response.ts)
  | "not_json"
  | "response_too_large"
  | "malformed_response"; // JSON, but not the shape the spec requires

export class OAuthProtocolError extends OAuthError {
  readonly code: OAuthProtocolErrorCode;

  constructor(code: OAuthProtocolErrorCode, detail: string, options?: { cause?: unknown }) {
    super(
      `the sign-in provider did not answer as expected: ${code}: ${detail}`,
      code === "timeout"
        ? "The sign-in provider did not answer in time. Please try again later."
        : "The sign-in provider is not answering correctly right now. Please try again later.",
      code === "timeout" ? 504 : 502,
      options,
    );
    this.name = "OAuthProtocolError";
    this.code = code;
  }
}

/** What every OAuth operation that touches untrusted input returns. */
export type OAuthResult<T> = { ok: true; value: T } | { ok: false; error: OAuthError };

/**
 * Provider-supplied text, made safe to log: at most 200 characters, and no control characters (C0,
 * DEL, C1 with NEL U+0085) or line and paragraph separators (U+2028/9): each could start a forged log line.
 */
export function cleanProviderText(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ").slice(0, 200);
}
