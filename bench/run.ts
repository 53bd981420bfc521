// `npm run bench` (from the repository root): installs bench/'s own dependencies if they are
// missing (npm ci in bench/, never at the root), then measures every server in bench/catalogue.ts
// (throughput for returning browsers and for new visitors, lost updates, memory after a flood of
// new visitors, store files and warnings), the disk's own write rate and password hashing, checks
// the issues' targets, and writes bench/results/latest.{md,json}. Loopback only; every run is
// bounded in time.
//   npm run bench -- --quick             one short repetition, smaller floods (under two minutes)
//   npm run bench -- --only=raw,step-02  only these servers (ids in bench/catalogue.ts)
//   npm run bench -- --skip=memory,hashing   sections: throughput, lost-updates, memory, store-files, disk, file-api, hashing
//   npm run bench -- --cpu-prof          write a V8 CPU profile per server to bench/results/profiles/
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// None of these load a bench dependency: autocannon and bcrypt are only imported by the child
// processes (load.ts, hashing.ts), so this file can install them first.
import { allServers, type BenchServer } from "./catalogue.ts";
import type { DiskRow } from "./disk.ts";
import type { FileApiRow } from "./file-api.ts";
import type { HashingRow } from "./hashing.ts";
import { measureLostUpdates } from "./lost-updates.ts";
import { measureMemory } from "./memory.ts";
import { makeDataDir, removeDataDir, runScript, startServer, type RunningServer } from "./processes.ts";
import { renderMarkdown, writeReport, type BenchResults } from "./report.ts";
import { measureStoreFiles } from "./store-files.ts";
import { evaluateTargets } from "./targets.ts";
import { losesSessions, measureThroughput, mergeRounds, type Mode, type ThroughputRow } from "./throughput.ts";
import { williamsOrder } from "./williams.ts";

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const resultsDir = path.join(benchDir, "results");

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const list = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1]?.split(",").filter(Boolean);

if (flag("help")) {
  console.log(readUsage());
  process.exit(0);
}

// The comparison libraries live only in bench/package.json: the root stays dependency-free.
if (!existsSync(path.join(benchDir, "node_modules"))) {
  console.error("bench: installing bench/ dependencies (npm ci in bench/)…");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const install = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], { cwd: benchDir, stdio: "inherit" });
  if (install.status !== 0) {
    console.error("bench: npm ci in bench/ failed");
    process.exit(1);
  }
}

const quick = flag("quick");
// Quick runs must stay under two minutes on a 2-core machine, start-up included. Their encrypted
// session-file-store run lasts 8 s: with 50 browsers its first returning answers take about 5 s (a
// key derivation per read and per write), so a shorter run counts next to nothing.
const settings = quick
  ? { connections: 50, warmupSeconds: 0.5, warmAfterFirstMode: true, durationSeconds: 1, slowDurationSeconds: 8, repetitions: 1, increments: 200, slowIncrements: 10, memoryVisitors: 5_000, storeVisitors: 300, storeMaxSeconds: 5 }
  : { connections: 50, warmupSeconds: 3, warmAfterFirstMode: false, durationSeconds: 8, slowDurationSeconds: 10, repetitions: 3, increments: 2_000, slowIncrements: 100, memoryVisitors: 100_000, storeVisitors: 10_000, storeMaxSeconds: 60 };
const skip = new Set(list("skip") ?? []);
const only = list("only");
const servers = allServers().filter((server) => !only || only.includes(server.id));
const profile = flag("cpu-prof");
const nodeArgsFor = (id: string) => (profile ? ["--cpu-prof", `--cpu-prof-dir=${path.join(resultsDir, "profiles", id)}`] : []);

const results: BenchResults = {
  startedAt: new Date().toISOString(),
  finishedAt: "",
  quick,
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: os.totalmem() / 2 ** 30,
    platform: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageBefore: os.loadavg(),
    loadAverageAfter: [],
  },
  settings,
  throughput: [],
  lostUpdates: [],
  memory: [],
  storeFiles: [],
  disk: [],
  diskRested: [],
  fileApi: [],
  hashing: [],
  targets: [],
  problems: [],
};

const progress = (message: string) => console.error(`bench ${new Date().toISOString().slice(11, 19)} ${message}`);

