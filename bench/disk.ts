// The disk's own ceiling for a file session store: how many small files per second this machine can
// write atomically (temp file, write, fsync, close, rename, as src/files/atomic-write.ts does) with 50
// writes in flight, on the folder the bench servers use: as new files (new visitors) and over existing
// ones (returning browsers). Every request of a view counter on a file store writes one such file, so
// no file store can serve more requests per second than this; the same without fsync shows what
// durability costs. Runs in its own process (libuv's default thread
// pool of 4, like the servers) and replies with DiskRow[] over IPC.
import { rmSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { makeDataDir, settleDisk } from "./processes.ts";

export interface DiskRow {
  operation: string;
  writesPerSecond: number;
}

async function measure(dir: string, options: { sync: boolean; replace: boolean; seconds: number }): Promise<number> {
  settleDisk(); // the last measurement's files are written back before this one starts
  const text = JSON.stringify({ data: { views: 1 }, userId: null, createdAtMs: 0, lastSeenMs: 0, expiresAtMs: 0 }).padEnd(300);
  let writes = 0;
  const endAt = performance.now() + options.seconds * 1000;
  const writer = async (w: number) => {
    for (let i = 0; performance.now() < endAt; i++) {
      // replace: each writer rewrites one file, as a returning browser's session is rewritten;
      // otherwise every write is a new file, as for a new visitor.
      const name = path.join(dir, options.replace ? `session-${w}` : `session-${w}-${i}`);
      const temp = `${name}.${i}.tmp`;
      const handle = await fs.open(temp, "wx", 0o600);
      await handle.writeFile(text, "utf8");
      if (options.sync) await handle.sync();
      await handle.close();
      await fs.rename(temp, `${name}.json`);
      writes++;
    }
  };
  await Promise.all(Array.from({ length: 50 }, (_, w) => writer(w)));
  return writes / options.seconds;
}

async function main(): Promise<void> {
  const seconds = process.argv.includes("--quick") ? 1 : 3;
  const dir = makeDataDir();
  try {
    const rows: DiskRow[] = [
      { operation: "new file: write + fsync + rename (a new visitor)", writesPerSecond: await measure(dir, { sync: true, replace: false, seconds }) },
      { operation: "replace a file: write + fsync + rename over it (a returning browser)", writesPerSecond: await measure(dir, { sync: true, replace: true, seconds }) },
      { operation: "replace a file without fsync", writesPerSecond: await measure(dir, { sync: false, replace: true, seconds }) },
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
