// Runs one step's server: `npm run step -- 1` (also `01` or `01-view-counter`), `npm start` (the
// newest step). Reads PORT, HOST and DATA_DIR, prints exactly one "Listening on http://HOST:PORT"
// line when ready, and on SIGINT/SIGTERM stops accepting connections, lets in-flight requests
// finish, and exits 0.
import { existsSync, mkdirSync, readdirSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Server } from "node:http";
import { readServerSettings } from "../src/config/server-settings.ts";
import { closeGracefully, listen } from "../src/http/listen.ts";
import type { StepOptions } from "./step-options.ts";

/** What a step module exports. Steps that run more than one server (09) also export start(). */
interface StepModule {
  createServer(options: StepOptions): Server | Promise<Server>;
  start?(options: StepOptions & { port: number; host: string }): Promise<RunningStep>;
}

export interface RunningStep {
  /** Lines to print once ready; the first is "Listening on http://HOST:PORT". */
  lines: string[];
  close(): Promise<void>;
}

const stepsDir = path.dirname(fileURLToPath(import.meta.url));

export function listSteps(): string[] {
  return readdirSync(stepsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d\d-/.test(entry.name))
    .filter((entry) => existsSync(path.join(stepsDir, entry.name, "server.ts")))
    .map((entry) => entry.name)
    .sort();
}

export function findStep(argument: string, steps: string[]): string | undefined {
  if (argument === "latest") return steps.at(-1);
  if (/^\d{1,2}$/.test(argument)) return steps.find((name) => name.startsWith(argument.padStart(2, "0") + "-"));
  return steps.find((name) => name === argument);
}

async function main(): Promise<void> {
  const steps = listSteps();
  const argument = process.argv[2] ?? "";
  const folder = findStep(argument, steps);
  if (folder === undefined) {
    console.error(argument ? `Unknown step "${argument}".` : "Which step? Give its number.");
    console.error(`Steps:\n${steps.map((name) => `  ${name}`).join("\n")}`);
    console.error("Run one with: npm run step -- <number>");
    process.exit(2);
  }

  const settings = readServerSettings(process.env, folder);
  mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
  const options: StepOptions = { dataDir: settings.dataDir, env: process.env, log: (message) => console.log(message) };
  const step = (await import(pathToFileURL(path.join(stepsDir, folder, "server.ts")).href)) as StepModule;

  let running: RunningStep;
  if (step.start) {
    running = await step.start({ ...options, port: settings.port, host: settings.host });
  } else {
    const server = await step.createServer(options);
    const url = await listen(server, settings);
    running = { lines: [`Listening on ${url}`], close: () => closeGracefully(server) };
  }
  for (const line of running.lines) console.log(line);

  let stopping = false;
  const stop = (signal: string) => {
    // A second Ctrl-C while requests are still finishing means "now".
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`${signal}: finishing in-flight requests, then stopping.`);
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("Could not stop cleanly:", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

// Whether the module at `moduleUrl` is the one Node was started with, not one a test imported (this
// file's listSteps/findStep, say). Real paths on both sides: Node loads the file through its real
// path, and a symbolic link on the way (macOS's /tmp, a deploy link) would otherwise make this false,
// so the server would exit silently instead of starting.
export function isRunDirectly(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false; // argv[1] is not a file (an eval, a REPL): imported, not run
  }
}

if (isRunDirectly(import.meta.url)) {
  main().catch((error: unknown) => {
    // Configuration errors (a bad PORT or HOST, a corrupt users file, an unreadable secret file, a port
    // in use) get a message for the person starting the server; anything else is printed whole.
    const problem = startupProblem(error);
    console.error(problem === null ? error : `Cannot start: ${problem}`);
    process.exit(1);
  });
}

/** What to tell the person starting the server, or null for an error that needs its stack. */
export function startupProblem(error: unknown): string | null {
  if (error instanceof TypeError) return error.message;
  const { code, syscall, address, port, hostname } = (error ?? {}) as Record<string, unknown>;
  // Only listen()'s own errors are about PORT and HOST: an EACCES from reading a file is not.
  if (syscall === "getaddrinfo" && (code === "ENOTFOUND" || code === "EAI_AGAIN")) {
    return `HOST "${String(hostname)}" is not a name this machine can look up (${code}); set HOST to a host ` +
      "name or an IP address of this machine, such as 127.0.0.1, ::1 or 0.0.0.0 (every interface)";
  }
  if (syscall !== "listen") return null;
  const where = `${String(address)}:${String(port)}`;
  const choose = "choose another port with PORT (0 picks a free one; step 09 also listens on LOCAL_PROVIDER_PORT, " +
    "default PORT + 1)";
  if (code === "EADDRINUSE") return `${where} is already in use by another program; ${choose}`;
  if (code === "EACCES") return `no permission to listen on ${where} (ports below 1024 need privileges); ${choose}`;
  if (code === "EADDRNOTAVAIL") return `HOST ${String(address)} is not an address of this machine`;
  return null;
}
