// The disk's own ceiling for a file session store: how many small files per second this machine can
// write atomically (temp file, write, fsync, close, rename, as src/session/file-store.ts does) with 50
// writes in flight, on the folder the bench servers use. Every request of a view counter on a file
// store writes one such file, so no file store can serve more requests per second than this; the
// same without fsync shows what durability costs. Runs in its own process (libuv's default thread
// pool of 4, like the servers) and replies with DiskRow[] over IPC.
import { rmSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { makeDataDir } from "./processes.ts";

export interface DiskRow {
  operation: string;
  writesPerSecond: number;
}

async function measure(dir: string, sync: boolean, seconds: number): Promise<number> {
  const text = JSON.stringify({ data: { views: 1 }, userId: null, createdAtMs: 0, lastSeenMs: 0, expiresAtMs: 0 }).padEnd(300);
  let writes = 0;
  const endAt = performance.now() + seconds * 1000;
  const writer = async (w: number) => {
    for (let i = 0; performance.now() < endAt; i++) {
      // 500 session files per writer, rewritten in turn, as returning browsers would.
      const name = path.join(dir, `session-${w}-${i % 500}`);
      const temp = `${name}.${i}.tmp`;
      const handle = await fs.open(temp, "wx", 0o600);
      await handle.writeFile(text, "utf8");
      if (sync) await handle.sync();
      await handle.close();
      await fs.rename(temp, `${name}.json`);
      writes++;
    }
  };
  await Promise.all(Array.from({ length: 50 }, (_, w) => writer(w)));
  return writes / seconds;
}

async function main(): Promise<void> {
  const seconds = process.argv.includes("--quick") ? 1 : 3;
  const dir = makeDataDir();
  try {
    const rows: DiskRow[] = [
      { operation: "write + fsync + rename (what our FileStore does)", writesPerSecond: await measure(dir, true, seconds) },
      { operation: "write + rename, no fsync", writesPerSecond: await measure(dir, false, seconds) },
    ];
    await new Promise<void>((resolve) => process.send?.({ type: "result", rows }, () => resolve()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.send) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("disk.ts:", error);
      process.exit(1);
    },
  );
}
