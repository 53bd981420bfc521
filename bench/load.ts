// The load generator: autocannon in its own process (so its CPU never competes with the
// orchestrator's, and is measured on its own), loopback only, bounded in time and count.
// "returning" mode: each of the N keep-alive connections is a separate returning browser with its
// own cookie jar, updated from every Set-Cookie it receives. autocannon's per-request `context` is
// reset after every request when there is one request in the list, so the jar lives on the client
// (setupClient) and is written into the request with client.setHeaders() when a cookie changes.
// Each browser's first visit is made before the repetition starts (prime()), not timed: otherwise a
// slow server's "returning" run would be mostly first visits, that is new-visitor throughput.
// "new" mode: no cookie ever, so every request is a first visit.
// Protocol (bench/processes.ts): argv[2] is a JSON array of LoadOptions, run one after the other in
// this one process (a process costs a second or more to start: one per mode would add up); for each,
// the warm-up runs first and is not reported; before each measured repetition the child makes the
// first visits (returning mode), sends "ready" and waits for "go" (so the orchestrator can wait for
// the server to be idle and read its CPU time at the start), then sends the repetition's "result".
// Both messages carry `run`, the index of the LoadOptions they belong to.
import http from "node:http";
import autocannon from "autocannon";

export interface LoadOptions {
  url: string;
  mode: "returning" | "new";
  connections: number;
  /** Thrown-away run before the measured ones, for this long (0: none)... */
  warmupSeconds?: number;
  /** ...or for this many responses. */
  warmupAmount?: number;
  repetitions?: number;
  /** Run for this long... */
  durationSeconds?: number;
  /** ...or until this many responses (then maxSeconds bounds it). */
  amount?: number;
  maxSeconds?: number;
}

export interface LoadResult {
  ok2xx: number;
  completed: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Bodies that did not read "Views: <n>". */
  mismatches: number;
  /** Responses that said "Views: 1": none in returning mode while the browsers keep their sessions. */
  firstVisits: number;
  setCookieHeaders: number;
  clientCpuMicros: number;
}

type Jar = Map<string, string>;

/** Applies one Set-Cookie header to the jar; returns whether the jar changed. */
function applySetCookie(jar: Jar, header: string): boolean {
  const [pair = "", ...attributes] = header.split(";");
  const equals = pair.indexOf("=");
  if (equals <= 0) return false;
  const name = pair.slice(0, equals).trim();
  const value = pair.slice(equals + 1).trim();
  const expired = attributes.some((attribute) => /^\s*max-age\s*=\s*0\s*$/i.test(attribute)) || value === "";
  if (expired) return jar.delete(name);
  if (jar.get(name) === value) return false;
  jar.set(name, value);
  return true;
}

