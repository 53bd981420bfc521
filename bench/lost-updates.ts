// Lost updates: one browser, many overlapping requests. The first request gets a session cookie;
// then `increments` requests carrying that cookie are sent over 50 keep-alive connections at once,
// each incrementing the view counter; a last request reads the count. Without per-session
// serialization, overlapping read-modify-write cycles overwrite each other (express-session's
// known behaviour), and the final count falls short. Expected: 1 + increments + 1.
// Cookie sessions (the count travels in the cookie) are skipped: there, lost updates are by design.
import http from "node:http";
import type { BenchServer } from "./catalogue.ts";
import type { RunningServer } from "./processes.ts";

export interface LostUpdatesRow {
  serverId: string;
  label: string;
  increments: number;
  finalCount: number;
  lost: number;
  lostPercent: number;
  failedRequests: number;
  seconds: number;
}

interface Answer {
  status: number;
  body: string;
  setCookies: string[];
}

function get(url: string, agent: http.Agent, cookie: string): Promise<Answer> {
  return new Promise((resolve) => {
    const request = http.get(url, { agent, headers: cookie ? { cookie } : {}, timeout: 60_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body, setCookies: response.headers["set-cookie"] ?? [] }));
      response.on("error", () => resolve({ status: 0, body, setCookies: [] }));
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", () => resolve({ status: 0, body: "", setCookies: [] }));
  });
}

function viewsIn(body: string): number {
  return Number(/^Views: (\d+)$/.exec(body)?.[1] ?? Number.NaN);
}

/** Run on a freshly started server (before its throughput runs), with a session of its own. */
export async function measureLostUpdates(
  running: RunningServer,
  server: BenchServer,
  options: { increments: number; connections: number },
): Promise<LostUpdatesRow> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  try {
    const first = await get(running.url, agent, "");
    // The browser's cookie jar: name=value of each Set-Cookie (no attributes).
    const cookie = first.setCookies.map((header) => header.split(";")[0]).join("; ");
    if (first.status !== 200 || !cookie) throw new Error(`${server.id}: first visit gave ${first.status} and no cookie`);
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: options.increments }, () => get(running.url, agent, cookie)));
    const seconds = (performance.now() - started) / 1000;
    const last = await get(running.url, agent, cookie);
    const finalCount = viewsIn(last.body);
    const expected = options.increments + 2;
    const lost = Number.isFinite(finalCount) ? expected - finalCount : options.increments;
    return {
      serverId: server.id,
      label: server.label,
      increments: options.increments,
      finalCount,
      lost,
      lostPercent: (100 * lost) / options.increments,
      failedRequests: answers.filter((answer) => answer.status !== 200 || !Number.isFinite(viewsIn(answer.body))).length,
      seconds,
    };
  } finally {
    agent.destroy();
  }
}
