// Child processes for the bench: every server and every load generator is its own process, started
// here and stopped by its PID (never by name), on loopback only. A server is "ready" when it prints
// "Listening on http://127.0.0.1:PORT"; lines it prints after that are counted as warnings (that is
// how store warnings are reported). Children still alive when the bench exits are killed by PID, and
// data folders not yet removed are removed, on Ctrl-C too.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { LoadOptions, LoadResult } from "./load.ts";
import type { ServerStats } from "./servers/serve.ts";

export const benchDir = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(benchDir, "..");

/** Data folders not removed yet: Ctrl-C exits without running `finally` blocks, so killAll() removes them. */
const liveDataDirs = new Set<string>();

/**
 * A fresh data folder for one server run, under bench/results/ (git-ignored), on the disk that holds
 * the repository. Not os.tmpdir(): /tmp is a RAM file system on many systems, where fsync costs
 * nothing and a file store would look faster than it is on a disk.
 */
export function makeDataDir(): string {
  const parent = path.join(benchDir, "results", "data");
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(path.join(parent, "run-"));
  liveDataDirs.add(dir);
  return dir;
}

function removeNow(dir: string): void {
  // Retries: a server killed a moment ago may still be creating a file in it.
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  liveDataDirs.delete(dir);
}

/**
 * Removes a server's data folder, then waits for this machine's kernel to write back what is pending
 * (50k session files leave seconds of it), so the next server doesn't share the disk with that. A
 * virtual disk can stay slow for minutes after that on its host, which `sync` cannot wait for: the
 * file stores take turns for that reason (run.ts).
 */
export function removeDataDir(dir: string): void {
  removeNow(dir);
  settleDisk();
}

/**
 * Waits until the kernel has written everything pending to disk (`sync`), so a measurement doesn't
 * start during the last one's writeback. Where there is no `sync` command (Windows), it returns at once.
 */
export function settleDisk(): void {
  spawnSync("sync", { stdio: "ignore", timeout: 60_000 });
}

// Children run TypeScript natively where Node strips types itself (22.18+, 23.6+), else through the
// root's tsx, the way `npm run bench` runs this file. Native is preferred: tsx (esbuild keepNames)
// wraps every function our code creates per request in a __name() call, a cost no reader's
// production build has.
const typeScriptArgs = (process.features as { typescript?: string }).typescript
  ? []
  : ["--import", import.meta.resolve("tsx")];
const live = new Set<ChildProcess>();

/** process.kill, except that a process that has exited already (ESRCH) is not an error. */
function sendSignal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

function killAll(): void {
  for (const child of live) if (child.pid !== undefined) sendSignal(child.pid, "SIGKILL");
  for (const dir of liveDataDirs) {
    try {
      removeNow(dir);
    } catch {
      // Exiting anyway: a folder that will not go is left for the user (bench/results/data/).
    }
  }
}
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

function spawnTs(file: string, args: string[], options: { env?: Record<string, string>; nodeArgs?: string[] }): ChildProcess {
  const env = { ...process.env, ...options.env };
  delete env.NODE_OPTIONS; // the bench chooses each child's flags itself
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...typeScriptArgs, file, ...args], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

export interface RunningServer {
  url: string;
  pid: number;
  /** Lines printed after "Listening on": store warnings, errors. */
  logLines: number;
  logSample: string[];
  stats(options?: { gc?: boolean }): Promise<ServerStats>;
  /** Resolves once the server's CPU time stops growing: the last run's backlog is done. */
  waitUntilIdle(maxSeconds?: number): Promise<void>;
  stop(): Promise<void>;
}

