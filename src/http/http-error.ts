// An error that ends a request with a chosen status and a message that is safe to show the client.
// Building blocks throw it for untrusted input (body too large → 413, store unwritable → 503);
// the error boundary (error-boundary.ts) turns it into the response. Spec: RFC 9110 §15.5–15.6.
// Pitfall: sending `err.message` of an arbitrary error leaks internals (paths, SQL, stack hints);
// only `publicMessage` of an HttpError ever reaches the client, the cause stays in the logs.
// Bad input: a status outside 400–599 is a programmer error and throws a TypeError.

export interface HttpErrorOptions {
  /** The underlying error, kept for the log (never sent to the client). */
  cause?: unknown;
  /** Extra response headers, e.g. `Retry-After` on a 429 or `Connection: close` on a 413. */
  headers?: Readonly<Record<string, string>>;
}

export class HttpError extends Error {
  readonly status: number;
  readonly publicMessage: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, publicMessage: string, options?: HttpErrorOptions) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new TypeError(`HttpError "status" is invalid: must be an integer from 400 to 599 (RFC 9110 §15.5)`);
    }
    super(publicMessage, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HttpError";
    this.status = status;
    this.publicMessage = publicMessage;
    this.headers = { ...options?.headers };
  }
}
