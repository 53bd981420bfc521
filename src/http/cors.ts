// CORS for a front end on another origin that sends cookies (`fetch(url, { credentials: "include" })`).
// Spec: Fetch Standard §3.2 (CORS protocol: preflight, Access-Control-Allow-Credentials, Vary: Origin),
// RFC 6454 §6.2 (origins compare as exact serialized strings); OWASP CSRF CS "Custom Headers and CORS".
// Pitfall: reflecting any Origin with Allow-Credentials (or `*`, which browsers refuse with credentials)
// lets every site read your users' data; forgetting `Vary: Origin` lets a cache serve one origin's
// answer to another. Here only exact allow-listed origins get CORS headers (R20); others get none.
// CORS only decides who may *read* responses: refusing other origins' writes is fetch-metadata.ts (R18).
// Bad input: a malformed allow-list entry is a TypeError at start-up; a request never throws.
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { sendJson, sendNoContent } from "./respond.ts";

export interface CorsOptions {
  /** Exact origins such as "https://app.example" (scheme://host[:port], nothing after). Never "*". */
  allowedOrigins: readonly string[];
  /** Default GET, HEAD, POST. */
  allowedMethods?: readonly string[];
  /** Request headers a script may set beyond the safelisted ones; default Content-Type (for JSON). */
  allowedHeaders?: readonly string[];
  /** Response headers a script may read beyond the safelisted ones, e.g. Retry-After. Default none. */
  exposedHeaders?: readonly string[];
  /** How long a browser may reuse a preflight answer; default 600 (Chromium caps it at 7200). */
  maxAgeSeconds?: number;
}

export interface CorsPolicy {
  readonly allowedOrigins: readonly string[];
  readonly allowedMethods: readonly string[];
  readonly allowedHeaders: readonly string[];
  readonly exposedHeaders: readonly string[];
  readonly maxAgeSeconds: number;
}

export type CorsDecision =
  /** An OPTIONS preflight: answer it with this status and these headers, and stop. */
  | { kind: "preflight"; status: 204 | 403; headers: Record<string, string> }
  /** Any other request: add these headers (maybe only Vary) and handle it as usual. */
  | { kind: "request"; headers: Record<string, string> };

const defaultMaxAgeSeconds = 10 * 60; // a changed allow-list reaches browsers within ten minutes
const tokenRegExp = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/; // RFC 9110 §5.6.2 token: method and header names

/** Checks the options once, at start-up: every origin must be written exactly as browsers send it. */
export function createCorsPolicy(options: CorsOptions): CorsPolicy {
  for (const origin of options.allowedOrigins) assertOrigin(origin);
  const tokens = (name: string, values: readonly string[]) => {
    for (const value of values) {
      if (!tokenRegExp.test(value)) throw new TypeError(`CORS "${name}" entry "${value}" is invalid: must be a token (RFC 9110 §5.6.2)`);
    }
    return [...values];
  };
  const maxAgeSeconds = options.maxAgeSeconds ?? defaultMaxAgeSeconds;
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new TypeError(`CORS "maxAgeSeconds" is invalid: must be a whole number of seconds`);
  }
  return {
    allowedOrigins: [...options.allowedOrigins],
    allowedMethods: tokens("allowedMethods", options.allowedMethods ?? ["GET", "HEAD", "POST"]),
    allowedHeaders: tokens("allowedHeaders", options.allowedHeaders ?? ["Content-Type"]),
    exposedHeaders: tokens("exposedHeaders", options.exposedHeaders ?? []),
    maxAgeSeconds,
  };
}

/** The CORS_ORIGINS setting: comma-separated exact origins; unset or empty means none. */
export function readCorsOrigins(value: string | undefined, settingName = "CORS_ORIGINS"): string[] {
  const origins = (value ?? "").split(",").map((entry) => entry.trim()).filter((entry) => entry !== "");
  for (const origin of origins) assertOrigin(origin, settingName);
  return origins;
}

/** Pure: what to answer, from the request's method and headers. */
export function decideCors(policy: CorsPolicy, req: { method?: string | undefined; headers: IncomingHttpHeaders }): CorsDecision {
  // No allow-list, no CORS: responses then don't depend on Origin, so they need no Vary either.
  const vary: Record<string, string> = policy.allowedOrigins.length === 0 ? {} : { Vary: "Origin" };
  const origin = req.headers.origin;
  const allowed = origin !== undefined && policy.allowedOrigins.includes(origin);
  const isPreflight = req.method === "OPTIONS" && origin !== undefined &&
    req.headers["access-control-request-method"] !== undefined;
  if (isPreflight && !allowed) return { kind: "preflight", status: 403, headers: vary };
  if (!allowed) return { kind: "request", headers: vary };
  const credentials = {
    "Access-Control-Allow-Origin": origin, // the exact origin: `*` is refused with credentials anyway
    "Access-Control-Allow-Credentials": "true",
    ...vary,
  };
  if (isPreflight) {
    return {
      kind: "preflight",
      status: 204,
      headers: {
        ...credentials,
        // The full lists: a browser asking for anything else sees it missing and stops there.
        "Access-Control-Allow-Methods": policy.allowedMethods.join(", "),
        "Access-Control-Allow-Headers": policy.allowedHeaders.join(", "),
        "Access-Control-Max-Age": String(policy.maxAgeSeconds),
      },
    };
  }
  const headers: Record<string, string> = { ...credentials };
  if (policy.exposedHeaders.length > 0) headers["Access-Control-Expose-Headers"] = policy.exposedHeaders.join(", ");
  return { kind: "request", headers };
}

/** Sets the CORS headers on `res`; answers a preflight itself and returns true, else returns false. */
export function applyCors(policy: CorsPolicy, req: { method?: string | undefined; headers: IncomingHttpHeaders }, res: ServerResponse): boolean {
  const decision = decideCors(policy, req);
  for (const [name, value] of Object.entries(decision.headers)) {
    const existing = res.getHeader(name);
    // Vary is a list: keep what an earlier layer put there.
    res.setHeader(name, name === "Vary" && existing !== undefined ? `${String(existing)}, ${value}` : value);
  }
  if (decision.kind === "request") return false;
  if (decision.status === 204) sendNoContent(res);
  else sendJson(res, 403, { error: "This origin is not allowed to call this API (CORS_ORIGINS)" });
  return true;
}

function assertOrigin(origin: string, settingName = `CORS "allowedOrigins"`): void {
  const problem = `${settingName} entry "${origin}" is invalid`;
  if (origin === "*" || origin === "null") {
    throw new TypeError(`${problem}: list exact origins such as https://app.example; "*" and "null" would let any page read your users' data`);
  }
  const parsed = URL.canParse(origin) ? new URL(origin) : null;
  if (parsed === null || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    throw new TypeError(`${problem}: must be an http or https origin such as https://app.example`);
  }
  // Browsers send the serialized origin (RFC 6454 §6.2): lowercase host, no default port, no path.
  if (parsed.origin !== origin) {
    throw new TypeError(`${problem}: write it exactly as browsers send it: "${parsed.origin}" (scheme://host[:port], no path or trailing slash)`);
  }
}
