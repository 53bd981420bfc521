import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffLines, unifiedDiff } from "../../steps/line-diff.ts";

/** Applies a unified diff to `before`, checking every context and removed line on the way. */
function applyUnifiedDiff(before: string, diff: string): string {
  const source = before.split("\n");
  if (source.at(-1) === "") source.pop();
  const result: string[] = [];
  let next = 0; // index of the next unconsumed source line
  for (const line of diff.split("\n").slice(2)) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(line);
    if (header) {
      const count = header[2] === undefined ? 1 : Number(header[2]);
      const start = count === 0 ? Number(header[1]) : Number(header[1]) - 1;
      while (next < start) result.push(source[next++]!);
    } else if (line.startsWith("+")) {
      result.push(line.slice(1));
    } else if (line.startsWith("-") || line.startsWith(" ")) {
      assert.equal(source[next], line.slice(1), `diff does not match the source at line ${next + 1}`);
      if (line.startsWith(" ")) result.push(line.slice(1));
      next++;
    }
  }
  while (next < source.length) result.push(source[next++]!);
  return result.map((line) => line + "\n").join("");
}

describe("unifiedDiff", () => {
  it("returns an empty string for equal texts", () => {
    assert.equal(unifiedDiff("a\nb\n", "a\nb\n", "x", "y"), "");
  });

  it("prints a known diff exactly as diff -u does", () => {
    const before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
    const after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\neleven\n";
    assert.equal(
      unifiedDiff(before, after, "a/f", "b/f"),
      "--- a/f\n+++ b/f\n@@ -2,9 +2,10 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n 9\n 10\n+eleven\n",
    );
  });

  it("splits changes more than six lines apart into separate hunks", () => {
    const before = Array.from({ length: 20 }, (_, i) => `${i + 1}`).join("\n") + "\n";
    const after = before.replace("2\n", "two\n").replace("19\n", "nineteen\n");
    const diff = unifiedDiff(before, after, "a", "b");
    assert.deepEqual(diff.split("\n").filter((line) => line.startsWith("@@")), ["@@ -1,5 +1,5 @@", "@@ -16,5 +16,5 @@"]);
  });

  it("names the line before an insertion into an empty side (0,0 for an empty file)", () => {
    assert.equal(unifiedDiff("", "a\n", "x", "y"), "--- x\n+++ y\n@@ -0,0 +1 @@\n+a\n");
    assert.equal(unifiedDiff("a\n", "", "x", "y"), "--- x\n+++ y\n@@ -1 +0,0 @@\n-a\n");
  });

  it("always produces a diff that turns the old text into the new one (200 random pairs)", () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const randomText = () =>
      Array.from({ length: Math.floor(random() * 25) }, () => "abcde"[Math.floor(random() * 5)] + "\n").join("");
    for (let round = 0; round < 200; round++) {
      const before = randomText();
      const after = randomText();
      const diff = unifiedDiff(before, after, "a", "b");
      assert.equal(diff === "" ? before : applyUnifiedDiff(before, diff), after);
    }
  });
});

describe("diffLines", () => {
  it("keeps the longest common subsequence and lists removals before additions", () => {
    assert.deepEqual(diffLines(["a", "b", "c"], ["a", "x", "c"]), [
      { kind: " ", text: "a" },
      { kind: "-", text: "b" },
      { kind: "+", text: "x" },
      { kind: " ", text: "c" },
    ]);
  });
});