export function startServer(
  file: string,
  args: string[],
  options: { dataDir: string; nodeArgs?: string[] },
): Promise<RunningServer> {
  const child = spawnTs(path.join(benchDir, "servers", file), args, {
    env: { DATA_DIR: options.dataDir },
    nodeArgs: ["--expose-gc", ...(options.nodeArgs ?? [])],
  });
  let nextId = 0;
  const pending = new Map<number, (stats: ServerStats) => void>();
  child.on("message", (message: { type?: string; id?: number; stats?: ServerStats }) => {
    if (message.type !== "stats" || message.id === undefined || !message.stats) return;
    pending.get(message.id)?.(message.stats);
    pending.delete(message.id);
  });

  return new Promise((resolve, reject) => {
    let ready = false;
    let startupOutput = "";
    const running: RunningServer = {
      url: "",
      pid: child.pid ?? -1,
      logLines: 0,
      logSample: [],
      stats: (statsOptions) =>
        new Promise((resolveStats, rejectStats) => {
          const id = nextId++;
          const timer = setTimeout(() => rejectStats(new Error(`${file}: no stats answer`)), 30_000);
          pending.set(id, (stats) => {
            clearTimeout(timer);
            resolveStats(stats);
          });
          child.send({ type: "stats", id, gc: statsOptions?.gc ?? false });
        }),
      waitUntilIdle: async (maxSeconds = 30) => {
        const intervalMs = 100;
        const cpuMicros = async () => {
          const stats = await running.stats();
          return stats.cpuUserMicros + stats.cpuSystemMicros;
        };
        let previous = await cpuMicros();
        for (let waited = 0; waited < maxSeconds * 1000; waited += intervalMs) {
          await new Promise((resolve) => setTimeout(resolve, intervalMs));
          const current = await cpuMicros();
          // Under 10 % of a core over the interval: only timers and the stats request itself.
          if (current - previous < intervalMs * 100) return;
          previous = current;
        }
      },
      stop: () => stopChild(child),
    };
    const onLine = (line: string) => {
      if (line.trim() === "") return;
      if (!ready) {
        const match = /^Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (match?.[1]) {
          ready = true;
          clearTimeout(startTimer);
          running.url = `${match[1]}/`;
          resolve(running);
        } else startupOutput += `${line}\n`;
        return;
      }
      running.logLines++;
      if (running.logSample.length < 3) running.logSample.push(line.slice(0, 200));
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = "";
      stream?.setEncoding("utf8").on("data", (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        lines.forEach(onLine);
      });
    }
    const startTimer = setTimeout(() => {
      void stopChild(child);
      reject(new Error(`${file} ${args.join(" ")} did not start in 60 s:\n${startupOutput}`));
    }, 60_000);
    child.once("exit", (code) => {
      clearTimeout(startTimer);
      if (!ready) reject(new Error(`${file} ${args.join(" ")} exited (${code}) before listening:\n${startupOutput}`));
    });
  });
}

/** SIGTERM by PID, then SIGKILL by PID if it has not exited within 5 seconds. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  const pid = child.pid;
  return new Promise((resolve) => {
    const timer = setTimeout(() => sendSignal(pid, "SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    sendSignal(pid, "SIGTERM");
  });
}

/**
 * Runs bench/load.ts (autocannon) in its own process: its warm-up, then each repetition, calling
 * beforeRepetition() / afterRepetition() around each (for the server's CPU time).
 */
export async function runLoad(
  options: LoadOptions,
  hooks: { beforeRepetition?: () => Promise<void>; afterRepetition?: (result: LoadResult) => Promise<void> } = {},
): Promise<LoadResult[]> {
  const [results = []] = await runLoads([options], hooks);
  return results;
}

/**
 * The same for several loads one after the other in one load process (a process costs a second or
 * more to start), such as one server's two modes; the hooks are told which load (its index in plan).
 * Returns each load's results. If a hook fails, the load child (which would wait for "go" forever)
 * is stopped and the promise rejects with the hook's error.
 */
export function runLoads(
  plan: LoadOptions[],
  hooks: { beforeRepetition?: (run: number) => Promise<void>; afterRepetition?: (result: LoadResult, run: number) => Promise<void> } = {},
): Promise<LoadResult[][]> {
  const child = spawnTs(path.join(benchDir, "load.ts"), [JSON.stringify(plan)], {});
  const results: LoadResult[][] = plan.map(() => []);
  let chain = Promise.resolve();
  let failed: { error: unknown } | undefined;
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
    child.stdout?.resume();
    child.on("message", (message: { type?: string; run?: number; result?: LoadResult }) => {
      chain = chain.then(async () => {
        const run = message.run ?? 0;
        if (failed) return;
        if (message.type === "ready") {
          await hooks.beforeRepetition?.(run);
          child.send({ type: "go" });
        } else if (message.type === "result" && message.result) {
          results[run]?.push(message.result);
          await hooks.afterRepetition?.(message.result, run);
        }
      }).catch((error: unknown) => {
        failed = { error };
        void stopChild(child);
      });
    });
    child.once("exit", (code) => {
      void chain.then(() => {
        const got = results.map((list) => list.length).join("+");
        const expected = plan.map((options) => options.repetitions ?? 1).join("+");
        if (failed) reject(failed.error);
        else if (code === 0 && got === expected) resolve(results);
        else reject(new Error(`load generator exited (${code}) with ${got}/${expected} results:\n${stderr}`));
      });
    });
  });
}

/** Runs a bench script (hashing.ts) in its own process and returns the message it sends. */
export function runScript<T>(file: string, args: string[], nodeArgs: string[] = []): Promise<T> {
  const child = spawnTs(path.join(benchDir, file), args, { nodeArgs });
  return new Promise((resolve, reject) => {
    let result: T | undefined;
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-2000)));
    child.stdout?.resume();
    child.on("message", (message: { type?: string } & T) => {
      if (message.type === "result") result = message;
    });
    child.once("exit", (code) => (result !== undefined ? resolve(result) : reject(new Error(`${file} exited (${code}):\n${stderr}`))));
  });
}
