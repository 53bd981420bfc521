// Reads a V8 CPU profile (from `npm run bench -- --cpu-prof`, or `node --cpu-prof`) and prints where
// the time went: the functions with the most self time, self time per source file, and the total
// (inclusive) time of the project's own functions (src/, steps/, bench/servers/), so a missed target
// points at a file and a function. Percentages are of the busy (non-idle) time.
// Usage: npx tsx bench/profile-summary.ts bench/results/profiles/step-04/CPU.*.cpuprofile [--top=25]
import { readFileSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");

function shortUrl(url: string): string {
  if (url === "") return "(native)";
  const file = url.replace(/^file:\/\//, "");
  const inDeps = file.lastIndexOf("node_modules/");
  if (inDeps >= 0) return file.slice(inDeps);
  return file.startsWith(repoRoot) ? path.relative(repoRoot, file) : file;
}

function summarize(file: string, top: number): void {
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const label = (frame: ProfileNode["callFrame"]) =>
    `${frame.functionName || "(anonymous)"}  ${shortUrl(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === "(idle)") continue;
    busy += micros;
    byFunction.set(label(frame), (byFunction.get(label(frame)) ?? 0) + micros);
    byFile.set(shortUrl(frame.url), (byFile.get(shortUrl(frame.url)) ?? 0) + micros);
    // Inclusive: every distinct project function on this sample's stack gets its time once.
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parentOf.get(node)) {
      const f = byId.get(node)?.callFrame;
      if (!f || !/^(src|steps|bench)\//.test(shortUrl(f.url))) continue;
      const key = label(f);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + micros);
    }
  }
  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(`${((100 * micros) / busy).toFixed(1).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}`);
    }
  };
  console.log(`${file}: ${(busy / 1e6).toFixed(1)} s busy`);
  print("Self time by function", byFunction);
  print("Self time by file", byFile);
  print("Total time of the project's functions (including what they call)", inclusive);
}

const top = Number(process.argv.find((a) => a.startsWith("--top="))?.slice(6) ?? 25);
for (const file of process.argv.slice(2).filter((a) => !a.startsWith("--"))) summarize(file, top);
