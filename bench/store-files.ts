// What a file store leaves on disk after a flood of new visitors: files and bytes in its data
// folder, leftover temporary files (a write that was not atomic or not cleaned up), and how many
// lines the server logged meanwhile (session-file-store logs every retry). Bounded in time: the
// encrypted session-file-store manages a few requests per second, so it serves fewer visitors.
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { BenchServer } from "./catalogue.ts";
import { makeDataDir, removeDataDir, runLoad, startServer } from "./processes.ts";

export interface StoreFilesRow {
  serverId: string;
  label: string;
  visitors: number;
  served: number;
  seconds: number;
  failures: number;
  files: number;
  kibibytes: number;
  temporaryFiles: number;
  logLines: number;
  logSample: string[];
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

export async function measureStoreFiles(
  server: BenchServer,
  options: { visitors: number; connections: number; maxSeconds: number; nodeArgs?: string[] },
): Promise<StoreFilesRow> {
  const dataDir = makeDataDir();
  const running = await startServer(server.file, server.args, { dataDir, nodeArgs: options.nodeArgs });
  try {
    const logLinesBefore = running.logLines;
    const [flood] = await runLoad({
      url: running.url,
      mode: "new",
      connections: options.connections,
      amount: options.visitors,
      maxSeconds: options.maxSeconds,
    });
    // Let writes that were still in flight when the load stopped land.
    await running.waitUntilIdle();
    const files = listFiles(dataDir);
    return {
      serverId: server.id,
      label: server.label,
      visitors: options.visitors,
      served: flood?.ok2xx ?? 0,
      seconds: flood?.durationSeconds ?? 0,
      failures: flood ? flood.errors + flood.timeouts + flood.non2xx + flood.mismatches : 0,
      files: files.length,
      kibibytes: files.reduce((sum, file) => sum + statSync(file).size, 0) / 1024,
      temporaryFiles: files.filter((file) => /\.tmp|~$|\.temp/i.test(path.basename(file))).length,
      logLines: running.logLines - logLinesBefore,
      logSample: running.logSample,
    };
  } finally {
    await running.stop();
    removeDataDir(dataDir);
  }
}
