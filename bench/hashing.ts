// Password hashing: milliseconds per hash, and the event loop's maximum delay while 8 logins hash
// at once (8 requests arriving together, each started on its own turn of the loop). An async hash
// runs on libuv's thread pool and the loop keeps serving; a sync one (bcrypt.hashSync,
// crypto.scryptSync: what the popular tutorials call) stalls every other request for all 8 hashes.
// Runs in its own process (started by bench/run.ts), so nothing else shares its event loop;
// replies with a HashingRow[] over IPC. The delay is measured by a 1 ms interval timer: the longest
// gap between two of its ticks, less the 1 ms it asked for, is how long any request would have
// waited. (perf_hooks' monitorEventLoopDelay reported ~1 ms here while scryptSync blocked for seconds.)
import { scryptSync } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface HashingRow {
  method: string;
  parameters: string;
  msPerHash: number;
  /** Wall time for 8 hashes started together. */
  msForEight: number;
  maxLoopDelayMs: number;
  ours: boolean;
}

interface Method {
  method: string;
  parameters: string;
  ours: boolean;
  hash: (password: string) => unknown;
}

const password = "correct horse battery staple";
const concurrentLogins = 8;

async function measure(method: Method, samples: number, warmUp: boolean): Promise<HashingRow> {
  if (warmUp) await method.hash(password); // the first call pays for loading and allocation
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await method.hash(password);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);

  let maxGapMs = 0;
  let lastTick = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - lastTick);
    lastTick = now;
  }, 1);
  // Let the probe tick a few times before the logins start.
  await new Promise((resolve) => setTimeout(resolve, 20));
  maxGapMs = 0;
  lastTick = performance.now();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrentLogins }, () => new Promise((resolve) => setImmediate(() => resolve(method.hash(password))))),
  );
  const msForEight = performance.now() - started;
  // A few more ticks so a stall caused by the last sync hash is recorded.
  await new Promise((resolve) => setTimeout(resolve, 5));
  clearInterval(probe);
  return {
    method: method.method,
    parameters: method.parameters,
    msPerHash: times[Math.floor(times.length / 2)] ?? 0,
    msForEight,
    maxLoopDelayMs: Math.max(0, maxGapMs - 1),
    ours: method.ours,
  };
}

async function methods(): Promise<Method[]> {
  const { default: bcrypt } = await import("bcrypt");
  const list: Method[] = [];
  const ourFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/crypto/password.ts");
  if (existsSync(ourFile)) {
    const ours = (await import(pathToFileURL(ourFile).href)) as { hashPassword(password: string): Promise<string> };
    list.push({ method: "ours: hashPassword (async scrypt)", parameters: "N=2^17, r=8, p=1", ours: true, hash: (pw) => ours.hashPassword(pw) });
  }
  // Cost 10: the value the popular tutorials pass as saltRounds.
  list.push({ method: "bcrypt.hash (async)", parameters: "cost 10", ours: false, hash: (pw) => bcrypt.hash(pw, 10) });
  list.push({ method: "bcrypt.hashSync", parameters: "cost 10", ours: false, hash: (pw) => bcrypt.hashSync(pw, 10) });
  list.push({
    method: "crypto.scryptSync",
    parameters: "N=2^17, r=8, p=1",
    ours: false,
    // maxmem: Node's 32 MiB default rejects N=2^17; it needs 128 * r * (N + 2) bytes and a bit.
    hash: (pw) => scryptSync(pw, "sixteen byte salt", 64, { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 }),
  });
  return list;
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const rows: HashingRow[] = [];
  for (const method of await methods()) rows.push(await measure(method, quick ? 1 : 5, !quick));
  await new Promise<void>((resolve) => process.send?.({ type: "result", rows }, () => resolve()));
}

if (process.send) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("hashing.ts:", error);
      process.exit(1);
    },
  );
}
