// Read a request body with a size limit, as raw bytes, as an HTML form, or as JSON.
// Spec: RFC 9110 §15.5.14 (413), §15.5.16 (415, also for an unsupported Content-Encoding),
// WHATWG URL §5 (application/x-www-form-urlencoded), RFC 8259 §8.1 (JSON is UTF-8).
// Pitfall: `for await (const chunk of req)` into an array (or body-parser with no limit) lets one
// client fill the server's memory; here reading stops at the limit and the 413 closes the connection.
// Malformed input is not "fixed" (URLSearchParams turns bad bytes into U+FFFD): it is refused.
// Bad input: rejects with HttpError 400 (malformed, non-UTF-8, cut off), 413 or 415. Only programmer
// errors (bad maxBytes, a body read twice) throw a TypeError. Forms are null-prototype records.
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http-error.ts";

export const defaultMaxBodyBytes = 16 * 1024; // a login form is < 1 KiB; this bounds what one request costs

// Once the limit is passed the rest of the body is never read, so the connection cannot be reused.
const closeConnection = { Connection: "close" };

export function readBody(req: IncomingMessage, options: { maxBytes: number }): Promise<Buffer> {
  const { maxBytes } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new TypeError(`readBody "maxBytes" is invalid: must be a positive integer`);
  }
  const encoding = req.headers["content-encoding"]?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== "identity") {
    return Promise.reject(new HttpError(415, "Compressed request bodies are not supported", { headers: closeConnection }));
  }
  // An announced length over the limit is refused before reading a byte (NaN when absent: no match).
  if (Number(req.headers["content-length"]) > maxBytes) return Promise.reject(tooLarge(maxBytes));
  if (req.readableEnded) throw new TypeError(`readBody: the request body was already read`);
  if (req.destroyed) return Promise.reject(incomplete());

  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let received = 0;
    const finish = (error: HttpError | null) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onAbort);
      req.off("close", onAbort);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks, received));
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      req.pause(); // Before removing the listener: a flowing stream would keep reading into the void.
      chunks = [];
      finish(tooLarge(maxBytes));
    };
    const onEnd = () => finish(null);
    // The client went away mid-body ('error' "aborted", then 'close' without 'end').
    const onAbort = () => finish(incomplete());
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onAbort);
    req.once("close", onAbort);
  });
}

export async function readForm(req: IncomingMessage, options?: { maxBytes?: number }): Promise<Record<string, string>> {
  requireContentType(req, "application/x-www-form-urlencoded");
  const text = decodeUtf8(await readBody(req, { maxBytes: options?.maxBytes ?? defaultMaxBodyBytes }));
  const fields: Record<string, string> = Object.create(null);
  for (const pair of text.split("&")) {
    if (pair === "") continue; // "a=1&&b=2" and the empty body: nothing between the separators
    const separator = pair.indexOf("=");
    const name = decodeFormComponent(separator === -1 ? pair : pair.slice(0, separator));
    const value = decodeFormComponent(separator === -1 ? "" : pair.slice(separator + 1));
    if (name === "") throw new HttpError(400, "Malformed form body: a field has no name");
    // Two "password" fields are an attack or a bug, not a choice we should make silently.
    if (Object.hasOwn(fields, name)) throw new HttpError(400, `Malformed form body: field ${quote(name)} appears twice`);
    fields[name] = value;
  }
  return fields;
}

export async function readJson(req: IncomingMessage, options?: { maxBytes?: number }): Promise<unknown> {
  // Refusing text/plain and form types also stops cross-site "simple" requests (R20).
  requireContentType(req, "application/json");
  const text = decodeUtf8(await readBody(req, { maxBytes: options?.maxBytes ?? defaultMaxBodyBytes }));
  try {
    // JSON.parse keeps "__proto__" as a plain own key; never Object.assign the result onto anything.
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "Malformed JSON body");
  }
}

function requireContentType(req: IncomingMessage, expected: string): void {
  const [essence = "", ...parameters] = (req.headers["content-type"] ?? "").split(";");
  const charset = parameters
    .map((parameter) => /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(parameter)?.[1])
    .find((value) => value !== undefined);
  const typeMatches = essence.trim().toLowerCase() === expected;
  // We only decode UTF-8; a body declared in another charset would be read wrongly.
  if (!typeMatches || (charset !== undefined && charset.toLowerCase() !== "utf-8")) {
    throw new HttpError(415, `Unsupported Content-Type: expected ${expected} (UTF-8)`, { headers: closeConnection });
  }
}

function decodeUtf8(body: Buffer): string {
  try {
    // fatal: invalid bytes are an error, not U+FFFD; a leading BOM is dropped (RFC 8259 §8.1 allows it).
    return new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    throw new HttpError(400, "The request body is not valid UTF-8");
  }
}

function decodeFormComponent(raw: string): string {
  try {
    // "+" is a space in forms only; decodeURIComponent rejects bad escapes and non-UTF-8 bytes.
    return decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    throw new HttpError(400, "Malformed form body: bad percent-encoding or non-UTF-8 data");
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, `The request body is larger than ${maxBytes} bytes`, { headers: closeConnection });
}

function incomplete(): HttpError {
  return new HttpError(400, "The request body is incomplete: the connection closed early");
}

/** A field name for a message: JSON-quoted (no control characters) and cut to 40 characters. */
function quote(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}