// autocannon ships no types; these are the parts used here.
interface AutocannonResult {
  "2xx": number;
  duration: number;
  requests: { total: number };
  latency: { p50: number; p99: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
}

interface AutocannonClient {
  on(event: "headers", listener: (info: { headers: string[] }) => void): void;
  setHeaders(headers: Record<string, string>): void;
}

/**
 * Returning mode: each browser's first visit, one request per connection, all at once and before the
 * timed run; returns each browser's cookie jar. A visit that fails leaves its jar empty: that browser's
 * first timed request is then a first visit, and shows in the report's first-visit share.
 */
async function prime(options: LoadOptions): Promise<Jar[]> {
  const visit = () =>
    new Promise<Jar>((resolve) => {
      const jar: Jar = new Map();
      const request = http.get(options.url, { agent: false, timeout: 60_000 }, (response) => {
        for (const header of response.headers["set-cookie"] ?? []) applySetCookie(jar, header);
        response.resume().on("end", () => resolve(jar)).on("error", () => resolve(jar));
      });
      request.on("timeout", () => request.destroy(new Error("timeout")));
      request.on("error", () => resolve(jar));
    });
  return Promise.all(Array.from({ length: options.connections }, visit));
}

const cookieHeader = (jar: Jar) => [...jar].map(([name, value]) => `${name}=${value}`).join("; ");

function run(options: LoadOptions, jars: Jar[] = []): Promise<LoadResult> {
  let firstVisits = 0;
  let setCookieHeaders = 0;
  let clients = 0;
  const cpuBefore = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationSeconds ?? 10,
        amount: options.amount,
        timeout: 30, // seconds: the encrypted file store answers in seconds under load
        // A run ends at the first sample tick after its duration: 250 ms ticks end it closer to it.
        sampleInt: 250,
        setupClient: (client: AutocannonClient) => {
          if (options.mode !== "returning") return;
          // One primed browser per connection (autocannon sets up its clients one by one).
          const jar: Jar = jars[clients++] ?? new Map();
          if (jar.size > 0) client.setHeaders({ cookie: cookieHeader(jar) });
          client.on("headers", ({ headers }) => {
            let changed = false;
            for (let i = 0; i < headers.length; i += 2) {
              if (headers[i]?.toLowerCase() !== "set-cookie") continue;
              setCookieHeaders++;
              changed = applySetCookie(jar, headers[i + 1] ?? "") || changed;
            }
            if (!changed) return;
            const cookie = cookieHeader(jar);
            client.setHeaders(cookie ? { cookie } : {});
          });
        },
        verifyBody: (body: string) => {
          if (body === "Views: 1") firstVisits++;
          return /^Views: \d+$/.test(body);
        },
      },
      (error: Error | null, result: AutocannonResult) => {
        clearTimeout(bound);
        if (error) return reject(error);
        const cpu = process.cpuUsage(cpuBefore);
        const durationSeconds = result.duration;
        resolve({
          ok2xx: result["2xx"],
          completed: result.requests.total,
          durationSeconds,
          requestsPerSecond: durationSeconds > 0 ? result["2xx"] / durationSeconds : 0,
          latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          mismatches: result.mismatches,
          firstVisits,
          setCookieHeaders,
          clientCpuMicros: cpu.user + cpu.system,
        });
      },
    );
    // A bound on every run, even one counted in requests: a slow server must not hold the bench.
    const maxSeconds = options.maxSeconds ?? (options.durationSeconds ?? 10) + 30;
    const bound = setTimeout(() => instance.stop(), maxSeconds * 1000);
  });
}

function waitForGo(run: number): Promise<void> {
  return new Promise((resolve) => {
    // If the orchestrator goes (or stops this run), "go" never comes: exit rather than wait.
    const onDisconnect = () => process.exit(1);
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== "go") return;
      process.off("message", onMessage);
      process.off("disconnect", onDisconnect);
      resolve();
    };
    process.on("message", onMessage);
    process.once("disconnect", onDisconnect);
    process.send?.({ type: "ready", run });
  });
}

async function main(plan: LoadOptions[]): Promise<void> {
  for (const [index, options] of plan.entries()) {
    if (options.warmupAmount) {
      await run({ ...options, amount: options.warmupAmount });
    } else if (options.warmupSeconds) {
      await run({ ...options, amount: undefined, durationSeconds: options.warmupSeconds });
    }
    for (let i = 0; i < (options.repetitions ?? 1); i++) {
      // Fresh browsers every repetition. Their first visits come before "ready", so the orchestrator's
      // wait for an idle server also waits for the writes they caused.
      const jars = options.mode === "returning" ? await prime(options) : [];
      await waitForGo(index);
      const result = await run(options, jars);
      await new Promise<void>((resolve) => process.send?.({ type: "result", run: index, result }, () => resolve()));
    }
  }
}

const plan = JSON.parse(process.argv[2] ?? "[]") as LoadOptions[];
const loopback = /^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+\//;
if (!Array.isArray(plan) || plan.length === 0 || !plan.every((options) => loopback.test(options.url)) || !process.send) {
  // The bench only ever loads servers it started on this machine, and only as a child process.
  console.error("load.ts: run by bench/run.ts only (IPC), against a loopback URL");
  process.exit(2);
}
main(plan).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error("load.ts:", error);
    process.exit(1);
  },
);
