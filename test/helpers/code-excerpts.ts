// Checks that code shown in Markdown is never retyped: a fenced block whose first line is a path
// comment naming a file from the repository root (`// src/cookies/sign.ts`, `# .ci/run`, optionally
// followed by words) must appear in that file. A line `// ...` (or `# ...`) is the only elision
// marker: the pieces between markers must each appear in the file as consecutive lines, in order.
// Trailing spaces are ignored; indentation is not.

export interface CodeExcerpt {
  /** Path named by the first line, relative to the repository root. */
  path: string;
  /** The block's lines after the path comment, split at elision markers. */
  pieces: string[][];
  /** 1-based line of the opening fence in the Markdown file, for error messages. */
  line: number;
}

const fenceRegExp = /^(`{3,}|~{3,})\s*([\w+-]*)\s*$/;
// "// src/x.ts", "// steps/01-view-counter/server.ts (excerpt)", "# .ci/run": a path with at least
// one slash as the first word of a comment.
const pathCommentRegExp = /^(?:\/\/|#)\s+((?:\.?[\w@-][\w.@-]*\/)*\.?[\w@-][\w.@-]*)(?:\s.*)?$/;
const elisionRegExp = /^\s*(?:\/\/|#)\s*\.\.\.\s*$/;

export function findCodeExcerpts(markdown: string): CodeExcerpt[] {
  const lines = markdown.split("\n");
  const excerpts: CodeExcerpt[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = fenceRegExp.exec(lines[index]!);
    if (!open) continue;
    const fence = open[1]!;
    let close = index + 1;
    while (close < lines.length && lines[close]!.trimEnd() !== fence) close++;
    const body = lines.slice(index + 1, close);
    const path = pathCommentRegExp.exec(body[0] ?? "")?.[1];
    if (path !== undefined && path.includes("/")) {
      const pieces: string[][] = [[]];
      for (const line of body.slice(1)) {
        if (elisionRegExp.test(line)) pieces.push([]);
        else pieces.at(-1)!.push(line.trimEnd());
      }
      excerpts.push({ path, pieces: pieces.filter((piece) => piece.length > 0), line: index + 1 });
    }
    index = close; // Skip the block's body and its closing fence.
  }
  return excerpts;
}

/** null when every piece appears in order in `fileText`, else the first piece that does not. */
export function findMissingPiece(excerpt: CodeExcerpt, fileText: string): string[] | null {
  const fileLines = fileText.split("\n").map((line) => line.trimEnd());
  let from = 0;
  for (const piece of excerpt.pieces) {
    const at = indexOfLines(fileLines, piece, from);
    if (at === -1) return piece;
    from = at + piece.length;
  }
  return null;
}

function indexOfLines(haystack: string[], needle: string[], from: number): number {
  outer: for (let start = from; start + needle.length <= haystack.length; start++) {
    for (let offset = 0; offset < needle.length; offset++) {
      if (haystack[start + offset] !== needle[offset]) continue outer;
    }
    return start;
  }
  return -1;
}
