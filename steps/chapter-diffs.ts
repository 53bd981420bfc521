// `npm run chapters`: rewrites, in every chapter from step 02 on, the block between
// <!-- diff:start --> and <!-- diff:end --> with a unified diff of the step's server.ts against the
// previous step's, so the reader sees exactly what the new idea changed. `--check` writes nothing and
// exits 1 when a chapter is stale (test/docs/chapters.test.ts does the same check in the test suite).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { unifiedDiff } from "./line-diff.ts";
import { listSteps } from "./run.ts";

export const diffStartMarker = "<!-- diff:start -->";
export const diffEndMarker = "<!-- diff:end -->";

const stepsDir = path.dirname(fileURLToPath(import.meta.url));

/** The fenced diff block that belongs between the markers of `folder`'s chapter. */
export function renderStepDiff(previousFolder: string, folder: string): string {
  const read = (name: string) => readFileSync(path.join(stepsDir, name, "server.ts"), "utf8");
  const diff = unifiedDiff(read(previousFolder), read(folder), `steps/${previousFolder}/server.ts`, `steps/${folder}/server.ts`);
  return "```diff\n" + diff + "```";
}

/** The chapter text with its diff block replaced, or null when the markers are missing or out of order. */
export function replaceDiffBlock(chapter: string, block: string): string | null {
  const start = chapter.indexOf(diffStartMarker);
  const end = chapter.indexOf(diffEndMarker);
  if (start === -1 || end < start) return null;
  return chapter.slice(0, start + diffStartMarker.length) + "\n" + block + "\n" + chapter.slice(end);
}

export interface ChapterStatus {
  chapter: string; // path relative to the repository, e.g. steps/02-signed-cookies/README.md
  problem: "ok" | "stale" | "missing chapter" | "missing markers";
  updated?: string; // the chapter as it should be, when it can be computed
}

/** Checks every chapter from the second step on; writes nothing. */
export function checkChapters(): ChapterStatus[] {
  const steps = listSteps();
  return steps.slice(1).map((folder, index) => {
    const chapter = `steps/${folder}/README.md`;
    const file = path.join(stepsDir, folder, "README.md");
    if (!existsSync(file)) return { chapter, problem: "missing chapter" };
    const current = readFileSync(file, "utf8");
    const updated = replaceDiffBlock(current, renderStepDiff(steps[index]!, folder));
    if (updated === null) return { chapter, problem: "missing markers" };
    return { chapter, problem: updated === current ? "ok" : "stale", updated };
  });
}

function main(): void {
  const checkOnly = process.argv.includes("--check");
  let failed = false;
  for (const status of checkChapters()) {
    if (status.problem === "ok") {
      console.log(`${status.chapter}: up to date`);
    } else if (status.problem === "stale" && !checkOnly && status.updated !== undefined) {
      writeFileSync(path.join(stepsDir, "..", status.chapter), status.updated);
      console.log(`${status.chapter}: diff updated`);
    } else {
      failed = true;
      const hint = status.problem === "missing markers" ? ` (add ${diffStartMarker} and ${diffEndMarker})` : "";
      console.error(`${status.chapter}: ${status.problem}${hint}`);
    }
  }
  if (failed) process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
