// Requests per second and p99 latency of one server, measured fairly: per mode (returning browsers
// first, then new visitors) a warm-up run that is thrown away (JIT, caches, first files), then N
// repetitions of the same load, each starting once the server is idle, each with a fresh set of
// connections (each connection's first request is its browser's first visit). Reports the median with the
// range, every error, and the CPU time the server and the load generator each used (as % of one
// core: on a 2-core machine a client near 100% means the client, not the server, is the limit).
import type { BenchServer } from "./catalogue.ts";
import type { LoadResult } from "./load.ts";
import { runLoad, settleDisk, type RunningServer } from "./processes.ts";

export type Mode = "returning" | "new";

export interface ThroughputSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  repetitions: number;
  /** Skip the warm-up of the second mode: the first mode's warm-up already warmed the server. */
  warmAfterFirstMode?: boolean;
  /** Minimum run length for servers marked slow in the catalogue. */
  slowDurationSeconds: number;
}

export interface Repetition extends LoadResult {
  serverCpuPercent: number;
  serverCpuMicrosPerRequest: number;
  clientCpuPercent: number;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface ThroughputRow {
  serverId: string;
  label: string;
  mode: Mode;
  requestsPerSecond: Spread;
  p99Ms: Spread;
  serverCpuPercent: number;
  /** Server CPU time per answered request: less sensitive than req/s to other load on the machine. */
  serverCpuMicrosPerRequest: number;
  clientCpuPercent: number;
  /** Socket errors + timeouts + non-2xx + unexpected bodies, summed over the repetitions. */
  failures: number;
  /** "Views: 1" answers per connection per repetition: 1 means each browser kept its session. */
  firstVisitsPerConnection: number;
  serverLogLines: number;
  repetitions: Repetition[];
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 };
}

/** Measures one running server in each mode, in the order given (returning browsers first). */
export async function measureThroughput(
  running: RunningServer,
  server: BenchServer,
  modes: readonly Mode[],
  settings: ThroughputSettings,
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const [index, mode] of modes.entries()) {
    const logLinesBefore = running.logLines;
    let before = await running.stats();
    const repetitions: Repetition[] = [];
    // A server answering a few requests per second needs longer runs to count anything: with 50
    // connections each response waits for the 49 before it. It gets no warm-up: its cost is a key
    // derivation on every read and write, not compilation, and a warm-up would only leave a queue
    // of unanswered requests behind. With warmAfterFirstMode (quick runs), later modes reuse the
    // first mode's warm-up.
    const warmupSeconds = server.slow || (index > 0 && settings.warmAfterFirstMode) ? 0 : settings.warmupSeconds;
    const durationSeconds = server.slow ? Math.max(settings.durationSeconds, settings.slowDurationSeconds) : settings.durationSeconds;
    await runLoad(
      { url: running.url, mode, connections: settings.connections, warmupSeconds, durationSeconds, repetitions: settings.repetitions },
      {
        beforeRepetition: async () => {
          // Requests still queued from the warm-up or the last repetition must not count here
          // (the encrypted session-file-store has seconds of backlog when a run stops).
          await running.waitUntilIdle();
          settleDisk(); // nor the last repetition's files, still being written back
          before = await running.stats();
        },
        afterRepetition: async (result) => {
          const after = await running.stats();
          const serverMicros = after.cpuUserMicros + after.cpuSystemMicros - before.cpuUserMicros - before.cpuSystemMicros;
          const seconds = Math.max(result.durationSeconds, 0.001);
          repetitions.push({
            ...result,
            serverCpuPercent: serverMicros / 1e4 / seconds,
            serverCpuMicrosPerRequest: result.completed > 0 ? serverMicros / result.completed : 0,
            clientCpuPercent: result.clientCpuMicros / 1e4 / seconds,
          });
        },
      },
    );
    rows.push(summarize(server, mode, repetitions, settings.connections, running.logLines - logLinesBefore));
  }
  return rows;
}

/**
 * One row from rows of one server and mode that were measured in separate rounds (the interleaved
 * file stores in run.ts): their repetitions, summarized as if they had run back to back.
 */
export function mergeRounds(rows: readonly ThroughputRow[], connections: number): ThroughputRow {
  const first = rows[0];
  if (first === undefined) throw new Error("mergeRounds: no rows");
  const repetitions = rows.flatMap((row) => row.repetitions);
  const logLines = rows.reduce((sum, row) => sum + row.serverLogLines, 0);
  return summarize({ id: first.serverId, label: first.label }, first.mode, repetitions, connections, logLines);
}

function summarize(
  server: Pick<BenchServer, "id" | "label">,
  mode: Mode,
  repetitions: Repetition[],
  connections: number,
  serverLogLines: number,
): ThroughputRow {
  const median = (pick: (r: Repetition) => number) => spread(repetitions.map(pick)).median;
  return {
    serverId: server.id,
    label: server.label,
    mode,
    requestsPerSecond: spread(repetitions.map((r) => r.requestsPerSecond)),
    p99Ms: spread(repetitions.map((r) => r.latencyMs.p99)),
    serverCpuPercent: median((r) => r.serverCpuPercent),
    serverCpuMicrosPerRequest: median((r) => r.serverCpuMicrosPerRequest),
    clientCpuPercent: median((r) => r.clientCpuPercent),
    failures: repetitions.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx + r.mismatches, 0),
    firstVisitsPerConnection: repetitions.reduce((sum, r) => sum + r.firstVisits, 0) / (connections * repetitions.length),
    serverLogLines,
    repetitions,
  };
}
