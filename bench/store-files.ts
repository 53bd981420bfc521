// What a file store leaves on disk after a flood of new visitors: session files and their bytes in
// its sessions folder, leftover temporary files (a write that was not atomic or not cleaned up), and
// how many lines the server logged meanwhile (session-file-store logs every retry). Only the sessions
// folder is counted: our steps keep their keys (session-secret, file-name-key, encryption-key) beside
// it in the data folder, and those are not sessions. Bounded in time: the encrypted
// session-file-store manages a few requests per second, so it serves fewer visitors.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import type { BenchServer } from "./catalogue.ts";
import { makeDataDir, removeDataDir, runLoad, startServer, type RunningServer } from "./processes.ts";

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

/**
 * Temporary files: ours are `<file>.<hex>.tmp` (src/files/atomic-write.ts); session-file-store's,
 * from write-file-atomic, are `<id>.json.<number>`; `~` and `.temp` are other tools' habits.
 */
const temporary = /\.tmp|~$|\.temp|\.json\.\d+$/i;

/** Where each store keeps its session files: our steps in DATA_DIR/sessions, session-file-store in its `path`. */
const sessionsFolder = (server: BenchServer, dataDir: string) => (server.ours ? path.join(dataDir, "sessions") : dataDir);

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return []; // no session was ever written
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

export async function measureStoreFiles(
  server: BenchServer,
  options: { visitors: number; connections: number; maxSeconds: number; nodeArgs?: string[] },
): Promise<StoreFilesRow> {
  const dataDir = makeDataDir();
  let started: RunningServer | undefined; // inside the try, so a server that fails to start leaves no folder
  try {
    const running = await startServer(server.file, server.args, { dataDir, nodeArgs: options.nodeArgs });
    started = running;
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
    const all = listFiles(sessionsFolder(server, dataDir));
    const files = all.filter((file) => !temporary.test(path.basename(file)));
    return {
      serverId: server.id,
      label: server.label,
      visitors: options.visitors,
      served: flood?.ok2xx ?? 0,
      seconds: flood?.durationSeconds ?? 0,
      // autocannon counts every timeout in errors as well.
      failures: flood ? flood.errors + flood.non2xx + flood.mismatches : 0,
      files: files.length,
      kibibytes: files.reduce((sum, file) => sum + statSync(file).size, 0) / 1024,
      temporaryFiles: all.length - files.length,
      logLines: running.logLines - logLinesBefore,
      logSample: running.logSample,
    };
  } finally {
    await started?.stop();
    removeDataDir(dataDir);
  }
}
