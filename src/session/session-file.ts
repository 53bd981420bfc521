// The text inside one FileStore file: a versioned JSON record, optionally sealed (AES-256-GCM) with the
// file's own name as associated data, so a file only opens under the name it was written for.
// Format: {"v":1,"userId":…,"createdAtMs":…,"lastSeenMs":…,"expiresAtMs":…,"data":{…}}.
// Pitfall prevented: trusting a file's shape. Anything that isn't exactly this (truncated JSON,
// garbage, wrong types, a tampered or swapped sealed file, a key no longer configured) parses to null,
// never throws and never yields a half-valid record.
import type { Sealer } from "../crypto/seal.ts";
import type { SessionData, SessionRecord } from "./store.ts";

const formatVersion = 1;

/** The file's text for this record; `name` binds a sealed file to its file name. */
export function serializeSessionFile(record: SessionRecord, name: string, sealer: Sealer | undefined): string {
  const { data, userId, createdAtMs, lastSeenMs, expiresAtMs } = record;
  const json = JSON.stringify({ v: formatVersion, userId, createdAtMs, lastSeenMs, expiresAtMs, data });
  return sealer === undefined ? json : sealer.seal(json, name);
}

/** The record in a file's text, or null when the text is anything but a valid file for this name. */
export function parseSessionFile(text: string, name: string, sealer: Sealer | undefined): SessionRecord | null {
  const json = sealer === undefined ? text : sealer.unseal(text.trim(), name);
  if (json === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (!isPlainObject(value)) return null;
  const { v, userId, createdAtMs, lastSeenMs, expiresAtMs, data } = value;
  if (
    v !== formatVersion ||
    !(userId === null || typeof userId === "string") ||
    !isTime(createdAtMs) ||
    !isTime(lastSeenMs) ||
    !isTime(expiresAtMs) ||
    !isPlainObject(data)
  ) {
    return null;
  }
  return { data, userId, createdAtMs, lastSeenMs, expiresAtMs };
}

function isPlainObject(value: unknown): value is SessionData {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
