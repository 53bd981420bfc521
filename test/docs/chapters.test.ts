// The chapters must never drift from the code: each chapter's generated diff is current, every
// path-labelled code block is a verbatim copy of its file (`// ...` being the only elision), and
// every relative link points at a file that exists.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { checkChapters, diffBaseOf, replaceDiffBlock } from "../../steps/chapter-diffs.ts";
import { listSteps } from "../../steps/run.ts";
import { findCodeExcerpts, findMissingPiece } from "../helpers/code-excerpts.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The root README, the bench's README, every chapter, and any Markdown under docs/. */
function markdownFiles(): string[] {
  const files = ["README.md", "bench/README.md", ...listSteps().map((folder) => `steps/${folder}/README.md`)];
  const docs = path.join(root, "docs");
  if (existsSync(docs)) {
    for (const entry of readdirSync(docs, { recursive: true, encoding: "utf8" })) {
      if (entry.endsWith(".md")) files.push(path.posix.join("docs", entry.split(path.sep).join("/")));
    }
  }
  return files.filter((file) => existsSync(path.join(root, file)));
}

describe("chapter diffs (regenerate with `npm run chapters`)", () => {
  for (const status of checkChapters()) {
    it(`${status.chapter} shows the current diff against ${status.base}`, () => {
      assert.equal(status.problem, "ok", `${status.chapter}: ${status.problem}; run \`npm run chapters\``);
    });
  }
});

describe("replaceDiffBlock", () => {
  it("replaces whatever is between the markers and keeps the rest", () => {
    const chapter = "# Title\n\n<!-- diff:start -->\nold\n<!-- diff:end -->\n\nAfter.\n";
    assert.equal(replaceDiffBlock(chapter, "new"), "# Title\n\n<!-- diff:start -->\nnew\n<!-- diff:end -->\n\nAfter.\n");
  });

  it("keeps a start marker that names its base", () => {
    const chapter = "<!-- diff:start base=07-forms -->\nold\n<!-- diff:end -->\n";
    assert.equal(replaceDiffBlock(chapter, "new"), "<!-- diff:start base=07-forms -->\nnew\n<!-- diff:end -->\n");
  });

  it("returns null when a marker is missing or they are in the wrong order", () => {
    assert.equal(replaceDiffBlock("no markers", "new"), null);
    assert.equal(replaceDiffBlock("<!-- diff:end --> <!-- diff:start -->", "new"), null);
    assert.equal(replaceDiffBlock("<!-- diff:end --> <!-- diff:start base=07-forms -->", "new"), null);
  });
});

describe("diffBaseOf", () => {
  it("reads the step a chapter's diff is against from its start marker", () => {
    assert.equal(diffBaseOf("Text\n<!-- diff:start base=07-forms -->\n<!-- diff:end -->"), "07-forms");
  });

  it("is undefined without base= (the previous step is meant) or without a marker", () => {
    assert.equal(diffBaseOf("<!-- diff:start -->\n<!-- diff:end -->"), undefined);
    assert.equal(diffBaseOf("no markers"), undefined);
  });

  it("is what checkChapters diffs against: step 09 builds on step 07, not on step 08's JSON API", () => {
    const oauth = checkChapters().find((status) => status.chapter === "steps/09-oauth/README.md");
    assert.equal(oauth?.base, "07-forms");
    const json = checkChapters().find((status) => status.chapter === "steps/08-json-api/README.md");
    assert.equal(json?.base, "07-forms");
  });
});

describe("path-labelled code excerpts", () => {
  for (const file of markdownFiles()) {
    const markdown = readFileSync(path.join(root, file), "utf8");
    for (const excerpt of findCodeExcerpts(markdown)) {
      it(`${file}:${excerpt.line} quotes ${excerpt.path} verbatim`, () => {
        const source = path.join(root, excerpt.path);
        assert.ok(existsSync(source), `${file}:${excerpt.line} names ${excerpt.path}, which does not exist`);
        const missing = findMissingPiece(excerpt, readFileSync(source, "utf8"));
        assert.equal(missing, null, `${file}:${excerpt.line}: these lines are not in ${excerpt.path} (in this order):\n${missing?.join("\n")}`);
      });
    }
  }
});

describe("relative links in Markdown", () => {
  for (const file of markdownFiles()) {
    it(`${file} links only to files that exist`, () => {
      const markdown = readFileSync(path.join(root, file), "utf8").replace(/^(`{3,}|~{3,})[\s\S]*?^\1/gm, "");
      const broken = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
        .map((match) => match[1]!)
        .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target) && !target.startsWith("#"))
        .filter((target) => !existsSync(path.join(root, path.dirname(file), decodeURI(target.split("#")[0]!))));
      assert.deepEqual(broken, [], `${file} has broken links`);
    });
  }
});

describe("the excerpt checker", () => {
  const fileText = ["import a from \"a\";", "", "function f() {", "  return 1;", "}", "", "export { f };"].join("\n");
  const check = (block: string) => {
    const [excerpt] = findCodeExcerpts("Text\n\n```ts\n// src/example.ts\n" + block + "\n```\n");
    assert.ok(excerpt);
    assert.equal(excerpt.path, "src/example.ts");
    return findMissingPiece(excerpt, fileText);
  };

  it("accepts consecutive lines copied verbatim", () => {
    assert.equal(check("function f() {\n  return 1;\n}"), null);
  });

  it("accepts pieces separated by `// ...` when they appear in order", () => {
    assert.equal(check("import a from \"a\";\n// ...\nexport { f };"), null);
  });

  it("rejects pieces in the wrong order", () => {
    assert.deepEqual(check("export { f };\n// ...\nimport a from \"a\";"), ["import a from \"a\";"]);
  });

  it("rejects a retyped line, and lines joined across an elision the file does not have", () => {
    assert.deepEqual(check("function f() {\n  return 2;\n}"), ["function f() {", "  return 2;", "}"]);
    assert.deepEqual(check("import a from \"a\";\nexport { f };"), ["import a from \"a\";", "export { f };"]);
  });

  it("ignores blocks whose first line is not a path comment", () => {
    assert.deepEqual(findCodeExcerpts("```ts\n// Build the server.\nconst x = 1;\n```\n```sh\ncurl -i http://x/\n```\n"), []);
  });

  it("finds `#` path comments and longer fences", () => {
    const [excerpt] = findCodeExcerpts("````bash\n# .ci/run (the end)\nnpm test\n````\n");
    assert.deepEqual(excerpt, { path: ".ci/run", pieces: [["npm test"]], line: 1 });
  });
});
