// Sends one request to a provider with `fetch` (injected for tests) and reads the answer as text,
// with a timeout covering connect, headers and body (one AbortSignal) and a size cap.
// Pitfall prevented: a provider that is down or never answers must give the user an error page in
// seconds, not hang the request (and the session lock) forever or crash the process. Redirects are
// refused (`redirect: "error"`): following one would resend a code or client secret to another URL.
// Returns OAuthResult: the status and body text, or OAuthProtocolError("timeout" | "unreachable" |
// "response_too_large"). Never throws, whatever `fetch` does.
import { OAuthProtocolError, type OAuthResult } from "./errors.ts";
import type { OAuthHttpRequest } from "./token-request.ts";

export interface HttpResponseText {
  status: number;
  contentType: string | null;
  text: string;
}

/** The part of `fetch` we use; the global `fetch` fits, and so does a test double. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpClientOptions {
  fetch?: FetchFunction;
  /** Whole exchange, connect to last byte. */
  timeoutMs?: number;
  maxResponseBytes?: number;
}

export const defaultTimeoutMs = 10_000; // a sign-in page should fail visibly before a user gives up on it
const defaultMaxResponseBytes = 64 * 1024; // token and userinfo answers are a few KiB at most

export async function sendOAuthRequest(
  request: OAuthHttpRequest,
  options: HttpClientOptions = {},
): Promise<OAuthResult<HttpResponseText>> {
  const fetchFunction = options.fetch ?? fetch;
  const maxBytes = options.maxResponseBytes ?? defaultMaxResponseBytes;
  // Our own timer rather than AbortSignal.timeout(), whose timer is unref'd: with nothing else
  // keeping the event loop alive (a script, a test) the process would exit instead of timing out.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("timed out", "TimeoutError")), options.timeoutMs ?? defaultTimeoutMs);
  try {
    return await exchange(request, fetchFunction, controller.signal, maxBytes);
  } finally {
    clearTimeout(timer);
  }
}

async function exchange(
  request: OAuthHttpRequest,
  fetchFunction: FetchFunction,
  signal: AbortSignal,
  maxBytes: number,
): Promise<OAuthResult<HttpResponseText>> {
  const host = safeHost(request.url);
  const failure = (error: unknown, stage: string): { ok: false; error: OAuthProtocolError } => {
    if (signal.aborted) {
      return { ok: false, error: new OAuthProtocolError("timeout", `${host} did not answer in time`, { cause: error }) };
    }
    if (error instanceof ResponseTooLarge) {
      return { ok: false, error: new OAuthProtocolError("response_too_large", `${host} sent more than ${maxBytes} bytes`) };
    }
    return { ok: false, error: new OAuthProtocolError("unreachable", `${host} failed while ${stage}`, { cause: error }) };
  };

  let response: Response;
  try {
    // Raced against the signal: a fetch that ignores it (a test double, a wrapper) cannot hang us.
    const aborted = new Promise<never>((_resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    const init: RequestInit = {
      method: request.method,
      headers: request.headers,
      body: request.body ?? undefined,
      signal,
      redirect: "error",
    };
    response = await Promise.race([fetchFunction(request.url, init), aborted]);
  } catch (error) {
    return failure(error, "connecting");
  }
  try {
    const text = await readLimited(response, maxBytes, signal);
    if (signal.aborted) return failure(signal.reason, "reading the answer");
    return { ok: true, value: { status: response.status, contentType: response.headers.get("content-type"), text } };
  } catch (error) {
    return failure(error, "reading the answer");
  }
}

class ResponseTooLarge extends Error {}

async function readLimited(response: Response, maxBytes: number, signal: AbortSignal): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  // fetch aborts its own body on the signal; a test double may not, so cancel the reader ourselves.
  const onAbort = () => void reader.cancel().catch(() => {});
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new ResponseTooLarge();
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

// For messages: the host only, never the query (which could hold a code or token).
function safeHost(url: string): string {
  return URL.canParse(url) ? new URL(url).host : "the provider";
}
