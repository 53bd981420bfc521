// A unified line diff (the format of `diff -u` and `git diff`), small enough to read: the longest
// common subsequence of lines by dynamic programming, then hunks with 3 lines of context.
// Used by chapter-diffs.ts so a chapter's "what changed" block never depends on git's output format
// or version. Quadratic in lines: fine for step files (~100 lines), not for big files.

export type DiffLine = { kind: " " | "-" | "+"; text: string };

/** Every line of `before` and `after`, each marked kept (" "), removed ("-") or added ("+"). */
export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  const n = before.length;
  const m = after.length;
  // common[i][j] = length of the longest common subsequence of before[i..] and after[j..].
  const common: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i]![j] = before[i] === after[j]
        ? common[i + 1]![j + 1]! + 1
        : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      lines.push({ kind: " ", text: before[i]! });
      i++;
      j++;
    } else if (j >= m || (i < n && common[i + 1]![j]! >= common[i]![j + 1]!)) {
      lines.push({ kind: "-", text: before[i++]! }); // Removals first, as diff -u prints them.
    } else {
      lines.push({ kind: "+", text: after[j++]! });
    }
  }
  return lines;
}

/** A unified diff of two texts with `--- beforeName` / `+++ afterName` headers; "" when equal. */
export function unifiedDiff(beforeText: string, afterText: string, beforeName: string, afterName: string, context = 3): string {
  const lines = diffLines(splitLines(beforeText), splitLines(afterText));
  const changed = lines.flatMap((line, index) => (line.kind === " " ? [] : [index]));
  if (changed.length === 0) return "";

  // Group changes whose context would touch or overlap into one hunk.
  const hunks: Array<{ from: number; to: number }> = [];
  for (const index of changed) {
    const last = hunks.at(-1);
    if (last && index - last.to <= 2 * context + 1) last.to = index;
    else hunks.push({ from: index, to: index });
  }

  const output = [`--- ${beforeName}`, `+++ ${afterName}`];
  for (const hunk of hunks) {
    const from = Math.max(0, hunk.from - context);
    const to = Math.min(lines.length - 1, hunk.to + context);
    // Line numbers where the hunk starts in each file: count the lines before it.
    let beforeStart = 1;
    let afterStart = 1;
    for (const line of lines.slice(0, from)) {
      if (line.kind !== "+") beforeStart++;
      if (line.kind !== "-") afterStart++;
    }
    const body = lines.slice(from, to + 1);
    const beforeCount = body.filter((line) => line.kind !== "+").length;
    const afterCount = body.filter((line) => line.kind !== "-").length;
    // An empty side names the line before the hunk (diff -u's convention).
    output.push(`@@ -${range(beforeStart, beforeCount)} +${range(afterStart, afterCount)} @@`);
    for (const line of body) output.push(line.kind + line.text);
  }
  return output.join("\n") + "\n";
}

function range(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop(); // A final newline ends the last line; it adds no line.
  return lines;
}
