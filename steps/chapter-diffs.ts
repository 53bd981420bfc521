// `npm run chapters`: rewrites, in every chapter from step 02 on, the block between
// <!-- diff:start --> and <!-- diff:end --> with a unified diff of the step's server.ts against the
// previous step's, so the reader sees exactly what the new idea changed. A step that builds on an
// earlier one names it: <!-- diff:start base=07-forms --> (step 09 skips step 08's side road).
// `--check` writes nothing and exits 1 when a chapter is stale (test/docs/chapters.test.ts does the
// same check in the test suite).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { unifiedDiff } from "./line-diff.ts";
import { isRunDirectly, listSteps } from "./run.ts";

export const diffStartMarker = "<!-- diff:start -->";
export const diffEndMarker = "<!-- diff:end -->";
// "<!-- diff:start -->", or with the step the diff is against: "<!-- diff:start base=07-forms -->".
const diffStartRegExp = /<!-- diff:start(?: base=([^\s>]+))? -->/;

const stepsDir = path.dirname(fileURLToPath(import.meta.url));

/** The fenced diff block that belongs between the markers of `folder`'s chapter. */
export function renderStepDiff(baseFolder: string, folder: string): string {
  const read = (name: string) => readFileSync(path.join(stepsDir, name, "server.ts"), "utf8");
  const diff = unifiedDiff(read(baseFolder), read(folder), `steps/${baseFolder}/server.ts`, `steps/${folder}/server.ts`);
  return "```diff\n" + diff + "```";
}

/** The chapter text with its diff block replaced, or null when the markers are missing or out of order. */
export function replaceDiffBlock(chapter: string, block: string): string | null {
  const start = diffStartRegExp.exec(chapter);
  const end = chapter.indexOf(diffEndMarker);
  if (start === null || end < start.index) return null;
  return chapter.slice(0, start.index + start[0].length) + "\n" + block + "\n" + chapter.slice(end);
}

/** The `base=` folder named in the chapter's start marker; undefined without one (or without a marker). */
export function diffBaseOf(chapter: string): string | undefined {
  return diffStartRegExp.exec(chapter)?.[1];
}

export interface ChapterStatus {
  chapter: string; // path relative to the repository, e.g. steps/02-signed-cookies/README.md
  base: string; // the step folder the diff is against: the marker's base=, else the previous step
  problem: "ok" | "stale" | "missing chapter" | "missing markers" | "unknown base";
  updated?: string; // the chapter as it should be, when it can be computed
}

/** Checks every chapter from the second step on; writes nothing. */
export function checkChapters(): ChapterStatus[] {
  const steps = listSteps();
  return steps.slice(1).map((folder, index) => {
    const chapter = `steps/${folder}/README.md`;
    const file = path.join(stepsDir, folder, "README.md");
    const previous = steps[index]!;
    if (!existsSync(file)) return { chapter, base: previous, problem: "missing chapter" };
    const current = readFileSync(file, "utf8");
    const base = diffBaseOf(current) ?? previous;
    // Only an earlier step: a diff against a later one would show the future as removed lines.
    if (!steps.slice(0, index + 1).includes(base)) return { chapter, base, problem: "unknown base" };
    const updated = replaceDiffBlock(current, renderStepDiff(base, folder));
    if (updated === null) return { chapter, base, problem: "missing markers" };
    return { chapter, base, problem: updated === current ? "ok" : "stale", updated };
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
      const hint = status.problem === "missing markers" ? ` (add ${diffStartMarker} and ${diffEndMarker})`
        : status.problem === "unknown base" ? ` ("${status.base}" is not an earlier step folder)` : "";
      console.error(`${status.chapter}: ${status.problem}${hint}`);
    }
  }
  if (failed) process.exit(1);
}

if (isRunDirectly(import.meta.url)) main();
