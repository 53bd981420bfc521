import assert from "node:assert/strict";
import fs from "node:fs";
import { IncomingMessage, ServerResponse, request } from "node:http";
import { Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { withErrorBoundary } from "../../src/http/error-boundary.ts";
import { serveStaticFile } from "../../src/http/static-file.ts";
import { startServer, type TestServer } from "./server-for-tests.ts";

// Attack strings, given to serveStaticFile as the URL path exactly as a client could send it.
const traversalAttempts = [
  "../secret.txt",
  "..%2fsecret.txt",
  "..%2Fsecret.txt",
  "%2e%2e/secret.txt",
  "%2e%2e%2fsecret.txt",
  "%2E%2E%2Fsecret.txt",
  "sub/../../secret.txt",
  "sub/%2e%2e/%2e%2e/secret.txt",
  "/../secret.txt",
  "..\\secret.txt",
  "..%5csecret.txt",
  "sub%5c..%5c..%5csecret.txt",
  "%252e%252e%252fsecret.txt", // double-encoded: decoded once, it is just an odd (missing) name
  "%c0%ae%c0%ae/secret.txt", // overlong UTF-8 "."
  "....//secret.txt",
  "%2fetc%2fpasswd",
  "//etc/passwd",
  "escape.txt", // a symlink inside root pointing outside
  "sibling.txt", // a symlink to a sibling folder whose name starts with the root's ("public-secrets")
  "app.css%00.png",
  "app.css\u0000",
  ".env",
  "%2eenv",
  "sub/.env",
  "sub",
  "sub/",
  "",
  "/",
  ".",
  "%zz",
  "missing.css",
];

describe("serveStaticFile", () => {
  let base: string;
  let server: TestServer;
  before(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "nsfs-"));
    const root = path.join(base, "public");
    fs.mkdirSync(path.join(root, "sub"), { recursive: true });
    fs.writeFileSync(path.join(root, "app.css"), "body { color: red }\n");
    fs.writeFileSync(path.join(root, "with space.txt"), "spaced");
    fs.writeFileSync(path.join(root, "data.bin"), Buffer.from([1, 2, 3]));
    fs.writeFileSync(path.join(root, "Logo.PNG"), Buffer.from([0x89, 0x50]));
    fs.writeFileSync(path.join(root, ".env"), "SECRET=dotfile");
    fs.writeFileSync(path.join(root, "sub", ".env"), "SECRET=dotfile");
    fs.writeFileSync(path.join(root, "sub", "nested.txt"), "nested");
    fs.writeFileSync(path.join(base, "secret.txt"), "SECRET outside the root");
    fs.symlinkSync(path.join(base, "secret.txt"), path.join(root, "escape.txt"));
    fs.symlinkSync(path.join(root, "app.css"), path.join(root, "alias.css"));
    fs.mkdirSync(path.join(base, "public-secrets"));
    fs.writeFileSync(path.join(base, "public-secrets", "secret.txt"), "SECRET in a sibling of the root");
    fs.symlinkSync(path.join(base, "public-secrets", "secret.txt"), path.join(root, "sibling.txt"));

    server = await startServer(
      withErrorBoundary(async (req, res) => {
        const url = req.url ?? "";
        // /case/N serves traversalAttempts[N]: the test controls the exact string, unnormalized.
        const caseMatch = /^\/case\/(\d+)$/.exec(url);
        if (caseMatch) {
          const urlPath = traversalAttempts[Number(caseMatch[1])] ?? "";
          return serveStaticFile(req, res, { root, urlPath, maxAgeSeconds: 3600 });
        }
        if (url.startsWith("/private/")) {
          // A file only signed-in users may fetch: the guard's `no-store` (R09) must survive.
          res.setHeader("Cache-Control", "no-store");
          return serveStaticFile(req, res, { root, urlPath: url.slice("/private/".length), maxAgeSeconds: 3600 });
        }
        if (url.startsWith("/no-cache/")) {
          return serveStaticFile(req, res, { root, urlPath: url.slice("/no-cache/".length), maxAgeSeconds: 0 });
        }
        return serveStaticFile(req, res, { root, urlPath: url.slice("/static".length), maxAgeSeconds: 3600 });
      }),
    );
  });
  after(async () => {
    await server.close();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("serves a file with its content type, length, Cache-Control, ETag and nosniff", async () => {
    const response = await fetch(`${server.url}/static/app.css`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/css; charset=utf-8");
    assert.equal(response.headers.get("content-length"), "20");
    assert.equal(response.headers.get("cache-control"), "public, max-age=3600");
    assert.match(response.headers.get("etag") ?? "", /^W\/"14-[0-9a-f]+"$/);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(await response.text(), "body { color: red }\n");
  });

  it("chooses the content type by extension, case-insensitively, else application/octet-stream", async () => {
    assert.equal((await fetch(`${server.url}/static/Logo.PNG`)).headers.get("content-type"), "image/png");
    assert.equal((await fetch(`${server.url}/static/data.bin`)).headers.get("content-type"), "application/octet-stream");
    assert.equal((await fetch(`${server.url}/static/sub/nested.txt`)).headers.get("content-type"), "text/plain; charset=utf-8");
  });

  it("decodes percent-escapes once (with%20space.txt)", async () => {
    assert.equal(await (await fetch(`${server.url}/static/with%20space.txt`)).text(), "spaced");
  });

  it("follows a symlink that stays inside the root", async () => {
    assert.equal(await (await fetch(`${server.url}/static/alias.css`)).text(), "body { color: red }\n");
  });

  it("answers HEAD with the headers and no body", async () => {
    const response = await fetch(`${server.url}/static/app.css`, { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-length"), "20");
    assert.equal(await response.text(), "");
  });

  it("answers 304 without a body when If-None-Match has the current ETag", async () => {
    const etag = (await fetch(`${server.url}/static/app.css`)).headers.get("etag") ?? "";
    const response = await fetch(`${server.url}/static/app.css`, { headers: { "If-None-Match": `"other", ${etag}` } });
    assert.equal(response.status, 304);
    assert.equal(response.headers.get("etag"), etag);
    assert.equal(await response.text(), "");
  });

  it("answers 304 to If-None-Match: * (any current version)", async () => {
    const response = await fetch(`${server.url}/static/app.css`, { headers: { "If-None-Match": "*" } });
    assert.equal(response.status, 304);
    assert.equal(await response.text(), "");
  });

  const openDescriptors = () => fs.readdirSync("/proc/self/fd").length;
  it("closes the file after a HEAD, a 304 and a folder: repeated requests leave no descriptor open", { skip: !fs.existsSync("/proc/self/fd") }, async () => {
    // The server runs in this process, so its open files are this process's.
    const etag = (await fetch(`${server.url}/static/app.css`)).headers.get("etag") ?? "";
    const before = openDescriptors();
    for (let i = 0; i < 20; i++) {
      await (await fetch(`${server.url}/static/app.css`, { method: "HEAD" })).text();
      await (await fetch(`${server.url}/static/app.css`, { headers: { "If-None-Match": etag } })).text();
      await (await fetch(`${server.url}/static/sub`)).text();
    }
    assert.ok(openDescriptors() - before < 10, `${openDescriptors() - before} more descriptors open`);
  });

  it("sends Cache-Control: no-cache when maxAgeSeconds is 0", async () => {
    assert.equal((await fetch(`${server.url}/no-cache/app.css`)).headers.get("cache-control"), "no-cache");
  });

  it("R09: keeps a Cache-Control already on the response (a session guard's no-store) instead of making it public", async () => {
    const response = await fetch(`${server.url}/private/app.css`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(await response.text(), "body { color: red }\n");
  });

  it("answers 405 with Allow: GET, HEAD for other methods", async () => {
    const response = await fetch(`${server.url}/static/app.css`, { method: "POST" });
    assert.equal(response.status, 405);
    assert.equal(response.headers.get("allow"), "GET, HEAD");
  });

  for (const [index, attempt] of traversalAttempts.entries()) {
    it(`answers 404 for ${JSON.stringify(attempt)} and never leaks a file or lists a folder`, async () => {
      const response = await fetch(`${server.url}/case/${index}`);
      assert.equal(response.status, 404);
      assert.equal(await response.text(), "Not Found");
    });
  }

  it("answers 404 to a traversal sent on the wire, unnormalized", async () => {
    // fetch(), and request() given a URL string, resolve ".." and "%2e%2e" first (WHATWG URL); with
    // the path as an option, request() sends it as given.
    for (const wirePath of ["/static/../secret.txt", "/static/..%2f..%2fsecret.txt", "/static/%2e%2e/secret.txt"]) {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        request({ host: "127.0.0.1", port: server.port, path: wirePath }, (response) => {
          response.resume();
          resolve(response.statusCode);
        }).on("error", reject).end();
      });
      assert.equal(status, 404, wirePath);
    }
  });
});

describe("serveStaticFile configuration errors", () => {
  const response = () => new ServerResponse(new IncomingMessage(new Socket()));

  it("refuses a relative root", async () => {
    await assert.rejects(serveStaticFile(new IncomingMessage(new Socket()), response(), { root: "public", urlPath: "a.css", maxAgeSeconds: 0 }), {
      name: "TypeError",
      message: `serveStaticFile "root" is invalid: must be an absolute path`,
    });
  });

  it("refuses a negative or fractional maxAgeSeconds", async () => {
    for (const maxAgeSeconds of [-1, 1.5]) {
      await assert.rejects(serveStaticFile(new IncomingMessage(new Socket()), response(), { root: "/tmp", urlPath: "a.css", maxAgeSeconds }), {
        name: "TypeError",
        message: `serveStaticFile "maxAgeSeconds" is invalid: must be an integer ≥ 0`,
      });
    }
  });
});
