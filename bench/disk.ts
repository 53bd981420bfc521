// The disk's own rate for a file session store's kind of write: how many small files per second this
// machine writes atomically (temp file, write, fsync, close, rename on file descriptors: the pattern
// of src/files/atomic-write.ts, without its clean-up and short-write handling) with 50 writers in
// flight, on the disk the bench servers use: as new files (new visitors) and over existing ones
// (returning browsers); the same without fsync shows what durability costs.
// It is the rate of this probe's own pattern at that moment, a reference for how the disk is doing,
// not an upper bound for the servers: a server writes in a pattern of its own (its file names, sizes,
// folders and timing), and a virtual disk's speed changes from minute to minute, so the two can differ
// either way (on the machine this was written on, step 04 served two to three times the probe's rate
// in the same run). Runs in its own process (libuv's default thread pool of 4, like the servers), in
// the folder the orchestrator passes as argv[2] (which it also removes, so Ctrl-C leaves nothing
// behind), and replies with DiskRow[] over IPC.
import path from "node:path";
import { nodeFileDescriptors as fs } from "../src/files/file-descriptors.ts";
import { settleDisk } from "./processes.ts";

export interface DiskRow {
  operation: string;
  writesPerSecond: number;
}

async function measure(dir: string, options: { sync: boolean; replace: boolean; seconds: number }): Promise<number> {
  settleDisk(); // the last measurement's files are written back before this one starts
  const bytes = Buffer.from(JSON.stringify({ data: { views: 1 }, userId: null, createdAtMs: 0, lastSeenMs: 0, expiresAtMs: 0 }).padEnd(300));
  let writes = 0;
  const endAt = performance.now() + options.seconds * 1000;
  const writer = async (w: number) => {
    for (let i = 0; performance.now() < endAt; i++) {
      // replace: each writer rewrites one file, as a returning browser's session is rewritten;
      // otherwise every write is a new file, as for a new visitor.
      const name = path.join(dir, options.replace ? `session-${w}` : `session-${w}-${i}`);
      const temp = `${name}.${i}.tmp`;
      const fd = await fs.open(temp, "wx", 0o600);
      await fs.write(fd, bytes, 0, bytes.length, 0);
      if (options.sync) await fs.fsync(fd);
      await fs.close(fd);
      await fs.rename(temp, `${name}.json`);
      writes++;
    }
  };
  await Promise.all(Array.from({ length: 50 }, (_, w) => writer(w)));
  return writes / options.seconds;
}

async function main(): Promise<void> {
  const seconds = process.argv.includes("--quick") ? 1 : 3;
  const dir = process.argv[2] ?? "";
  const rows: DiskRow[] = [
    { operation: "new file: write + fsync + rename (a new visitor)", writesPerSecond: await measure(dir, { sync: true, replace: false, seconds }) },
    { operation: "replace a file: write + fsync + rename over it (a returning browser)", writesPerSecond: await measure(dir, { sync: true, replace: true, seconds }) },
    { operation: "replace a file without fsync", writesPerSecond: await measure(dir, { sync: false, replace: true, seconds }) },
  ];
  await new Promise<void>((resolve) => process.send?.({ type: "result", rows }, () => resolve()));
}

if (process.send && process.argv[2]) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("disk.ts:", error);
      process.exit(1);
    },
  );
}
