// Turns one run's results into a Markdown report and writes it, with the raw JSON, to
// bench/results/ (ignored by git): bench-<timestamp>.{md,json}, and latest.{md,json} for the README.
// Medians come with their range (min–max over the repetitions), so a noisy run shows as one.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DiskRow } from "./disk.ts";
import type { FileApiRow } from "./file-api.ts";
import type { HashingRow } from "./hashing.ts";
import type { LostUpdatesRow } from "./lost-updates.ts";
import type { MemoryRow } from "./memory.ts";
import type { StoreFilesRow } from "./store-files.ts";
import type { TargetResult } from "./targets.ts";
import { firstVisitShareLimit, losesSessions, type Spread, type ThroughputRow } from "./throughput.ts";

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; platform: string; node: string; loadAverageBefore: number[]; loadAverageAfter: number[] };
  settings: Record<string, unknown>;
  throughput: ThroughputRow[];
  lostUpdates: LostUpdatesRow[];
  memory: MemoryRow[];
  storeFiles: StoreFilesRow[];
  disk: DiskRow[];
  /** The same, measured before any server ran (full runs only). */
  diskRested: DiskRow[];
  /** What each file API costs the main thread per read or durable write (bench/file-api.ts). */
  fileApi: FileApiRow[];
  hashing: HashingRow[];
  targets: TargetResult[];
  problems: string[];
}

const n = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "–";
const digitsFor = (value: number) => (value < 10 ? 1 : 0);
const percent = (share: number) => `${n(100 * share, share < 0.1 ? 1 : 0)} %`;
const withRange = (s: Spread, digits = digitsFor(s.median)) =>
  s.min === s.max ? n(s.median, digits) : `${n(s.median, digits)} (${n(s.min, digits)}–${n(s.max, digits)})`;

