// The load generator: autocannon in its own process (so its CPU never competes with the
// orchestrator's, and is measured on its own), loopback only, bounded in time and count.
// "returning" mode: each of the N keep-alive connections is a separate returning browser with its
// own cookie jar, updated from every Set-Cookie it receives. autocannon's per-request `context` is
// reset after every request when there is one request in the list, so the jar lives on the client
// (setupClient) and is written into the request with client.setHeaders() when a cookie changes.
// "new" mode: no cookie ever, so every request is a first visit.
// Protocol (bench/processes.ts): argv[2] is a JSON LoadOptions; the warm-up runs first and is not
// reported; before each measured repetition the child sends "ready" and waits for "go" (so the
// orchestrator can read the server's CPU time at the start), then sends the repetition's "result".
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
  /** Responses that said "Views: 1": about one per connection when cookies are kept. */
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

function run(options: LoadOptions): Promise<LoadResult> {
  let firstVisits = 0;
  let setCookieHeaders = 0;
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
          const jar: Jar = new Map();
          client.on("headers", ({ headers }) => {
            let changed = false;
            for (let i = 0; i < headers.length; i += 2) {
              if (headers[i]?.toLowerCase() !== "set-cookie") continue;
              setCookieHeaders++;
              changed = applySetCookie(jar, headers[i + 1] ?? "") || changed;
            }
            if (!changed) return;
            const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
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

function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== "go") return;
      process.off("message", onMessage);
      resolve();
    };
    process.on("message", onMessage);
    process.send?.({ type: "ready" });
  });
}

async function main(options: LoadOptions): Promise<void> {
  if (options.warmupAmount) {
    await run({ ...options, amount: options.warmupAmount });
  } else if (options.warmupSeconds) {
    await run({ ...options, amount: undefined, durationSeconds: options.warmupSeconds });
  }
  for (let i = 0; i < (options.repetitions ?? 1); i++) {
    await waitForGo();
    const result = await run(options);
    await new Promise<void>((resolve) => process.send?.({ type: "result", result }, () => resolve()));
  }
}

const options = JSON.parse(process.argv[2] ?? "{}") as LoadOptions;
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+\//.test(options.url) || !process.send) {
  // The bench only ever loads servers it started on this machine, and only as a child process.
  console.error("load.ts: run by bench/run.ts only (IPC), against a loopback URL");
  process.exit(2);
}
main(options).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error("load.ts:", error);
    process.exit(1);
  },
);
