// Serve one file from a folder: Content-Type by extension, Cache-Control, ETag/304, GET and HEAD.
// Spec: RFC 9110 §8.3 (Content-Type), §8.8.3 + §13.1.2 (ETag, If-None-Match → 304),
// RFC 9111 §5.2.2 (Cache-Control); RFC 3986 §2.1 (one round of percent-decoding).
// Pitfall: path.join(root, url) serves /etc/passwd for "/../../etc/passwd" or "..%2f..%2fetc%2fpasswd";
// a "\0" makes fs throw (a 500); a folder may get listed. Here the name is decoded once, checked segment
// by segment (no "..", ".", dotfiles, "\", "\0", empty), resolved, then checked again after symlinks.
// Bad input: every rejected or missing name is the same 404 "Not Found"; other methods → 405.
import { open, realpath } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { sendError } from "./respond.ts";
import { setSecurityHeaders } from "./security-headers.ts";

export interface StaticFileOptions {
  /** Absolute path of the folder to serve from. */
  root: string;
  /** The file's path below `root` exactly as in the URL, still percent-encoded ("css/app.css"). */
  urlPath: string;
  /** How long browsers may reuse the file without asking; 0 means "ask every time" (no-cache). Ignored when `res` already has a Cache-Control. */
  maxAgeSeconds: number;
}

const contentTypes: Readonly<Record<string, string>> = {
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

export async function serveStaticFile(req: IncomingMessage, res: ServerResponse, options: StaticFileOptions): Promise<void> {
  const { root, urlPath, maxAgeSeconds } = options;
  if (!path.isAbsolute(root)) throw new TypeError(`serveStaticFile "root" is invalid: must be an absolute path`);
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0) {
    throw new TypeError(`serveStaticFile "maxAgeSeconds" is invalid: must be an integer ≥ 0`);
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    return sendError(req, res, 405, "Method Not Allowed", { Allow: "GET, HEAD" });
  }
  const file = await resolveInside(root, urlPath);
  const handle = file === null ? null : await open(file, "r").catch(() => null);
  if (file === null || handle === null) return sendError(req, res, 404, "Not Found");
  let streaming = false;
  try {
    const stats = await handle.stat();
    // Folders (and devices, sockets) are never served, so never listed.
    if (!stats.isFile()) return sendError(req, res, 404, "Not Found");
    const etag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
    setSecurityHeaders(res);
    res.setHeader("Content-Type", contentTypes[path.extname(file).toLowerCase()] ?? "application/octet-stream");
    // Kept if already set: a file behind a login carries the guard's `no-store` (R09), never `public`.
    if (!res.hasHeader("Cache-Control")) {
      res.setHeader("Cache-Control", maxAgeSeconds > 0 ? `public, max-age=${maxAgeSeconds}` : "no-cache");
    }
    res.setHeader("ETag", etag);
    if (etagMatches(req.headers["if-none-match"], etag)) {
      res.statusCode = 304; // The browser's copy is current: headers only (RFC 9110 §15.4.5).
      res.end();
      return;
    }
    res.setHeader("Content-Length", stats.size);
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    // The stream owns the handle from here and closes it, also when the client leaves early.
    streaming = true;
    await pipeline(handle.createReadStream(), res).catch(() => res.destroy());
  } finally {
    if (!streaming) await handle.close();
  }
}

/** The absolute file name for urlPath, or null if it names anything outside root or is malformed. */
async function resolveInside(root: string, urlPath: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.startsWith("/") ? urlPath.slice(1) : urlPath);
  } catch {
    return null; // "%zz", or overlong UTF-8 such as "%c0%ae" (an old ".." disguise)
  }
  const segments = decoded.split("/");
  const unsafe = (segment: string) =>
    segment === "" || segment.startsWith(".") || segment.includes("\\") || segment.includes("\0");
  if (segments.some(unsafe)) return null; // "", ".", "..", ".env", "a\\..\\b", "x\0.css"
  const rootReal = await realpath(root).catch(() => null);
  if (rootReal === null) return null;
  const candidate = path.join(rootReal, ...segments);
  // Symlinks inside root may point anywhere: compare the real path too.
  const real = await realpath(candidate).catch(() => null);
  return real !== null && isInside(rootReal, candidate) && isInside(rootReal, real) ? real : null;
}

function isInside(root: string, file: string): boolean {
  return file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  // Weak comparison (RFC 9110 §8.8.3.2): W/"x" and "x" are the same for If-None-Match.
  const strip = (tag: string) => tag.trim().replace(/^W\//, "");
  return ifNoneMatch.trim() === "*" || ifNoneMatch.split(",").some((tag) => strip(tag) === strip(etag));
}