async function attempt(what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const message = `${what}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
    results.problems.push(message);
    progress(`FAILED ${message}`);
  }
}

progress(`${servers.length} servers: ${servers.map((s) => s.id).join(", ")}${quick ? " (quick)" : ""}`);
// The disk's ceiling twice: here, rested, and after the servers, when it has just been worked hard
// (a virtual disk can be several times slower then; the file stores ran in between).
if (!skip.has("disk") && !quick) await measureDisk("rested", (rows) => (results.diskRested = rows));
// One server process per server for lost updates (first, on a fresh server) and throughput.
// File stores share the disk, whose speed drifts with its own recent load: a virtual disk on a shared
// host slows down two- to threefold for a minute or two after a burst of fsync'd writes (measured
// here: of two file stores run back to back, the second served a third of what it served when run
// first, whichever it was; `sync` between them didn't help). So in full runs the file stores are
// started together and their repetitions interleaved: each round measures every store once, in the
// orders of a Williams design (williams.ts), so that no store always follows the same one. Each
// measurement starts once every one of them is idle (a slow store works through its queue for
// seconds after its own turn).
const interleave = !quick && !skip.has("throughput");
const separately = servers.filter((server) => !(interleave && server.fileBacked));
const interleaved = servers.filter((server) => interleave && server.fileBacked);
if (!skip.has("throughput") || !skip.has("lost-updates")) {
  for (const server of separately) {
    await attempt(server.id, async () => {
      const dataDir = makeDataDir();
      let started: RunningServer | undefined; // inside the try, so a server that fails to start leaves no folder
      try {
        const running = await startServer(server.file, server.args, { dataDir, nodeArgs: nodeArgsFor(server.id) });
        started = running;
        await lostUpdates(server, running);
        if (!skip.has("throughput")) {
          // Quick mode measures the encrypted session-file-store (a few req/s) for returning browsers only.
          const modes = quick && server.slow ? (["returning"] as const) : (["returning", "new"] as const);
          const rows = await measureThroughput(running, server, modes, settings);
          results.throughput.push(...rows);
          for (const row of rows) reportRow(row);
        }
      } finally {
        await started?.stop();
        removeDataDir(dataDir);
      }
    });
  }
  if (interleaved.length > 0) await measureInterleaved(interleaved);
  // Back in the catalogue's order for the report (each server's modes stay in order).
  const order = (id: string) => servers.findIndex((server) => server.id === id);
  results.throughput.sort((a, b) => order(a.serverId) - order(b.serverId));
  results.lostUpdates.sort((a, b) => order(a.serverId) - order(b.serverId));
}

async function lostUpdates(server: BenchServer, running: RunningServer): Promise<void> {
  // Cookie sessions (the count travels in the cookie) lose concurrent updates by design; quick
  // runs leave out the encrypted session-file-store (a few requests a second).
  if (skip.has("lost-updates") || server.stateless || (quick && server.slow)) return;
  await attempt(`lost updates ${server.id}`, async () => {
    const increments = server.slow ? settings.slowIncrements : settings.increments;
    const row = await measureLostUpdates(running, server, { increments, connections: settings.connections });
    results.lostUpdates.push(row);
    progress(`${server.id} lost updates: ${row.lost} of ${increments}`);
  });
}

async function measureInterleaved(stores: BenchServer[]): Promise<void> {
  const started: Array<{ server: BenchServer; running: RunningServer; dataDir: string }> = [];
  try {
    for (const server of stores) {
      await attempt(server.id, async () => {
        const dataDir = makeDataDir();
        try {
          const running = await startServer(server.file, server.args, { dataDir, nodeArgs: nodeArgsFor(server.id) });
          started.push({ server, running, dataDir });
        } catch (error) {
          removeDataDir(dataDir);
          throw error;
        }
      });
    }
    for (const { server, running } of started) await lostUpdates(server, running);
    for (const mode of ["returning", "new"] as const satisfies readonly Mode[]) {
      const rounds = new Map<string, ThroughputRow[]>();
      // As many rounds as repetitions: the design's first rows (all of them for 4 stores, 3 of 6 for 3).
      for (let round = 0; round < settings.repetitions; round++) {
        for (const index of williamsOrder(started.length, round)) {
          const { server, running } = started[index]!;
          await attempt(`${server.id} ${mode} round ${round + 1}`, async () => {
            // Warm-up in the first round only: later rounds meet a server that is warm already.
            const roundSettings = { ...settings, repetitions: 1, warmupSeconds: round === 0 ? settings.warmupSeconds : 0 };
            const others = started.map((store) => store.running);
            const [row] = await measureThroughput(running, server, [mode], roundSettings, others);
            if (row !== undefined) rounds.set(server.id, [...(rounds.get(server.id) ?? []), row]);
          });
        }
      }
      for (const rows of rounds.values()) {
        const row = mergeRounds(rows);
        results.throughput.push(row);
        reportRow(row);
      }
    }
  } finally {
    for (const { running, dataDir } of started) {
      await running.stop();
      removeDataDir(dataDir);
    }
  }
}

function reportRow(row: ThroughputRow): void {
  const lost = losesSessions(row) ? `, ${Math.round(100 * row.firstVisitShare)} % first visits (sessions lost)` : "";
  progress(`${row.serverId} ${row.mode}: ${Math.round(row.requestsPerSecond.median)} req/s, p99 ${row.p99Ms.median} ms, ${row.failures} failed${lost}`);
}
if (!skip.has("memory")) {
  // Quick mode floods one of ours (the last: step 02), to keep it short; the full run every
  // memory-backed server.
  const flooded = servers.filter((s) => s.memoryBacked && (!quick || s.ours));
  for (const server of quick ? flooded.slice(-1) : flooded) {
    await attempt(`memory ${server.id}`, async () => {
      const row = await measureMemory(server, { visitors: settings.memoryVisitors, connections: settings.connections, maxSeconds: 120 });
      results.memory.push(row);
      progress(`${server.id} memory: +${row.rssGrowthMiB.toFixed(1)} MiB RSS after ${row.served} visitors`);
    });
  }
}
if (!skip.has("store-files")) {
  // Quick mode leaves out the encrypted session-file-store here: a few visitors a second.
  for (const server of servers.filter((s) => s.fileBacked && (!quick || !s.slow))) {
    await attempt(`store files ${server.id}`, async () => {
      const row = await measureStoreFiles(server, { visitors: settings.storeVisitors, connections: settings.connections, maxSeconds: settings.storeMaxSeconds });
      results.storeFiles.push(row);
      progress(`${server.id} store: ${row.files} files, ${row.logLines} log lines after ${row.served} visitors`);
    });
  }
}
if (!skip.has("disk")) await measureDisk("after the servers", (rows) => (results.disk = rows));

async function measureDisk(when: string, keep: (rows: DiskRow[]) => void): Promise<void> {
  await attempt(`disk (${when})`, async () => {
    const dataDir = makeDataDir(); // made and removed here, so that Ctrl-C removes it too
    try {
      const { rows } = await runScript<{ rows: DiskRow[] }>("disk.ts", [dataDir, ...(quick ? ["--quick"] : [])]);
      keep(rows);
      for (const row of rows) progress(`disk (${when}): ${Math.round(row.writesPerSecond)} ${row.operation}/s`);
    } finally {
      removeDataDir(dataDir);
    }
  });
}
if (!skip.has("file-api")) {
  await attempt("file-api", async () => {
    const dataDir = makeDataDir();
    try {
      const { rows } = await runScript<{ rows: FileApiRow[] }>("file-api.ts", [dataDir, ...(quick ? ["--quick"] : [])]);
      results.fileApi = rows;
      for (const row of rows) progress(`file API: ${row.operation}, ${row.api}: ${Math.round(row.perSecond)}/s, ${Math.round(row.mainThreadCpuMicros)} µs of main thread CPU each`);
    } finally {
      removeDataDir(dataDir);
    }
  });
}
if (!skip.has("hashing")) {
  await attempt("hashing", async () => {
    const { rows } = await runScript<{ rows: HashingRow[] }>("hashing.ts", quick ? ["--quick"] : []);
    results.hashing = rows;
    for (const row of rows) progress(`${row.method}: ${Math.round(row.msPerHash)} ms/hash, loop max delay ${row.maxLoopDelayMs.toFixed(1)} ms`);
  });
}

results.targets = evaluateTargets(results);
results.machine.loadAverageAfter = os.loadavg();
results.finishedAt = new Date().toISOString();
const reportPath = writeReport(results, resultsDir);
console.log(renderMarkdown(results));
progress(`written ${path.relative(process.cwd(), reportPath)} and bench/results/latest.{md,json}`);

function readUsage(): string {
  return [
    "npm run bench [-- options]",
    "  --quick              one short repetition, smaller floods (under two minutes)",
    "  --only=ID,ID         only these servers: raw, raw-headers, express-memory, express-file, express-file-secret,",
    "                       fastify-session, fastify-secure-session, ours-manager, step-01 … step-04",
    "  --skip=SECTION,...   throughput, lost-updates, memory, store-files, disk, file-api, hashing",
    "  --cpu-prof           V8 CPU profile of each server in bench/results/profiles/<id>/",
  ].join("\n");
}
