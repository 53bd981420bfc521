// Starts a step's server for a test: a fresh temporary DATA_DIR, the test's env and clock, the
// step's log captured in `logs`, listening on 127.0.0.1 port 0. (The error boundary still reports 5xx
// to console.error; a test that expects one silences it with t.mock.method(console, "error").)
// Each "browser" is a fetch with its own cookie jar; redirects are not followed, so tests see 303s.
//
//   const app = await startStep("01", { env: { SESSION_SECRET: "..." }, now: clock.now });
//   after(() => app.close());                       // always close, even when a test fails
//   const res = await app.fetch("/");                // the default browser; cookies kept in app.jar
//   const other = app.newBrowser();                  // a second browser with an empty jar
//   await app.restart();                             // same DATA_DIR, env and clock; new port; jars kept
//   await app.restart({ env: { SESSION_SECRET: "new,old" } });   // ... with other settings
//   await startStep("09", { stepOptions: { fetch: recordingFetch } }); // more options for createServer
//
// A step that exports start() (several servers) is started through it; the first printed line gives
// the URL, and a browser's fetch also takes absolute URLs (the step's other servers, same cookie jar).
// The step is named by number ("1", "01") or folder name, exactly as `npm run step` takes it.
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { closeGracefully, listen } from "../../src/http/listen.ts";
import { findStep, listSteps } from "../../steps/run.ts";
import type { StepOptions } from "../../steps/step-options.ts";
import { CookieJar } from "./cookie-jar.ts";

export interface StartStepOptions {
  /** Settings the step reads (SESSION_SECRET, ...). Default: none, so steps generate their secrets. */
  env?: Record<string, string | undefined>;
  /** Injected clock (see clock.ts). Default: the step's own, i.e. Date.now. */
  now?: () => number;
  /** Use this folder instead of a fresh one; it is then NOT removed by close(). */
  dataDir?: string;
  /** More options for the step's createServer or start(), beyond StepOptions (step 09: fetch, providerTimeoutMs). */
  stepOptions?: Record<string, unknown>;
}

export interface Browser {
  /** This browser's cookies: read them, or tamper with them before the next request. */
  readonly jar: CookieJar;
  /**
   * fetch(baseUrl + path), or fetch(url) for an absolute URL, sending the jar's Cookie header and
   * storing every Set-Cookie it gets back (cookies ignore ports, as in a browser on 127.0.0.1).
   * A `cookie` header given in init.headers replaces the jar's (to send a malformed header).
   */
  fetch(pathOrUrl: string, init?: RequestInit): Promise<Response>;
}

export interface StartedStep extends Browser {
  /** "http://127.0.0.1:<port>"; changes after restart(). */
  readonly baseUrl: string;
  readonly dataDir: string;
  /** What the step printed once ready: "Listening on <url>", then any lines of its start(). */
  readonly lines: string[];
  /** Every message the step logged, in order. */
  readonly logs: string[];
  /** A new browser with an empty cookie jar. */
  newBrowser(): Browser;
  /**
   * Stops the server gracefully and starts the same step again on the same DATA_DIR and clock;
   * `env`, when given, replaces the settings from then on. Browsers keep their cookies.
   */
  restart(options?: { env?: Record<string, string | undefined> }): Promise<void>;
  /** Stops the server and removes the temporary DATA_DIR. Safe to call twice. */
  close(): Promise<void>;
}

interface StepModule {
  createServer(options: StepOptions): Server | Promise<Server>;
  start?(options: StepOptions & { port: number; host: string }): Promise<{ lines: string[]; close(): Promise<void> }>;
}

const stepsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../steps");

export async function startStep(step: string, options: StartStepOptions = {}): Promise<StartedStep> {
  const folder = findStep(step, listSteps());
  if (folder === undefined) throw new TypeError(`step "${step}" not found in ${stepsDir}`);
  const module = (await import(pathToFileURL(path.join(stepsDir, folder, "server.ts")).href)) as StepModule;

  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
  const logs: string[] = [];
  const stepOptions: StepOptions = {
    ...options.stepOptions,
    dataDir,
    env: { ...options.env },
    log: (message) => logs.push(message),
    ...(options.now ? { now: options.now } : {}),
  };

  let running: Awaited<ReturnType<typeof run>>;
  try {
    running = await run(module, stepOptions);
  } catch (error) {
    // A step that refuses to start (bad setting) must not leave its temporary folder behind.
    if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  let closed = false;

  const newBrowser = (): Browser => {
    const jar = new CookieJar();
    return {
      jar,
      async fetch(pathOrUrl, init = {}) {
        const headers = new Headers(init.headers);
        const cookie = jar.header();
        if (!headers.has("cookie") && cookie !== undefined) headers.set("cookie", cookie);
        const url = /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : running.baseUrl + pathOrUrl;
        const response = await fetch(url, { redirect: "manual", ...init, headers });
        jar.store(response);
        return response;
      },
    };
  };
  const defaultBrowser = newBrowser();

  return {
    get baseUrl() {
      return running.baseUrl;
    },
    get lines() {
      return running.lines;
    },
    dataDir,
    logs,
    jar: defaultBrowser.jar,
    fetch: defaultBrowser.fetch,
    newBrowser,
    async restart(restartOptions = {}) {
      await running.close();
      if (restartOptions.env) stepOptions.env = { ...restartOptions.env };
      running = await run(module, stepOptions);
    },
    async close() {
      if (closed) return;
      closed = true;
      await running.close();
      if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function run(module: StepModule, options: StepOptions): Promise<{ baseUrl: string; lines: string[]; close(): Promise<void> }> {
  const address = { port: 0, host: "127.0.0.1" };
  if (module.start) {
    const started = await module.start({ ...options, ...address });
    const baseUrl = /^Listening on (http:\/\/\S+)$/.exec(started.lines[0] ?? "")?.[1];
    if (baseUrl === undefined) throw new TypeError(`step's first line is not "Listening on <url>": ${started.lines[0]}`);
    return { baseUrl, lines: started.lines, close: () => started.close() };
  }
  const server = await module.createServer(options);
  const baseUrl = await listen(server, address);
  return { baseUrl, lines: [`Listening on ${baseUrl}`], close: () => closeGracefully(server) };
}
