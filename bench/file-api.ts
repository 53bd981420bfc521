// What a file session store's per-request file work costs the server's main thread, through each of
// Node's file APIs: reading a small file (fs.promises.readFile; a FileHandle's open, read, close; plain
// descriptors through callbacks, as src/files/read-whole-file.ts does) and replacing one durably (temp
// file, write, fsync, close, rename: through a FileHandle, and through descriptors as
// src/files/atomic-write.ts does). 50 operations in flight, each worker on its own 300-byte file, in
// the folder the orchestrator passes as argv[2]. "Main thread CPU" is that thread's CPU time per
// operation (process.threadCpuUsage() on Node ≥ 23.9, /proc on Linux): the thread every request of a
// server shares; the thread pool's system calls and fsync's wait are not in it. "Event loop busy" is
// the loop's non-idle wall time (performance.eventLoopUtilization()), which also counts time the
// thread waited for a core. The APIs take turns in a rotating order over several rounds, and the
// median round is reported. Replies with FileApiRow[] over IPC.
import fs from "node:fs";
import * as fsPromises from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { settleDisk } from "./processes.ts";
import { spread } from "./throughput.ts";
import { writeFileAtomic } from "../src/files/atomic-write.ts";
import { readWholeFile } from "../src/files/read-whole-file.ts";

export interface FileApiRow {
  operation: string;
  api: string;
  perSecond: number;
  /** The main thread's CPU time per operation; NaN where it can't be read. */
  mainThreadCpuMicros: number;
  eventLoopMicros: number;
}

/** The main thread's CPU time so far in µs, or NaN: Node ≥ 23.9 has threadCpuUsage(), Linux has /proc. */
function mainThreadCpuMicros(): number {
  const threadCpuUsage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage;
  if (typeof threadCpuUsage === "function") {
    const { user, system } = threadCpuUsage.call(process);
    return user + system;
  }
  try {
    // Fields 14 and 15 (utime, stime) after the ") " that ends the command name, in clock ticks (1/100 s).
    const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return Number.NaN;
  }
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

type Measurement = Omit<FileApiRow, "operation" | "api">;

/** 50 workers, each on its own file, run `operation` until `count` have started; the cost of each. */
async function measure(dir: string, count: number, operation: (file: string) => Promise<unknown>): Promise<Measurement> {
  let started = 0;
  const before = performance.eventLoopUtilization();
  const cpuBefore = mainThreadCpuMicros();
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
  return {
    perSecond: (count / elapsedMs) * 1000,
    mainThreadCpuMicros: (mainThreadCpuMicros() - cpuBefore) / count,
    eventLoopMicros: (active * 1000) / count,
  };
}

interface Contender {
  api: string;
  run: (file: string) => Promise<unknown>;
}

/** Each round runs every contender once, starting one further along the list than the last round. */
async function compare(dir: string, operation: string, contenders: Contender[], count: number, rounds: number): Promise<FileApiRow[]> {
  const results = contenders.map((): Measurement[] => []);
  for (const contender of contenders) await measure(dir, Math.max(200, Math.ceil(count / 10)), contender.run); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < contenders.length; turn++) {
      const index = (round + turn) % contenders.length;
      results[index]!.push(await measure(dir, count, contenders[index]!.run));
    }
  }
  return contenders.map((contender, index) => {
    const median = (pick: (m: Measurement) => number) => spread(results[index]!.map(pick)).median;
    return {
      operation,
      api: contender.api,
      perSecond: median((m) => m.perSecond),
      mainThreadCpuMicros: median((m) => m.mainThreadCpuMicros),
      eventLoopMicros: median((m) => m.eventLoopMicros),
    };
  });
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const dir = process.argv[2] ?? "";
  for (let worker = 0; worker < inFlight; worker++) fs.writeFileSync(path.join(dir, `session-${worker}`), text);
  const rounds = quick ? 3 : 5;
  const rows = await compare(dir, "read a small file", [
    { api: "fs.promises.readFile", run: (file) => fsPromises.readFile(file, "utf8") },
    { api: "FileHandle: open, read, close", run: readThroughFileHandle },
    { api: "descriptors (readWholeFile)", run: readWholeFile },
  ], quick ? 5_000 : 20_000, rounds);
  settleDisk(); // what the reads' set-up wrote is on the disk before the writes are timed
  rows.push(...await compare(dir, "replace a file durably", [
    { api: "FileHandle: open, writeFile, sync, close, rename", run: writeThroughFileHandle },
    { api: "descriptors (writeFileAtomic)", run: (file) => writeFileAtomic(file, text) },
  ], quick ? 500 : 2_000, rounds));
  await new Promise<void>((resolve) => process.send?.({ type: "result", rows }, () => resolve()));
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
