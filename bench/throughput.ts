// Requests per second and p99 latency of one server, measured fairly: per mode (returning browsers
// first, then new visitors) a warm-up run that is thrown away (JIT, caches, first files), then N
// repetitions of the same load, each starting once the server (and every other server still running,
// see idleToo) is idle, each with fresh browsers whose first visits were made before timing starts
// (load.ts). Reports the median with the range, every error, the share of answers that were first
// visits anyway (sessions lost), and the CPU time the server and the load generator each used (as %
// of one core: on a 2-core machine a client near 100% means the client, not the server, is the limit).
import type { BenchServer } from "./catalogue.ts";
import type { LoadResult } from "./load.ts";
import { runLoads, settleDisk, type RunningServer } from "./processes.ts";

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

/**
 * Above this share of "Views: 1" answers, a returning-browsers row is flagged: the first visits were
 * made before timing, so these are sessions the server lost, and that much of its req/s is
 * new-visitor throughput.
 */
export const firstVisitShareLimit = 0.03;

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
  /** Socket errors (timeouts included) + non-2xx + unexpected bodies, summed over the repetitions. */
  failures: number;
  /** "Views: 1" answers / all answers: about 0 for returning browsers that keep their sessions. */
  firstVisitShare: number;
  serverLogLines: number;
  repetitions: Repetition[];
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { median, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 };
}

/** Whether a returning-browsers row lost sessions (see firstVisitShareLimit); raw servers keep none. */
export function losesSessions(row: ThroughputRow): boolean {
  return row.mode === "returning" && !row.serverId.startsWith("raw") && row.firstVisitShare > firstVisitShareLimit;
}

/**
 * Measures one running server in each mode, in the order given (returning browsers first). idleToo:
 * other servers running meanwhile (the interleaved file stores), also waited on before each
 * repetition: a slow one can keep working through a queue for seconds after its own load stopped.
 */
export async function measureThroughput(
  running: RunningServer,
  server: BenchServer,
  modes: readonly Mode[],
  settings: ThroughputSettings,
  idleToo: readonly RunningServer[] = [],
): Promise<ThroughputRow[]> {
  // All modes in one load process, one after the other (a process takes a second or more to start).
  const plan = modes.map((mode, index) => {
    // A server answering a few requests per second needs longer runs to count anything: with 50
    // connections each response waits for the 49 before it. It gets no warm-up: its cost is a key
    // derivation on every read and write, not compilation, and a warm-up would only leave a queue
    // of unanswered requests behind. With warmAfterFirstMode (quick runs), later modes reuse the
    // first mode's warm-up.
    const warmupSeconds = server.slow || (index > 0 && settings.warmAfterFirstMode) ? 0 : settings.warmupSeconds;
    const durationSeconds = server.slow ? Math.max(settings.durationSeconds, settings.slowDurationSeconds) : settings.durationSeconds;
    return { url: running.url, mode, connections: settings.connections, warmupSeconds, durationSeconds, repetitions: settings.repetitions };
  });
  const repetitions: Repetition[][] = modes.map(() => []);
  // Log lines per mode: from the end of the previous mode (or the start) to the end of this one.
  const logLines: number[] = modes.map(() => 0);
  let logMark = running.logLines;
  let before = await running.stats();
  await runLoads(plan, {
    beforeRepetition: async () => {
      // Requests still queued from the warm-up or the last repetition must not count here
      // (the encrypted session-file-store has seconds of backlog when a run stops), nor those
      // of another server still running: it would take CPU and disk from this one.
      await Promise.all([running, ...idleToo.filter((other) => other !== running)].map((r) => r.waitUntilIdle(60)));
      settleDisk(); // nor the last repetition's files, still being written back
      before = await running.stats();
    },
    afterRepetition: async (result, index) => {
      const after = await running.stats();
      const serverMicros = after.cpuUserMicros + after.cpuSystemMicros - before.cpuUserMicros - before.cpuSystemMicros;
      const seconds = Math.max(result.durationSeconds, 0.001);
      repetitions[index]?.push({
        ...result,
        serverCpuPercent: serverMicros / 1e4 / seconds,
        serverCpuMicrosPerRequest: result.completed > 0 ? serverMicros / result.completed : 0,
        clientCpuPercent: result.clientCpuMicros / 1e4 / seconds,
      });
      if (repetitions[index]?.length === settings.repetitions) {
        logLines[index] = running.logLines - logMark;
        logMark = running.logLines;
      }
    },
  });
  return modes.map((mode, index) => summarize(server, mode, repetitions[index] ?? [], logLines[index] ?? 0));
}

/**
 * One row from rows of one server and mode that were measured in separate rounds (the interleaved
 * file stores in run.ts): their repetitions, summarized as if they had run back to back.
 */
export function mergeRounds(rows: readonly ThroughputRow[]): ThroughputRow {
  const first = rows[0];
  if (first === undefined) throw new Error("mergeRounds: no rows");
  const repetitions = rows.flatMap((row) => row.repetitions);
  const logLines = rows.reduce((sum, row) => sum + row.serverLogLines, 0);
  return summarize({ id: first.serverId, label: first.label }, first.mode, repetitions, logLines);
}

function summarize(
  server: Pick<BenchServer, "id" | "label">,
  mode: Mode,
  repetitions: Repetition[],
  serverLogLines: number,
): ThroughputRow {
  const median = (pick: (r: Repetition) => number) => spread(repetitions.map(pick)).median;
  const sum = (pick: (r: Repetition) => number) => repetitions.reduce((total, r) => total + pick(r), 0);
  return {
    serverId: server.id,
    label: server.label,
    mode,
    requestsPerSecond: spread(repetitions.map((r) => r.requestsPerSecond)),
    p99Ms: spread(repetitions.map((r) => r.latencyMs.p99)),
    serverCpuPercent: median((r) => r.serverCpuPercent),
    serverCpuMicrosPerRequest: median((r) => r.serverCpuMicrosPerRequest),
    clientCpuPercent: median((r) => r.clientCpuPercent),
    // autocannon counts every timeout in errors as well: not added again.
    failures: sum((r) => r.errors + r.non2xx + r.mismatches),
    firstVisitShare: sum((r) => r.firstVisits) / Math.max(sum((r) => r.completed), 1),
    serverLogLines,
    repetitions,
  };
}
