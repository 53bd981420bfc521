// Resident memory after a flood of new visitors (no cookie, so each request is a new session), for
// servers that keep sessions in process memory. The baseline is taken after a small warm-up and a
// full GC; the figure after the flood also follows a full GC, so it is memory the server keeps, not
// garbage waiting for collection. An unbounded store grows with every visitor; a bounded one
// (oldest evicted past maxEntries) levels off.
import type { BenchServer } from "./catalogue.ts";
import { makeDataDir, removeDataDir, runLoad, startServer, type RunningServer } from "./processes.ts";

export interface MemoryRow {
  serverId: string;
  label: string;
  visitors: number;
  served: number;
  seconds: number;
  rssBeforeMiB: number;
  rssGrowthMiB: number;
  heapGrowthMiB: number;
  /** Growth of the heap V8 reserved: RSS growth beyond it is outside the JS heap (buffers, malloc). */
  heapTotalGrowthMiB: number;
}

const mebibyte = 1024 * 1024;

export async function measureMemory(
  server: BenchServer,
  options: { visitors: number; connections: number; maxSeconds: number; nodeArgs?: string[] },
): Promise<MemoryRow> {
  const dataDir = makeDataDir();
  let started: RunningServer | undefined; // inside the try, so a server that fails to start leaves no folder
  try {
    const running = await startServer(server.file, server.args, { dataDir, nodeArgs: options.nodeArgs });
    started = running;
    // Warm-up: 1,000 visitors, so code paths are compiled and pools allocated before the baseline
    // (taken once the server is idle, after a full GC).
    let before = await running.stats();
    const [flood] = await runLoad(
      { url: running.url, mode: "new", connections: options.connections, warmupAmount: 1_000, amount: options.visitors, maxSeconds: options.maxSeconds },
      {
        beforeRepetition: async () => {
          await running.waitUntilIdle();
          before = await running.stats({ gc: true });
        },
      },
    );
    await running.waitUntilIdle();
    const after = await running.stats({ gc: true });
    return {
      serverId: server.id,
      label: server.label,
      visitors: options.visitors,
      served: flood?.ok2xx ?? 0,
      seconds: flood?.durationSeconds ?? 0,
      rssBeforeMiB: before.rssBytes / mebibyte,
      rssGrowthMiB: (after.rssBytes - before.rssBytes) / mebibyte,
      heapGrowthMiB: (after.heapUsedBytes - before.heapUsedBytes) / mebibyte,
      heapTotalGrowthMiB: (after.heapTotalBytes - before.heapTotalBytes) / mebibyte,
    };
  } finally {
    await started?.stop();
    removeDataDir(dataDir);
  }
}
