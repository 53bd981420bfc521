// What a file session store's per-request file work costs the event loop, through each of Node's file
// APIs: reading a small file (fs.promises.readFile; a FileHandle's open, read, close; plain descriptors
// through callbacks, as src/files/read-whole-file.ts does) and replacing one durably (temp file, write,
// fsync, close, rename: through a FileHandle, and through descriptors as src/files/atomic-write.ts
// does). 50 operations in flight, 300-byte files, in the folder the orchestrator passes as argv[2].
// "Event loop µs" is the main thread's busy time per operation (performance.eventLoopUtilization):
// the thread every request of the server shares. The thread pool's own work (the system calls,
// fsync's wait) is not in it. Replies with FileApiRow[] over IPC.
import fs from "node:fs";
import * as fsPromises from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { writeFileAtomic } from "../src/files/atomic-write.ts";
import { readWholeFile } from "../src/files/read-whole-file.ts";

export interface FileApiRow {
  operation: string;
  api: string;
  perSecond: number;
  eventLoopMicros: number;
}

const inFlight = 50;
const text = JSON.stringify({ data: { views: 1 }, userId: null, createdAtMs: 0, lastSeenMs: 0, expiresAtMs: 0 }).padEnd(300);

async function readThroughFileHandle(file: string): Promise<string> {
  const handle = await fsPromises.open(file, "r");
  try {
    const buffer = Buffer.allocUnsafe(4096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.toString("utf8", 0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function writeThroughFileHandle(file: string): Promise<void> {
  const temporary = `${file}.${Math.random().toString(16).slice(2)}.tmp`;
  const handle = await fsPromises.open(temporary, "wx", 0o600);
  try {
    await handle.writeFile(text, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsPromises.rename(temporary, file);
}

/** Runs `operation` on file i % 50 by 50 workers until `count` are done; rate and event loop µs each. */
async function measure(dir: string, count: number, operation: (file: string) => Promise<unknown>): Promise<{ perSecond: number; eventLoopMicros: number }> {
  let started = 0;
  const before = performance.eventLoopUtilization();
  const startMs = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async (_, worker) => {
    const file = path.join(dir, `session-${worker}`);
    while (started < count) {
      started++;
      await operation(file);
    }
  }));
  const elapsedMs = performance.now() - startMs;
  const { active } = performance.eventLoopUtilization(before);
  return { perSecond: (count / elapsedMs) * 1000, eventLoopMicros: (active * 1000) / count };
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const dir = process.argv[2] ?? "";
  for (let worker = 0; worker < inFlight; worker++) fs.writeFileSync(path.join(dir, `session-${worker}`), text);
  const reads = quick ? 5_000 : 20_000;
  const writes = quick ? 500 : 2_000;
  const rows: FileApiRow[] = [];
  const add = async (operation: string, api: string, count: number, run: (file: string) => Promise<unknown>) => {
    await measure(dir, Math.ceil(count / 10), run); // warm-up: JIT, thread pool, file cache
    rows.push({ operation, api, ...(await measure(dir, count, run)) });
  };
  // Twice each, alternating, so a disk or CPU that drifts during the run doesn't favour one API.
  for (let round = 0; round < 2; round++) {
    await add("read a small file", "fs.promises.readFile", reads, (file) => fsPromises.readFile(file, "utf8"));
    await add("read a small file", "FileHandle: open, read, close", reads, readThroughFileHandle);
    await add("read a small file", "descriptors (readWholeFile)", reads, readWholeFile);
  }
  for (let round = 0; round < 2; round++) {
    await add("replace a file durably", "FileHandle: open, writeFile, sync, close, rename", writes, writeThroughFileHandle);
    await add("replace a file durably", "descriptors (writeFileAtomic)", writes, (file) => writeFileAtomic(file, text));
  }
  await new Promise<void>((resolve) => process.send?.({ type: "result", rows: mergeRounds(rows) }, () => resolve()));
}

/** One row per API: the better of its two rounds for the rate, the lower for the event loop's cost. */
function mergeRounds(rows: FileApiRow[]): FileApiRow[] {
  const merged = new Map<string, FileApiRow>();
  for (const row of rows) {
    const key = `${row.operation}\n${row.api}`;
    const seen = merged.get(key);
    merged.set(key, seen === undefined ? row : {
      ...row,
      perSecond: Math.max(seen.perSecond, row.perSecond),
      eventLoopMicros: Math.min(seen.eventLoopMicros, row.eventLoopMicros),
    });
  }
  return [...merged.values()];
}

if (process.send && process.argv[2]) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("file-api.ts:", error);
      process.exit(1);
    },
  );
}