function table(header: string[], rows: string[][]): string {
  const align = header.map((_, i) => (i === 0 ? "---" : "---:"));
  return [header, align, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

function throughputTable(rows: ThroughputRow[], mode: "returning" | "new"): string {
  const selected = rows.filter((row) => row.mode === mode);
  const raw = selected.find((row) => row.serverId === "raw")?.requestsPerSecond.median;
  return table(
    ["server", "req/s, median (range)", "× raw", "p99 ms", "failed", "server CPU", "server CPU µs/req", "client CPU", mode === "returning" ? "first visits" : "new sessions"],
    selected.map((row) => [
      row.label,
      withRange(row.requestsPerSecond),
      raw ? n(row.requestsPerSecond.median / raw, 3) : "–",
      withRange(row.p99Ms),
      n(row.failures),
      `${n(row.serverCpuPercent)} %`,
      n(row.serverCpuMicrosPerRequest),
      `${n(row.clientCpuPercent)} %`,
      // The raw servers always answer "Views: 1": the column means nothing for them.
      row.serverId.startsWith("raw") ? "–"
        : mode === "new" ? n(row.repetitions.reduce((sum, r) => sum + r.firstVisits, 0))
        : losesSessions(row) ? `**${percent(row.firstVisitShare)}**` : percent(row.firstVisitShare),
    ]),
  );
}

export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const s = results.settings;
  const parts: string[] = [
    `# Benchmark results${results.quick ? " (quick run)" : ""}`,
    "",
    `${results.startedAt} · ${m.cpus} × ${m.cpuModel} · ${n(m.memoryGiB)} GiB · ${m.platform} · Node ${m.node} · ` +
      `load average before ${m.loadAverageBefore.map((x) => n(x, 2)).join(" / ")}, after ${m.loadAverageAfter.map((x) => n(x, 2)).join(" / ")}`,
    "",
    `Every server is the same app (\`GET /\` → \`Views: N\`) in its own process; autocannon in another process, ` +
      `${s.connections} keep-alive connections, ${s.warmupSeconds} s warm-up excluded${s.warmAfterFirstMode ? " (once per server)" : " (per mode)"}, ` +
      `${s.repetitions} × ${s.durationSeconds} s measured ` +
      `(${s.slowDurationSeconds} s for the encrypted session-file-store), median (min–max); each repetition starts when the server ` +
      `(and in full runs every file store running beside it) is idle, and for returning browsers after each browser's first visit. ` +
      `CPU: % of one core, median over the repetitions (200 % is both cores); server CPU µs/req is the server's CPU time per answer, ` +
      `which other load on the machine disturbs less than req/s. Loopback only.`,
    "",
  ];
  if (results.throughput.length > 0) {
    parts.push(
      "## Returning browsers (each connection keeps its own session cookie)",
      "",
      throughputTable(results.throughput, "returning"),
      "",
      `"first visits" is the share of answers that said \`Views: 1\`. Each browser's first visit is made before timing starts, so it should be 0 %: ` +
        `above ${percent(firstVisitShareLimit)} (in bold) the server lost sessions during the run, and that share of its req/s is new-visitor throughput.`,
      "",
      "## New visitors (no cookie: every request starts a session)",
      "",
      throughputTable(results.throughput, "new"),
    );
  }
  if (results.lostUpdates.length > 0) {
    parts.push("", "## Lost updates (one session, concurrent increments over 50 connections)", "",
      table(["server", "increments", "final count (expected)", "lost", "lost %", "failed requests", "seconds"],
        results.lostUpdates.map((row) => [row.label, n(row.increments), `${n(row.finalCount)} (${n(row.increments + 2)})`, n(row.lost), `${n(row.lostPercent, 1)} %`, n(row.failedRequests), n(row.seconds, 1)])),
      "", "The raw servers keep no count, and cookie sessions (@fastify/secure-session) are left out: the count travels in the cookie, so concurrent requests overwrite each other by design.");
  }
  if (results.memory.length > 0) {
    parts.push("", "## Resident memory after a flood of new visitors (after a full GC)", "",
      table(["server", "visitors served", "RSS before MiB", "RSS growth MiB", "heap used growth MiB", "heap reserved growth MiB", "seconds"],
        results.memory.map((row) => [row.label, `${n(row.served)} / ${n(row.visitors)}`, n(row.rssBeforeMiB, 1), n(row.rssGrowthMiB, 1), n(row.heapGrowthMiB, 1), n(row.heapTotalGrowthMiB, 1), n(row.seconds, 1)])),
      "", "Heap used is what the sessions keep after a full GC; heap reserved includes the space V8 keeps for young objects, which grows under load and is not a leak.");
  }
  if (results.storeFiles.length > 0) {
    parts.push("", "## Store files after new visitors", "",
      table(["server", "visitors served", "files", "KiB", "temp files left", "log lines", "failed", "seconds"],
        results.storeFiles.map((row) => [row.label, `${n(row.served)} / ${n(row.visitors)}`, n(row.files), n(row.kibibytes), n(row.temporaryFiles), n(row.logLines), n(row.failures), n(row.seconds, 1)])));
    const samples = results.storeFiles.filter((row) => row.logSample.length > 0);
    if (samples.length > 0) {
      parts.push("", ...samples.map((row) => `- ${row.label}: \`${row.logSample[0]?.replaceAll("`", "'")}\``));
    }
  }
  if (results.disk.length > 0) {
    parts.push("", "## The disk's own rate (small files written atomically, 50 in flight)", "",
      results.diskRested.length === 0
        ? table(["operation", "files/s"], results.disk.map((row) => [row.operation, n(row.writesPerSecond)]))
        : table(["operation", "files/s before the servers (rested)", "files/s after them"], results.disk.map((row) => [
          row.operation,
          n(results.diskRested.find((rested) => rested.operation === row.operation)?.writesPerSecond ?? Number.NaN),
          n(row.writesPerSecond),
        ])),
      "", "Each request of a view counter on a file store writes one file (returning browsers: over their old one). This is the rate of the probe's own pattern " +
        "(50 writers, 300-byte files, fresh names or one file each) at that moment: a reference for how the disk is doing, not an upper bound. " +
        "A server writes in its own pattern and the disk's speed changes from minute to minute, so a file store can serve more than this (on the machine the bench was written on, step 04 served two to three times the probe's rate in the same run). " +
        "A virtual disk on a shared host slows down after a burst of fsync'd writes: the file stores ran between the two columns.");
  }
  if (results.fileApi.length > 0) {
    parts.push("", "## File APIs: what a session file's read or write costs the main thread (50 in flight)", "",
      table(["operation", "through", "per second", "main thread CPU µs each", "event loop busy µs each"],
        results.fileApi.map((row) => [row.operation, row.api, n(row.perSecond), n(row.mainThreadCpuMicros), n(row.eventLoopMicros)])),
      "", "Main thread CPU is the time of the thread every request of a server shares (the thread pool's system calls and fsync's wait are not in it); " +
        "event loop busy is its non-idle wall time, which also counts waiting for a core. Median of several rounds, the APIs taking turns in a rotating order. " +
        "Our file stores use plain descriptors (src/files/file-descriptors.ts).");
  }
  if (results.hashing.length > 0) {
    parts.push("", "## Password hashing (8 logins at once, each started on its own turn of the event loop)", "",
      table(["method", "parameters", "ms per hash", "ms for 8", "event loop max delay ms"],
        results.hashing.map((row) => [row.method, row.parameters, n(row.msPerHash), n(row.msForEight), n(row.maxLoopDelayMs, 1)])));
  }
  parts.push("", "## Targets", "",
    table(["target", "issue", "measured", "met"],
      results.targets.map((t) => [t.target, t.source, t.measured, t.met === null ? "not measured" : t.met ? "yes" : "**no**"])));
  if (results.problems.length > 0) parts.push("", "## Problems during the run", "", ...results.problems.map((p) => `- ${p}`));
  return `${parts.join("\n")}\n`;
}

/** Writes the report and JSON; returns the Markdown path. */
export function writeReport(results: BenchResults, resultsDir: string): string {
  mkdirSync(resultsDir, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, "-");
  const markdown = renderMarkdown(results);
  const json = `${JSON.stringify(results, null, 2)}\n`;
  for (const name of [`bench-${stamp}`, "latest"]) {
    writeFileSync(path.join(resultsDir, `${name}.md`), markdown);
    writeFileSync(path.join(resultsDir, `${name}.json`), json);
  }
  return path.join(resultsDir, `bench-${stamp}.md`);
}
