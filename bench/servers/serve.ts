// What every bench server does once its app is built: listen on 127.0.0.1 (loopback only, port 0 so
// the OS picks a free port), print exactly one "Listening on http://127.0.0.1:PORT" line, answer the
// orchestrator's "stats" messages over IPC (CPU time, resident memory, heap after a GC when
// --expose-gc is on), and stop on SIGTERM. The orchestrator starts each server as a child process
// and stops it by its PID, so a crashed bench never leaves a server behind.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ServerStats {
  cpuUserMicros: number;
  cpuSystemMicros: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Memory V8 reserved for its heap, used or not (the young generation grows under load). */
  heapTotalBytes: number;
}

/** Listens (unless already listening, as Fastify does itself), announces the URL, serves stats. */
export async function serve(server: Server): Promise<void> {
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
  }
  const { port } = server.address() as AddressInfo;
  process.on("message", (message: { type?: string; id?: number; gc?: boolean }) => {
    if (message?.type !== "stats") return;
    const gc = (globalThis as { gc?: () => void }).gc;
    // A full GC first makes "memory after 100k visitors" measure what is kept, not garbage.
    if (message.gc && gc) {
      gc();
      gc();
    }
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const stats: ServerStats = {
      cpuUserMicros: cpu.user,
      cpuSystemMicros: cpu.system,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
    };
    process.send?.({ type: "stats", id: message.id, stats });
  });
  // The IPC channel keeps the process alive only while the orchestrator holds it: if the
  // orchestrator dies, "disconnect" fires and the server goes too.
  process.on("disconnect", () => process.exit(0));
  process.on("SIGTERM", () => process.exit(0));
  console.log(`Listening on http://127.0.0.1:${port}`);
}

/** A fixed 32-byte+ secret for peers that need one. Bench-only: never use a constant secret in an app. */
export const benchSecret = "bench-only-secret-0123456789abcdefghijklmnopqrstuvwxyz";
