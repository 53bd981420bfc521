// Every server the bench compares, in table order: the raw node:http ceiling, the libraries people
// install instead, and ours (a bench-only counter on the session manager, and steps 01–04 as the
// tutorial ships them). Each is the same app: GET / answers "Views: N" for the visitor's session.
import { existsSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "./processes.ts";

export interface BenchServer {
  id: string;
  label: string;
  /** File in bench/servers/ and its arguments. */
  file: string;
  args: string[];
  ours: boolean;
  /** Keeps sessions in process memory: measured for growth after 100k new visitors. */
  memoryBacked: boolean;
  /** Keeps one file per session: counted after 10k new visitors. */
  fileBacked: boolean;
  /** The client holds the count (cookie session): lost updates do not apply. */
  stateless: boolean;
  /** Single-digit req/s: fewer requests in lost-updates and store-files runs. */
  slow: boolean;
}

const base = { args: [], ours: false, memoryBacked: false, fileBacked: false, stateless: false, slow: false };

export const ourSteps = [
  { folder: "01-view-counter", label: "step 01: session ID in a Map", memoryBacked: true, fileBacked: false },
  { folder: "02-signed-cookies", label: "step 02: signed cookie, memory", memoryBacked: true, fileBacked: false },
  { folder: "03-file-store", label: "step 03: file store", memoryBacked: false, fileBacked: true },
  { folder: "04-encrypted-store", label: "step 04: encrypted file store", memoryBacked: false, fileBacked: true },
] as const;

export function stepExists(folder: string): boolean {
  return existsSync(path.join(repoRoot, "steps", folder, "server.ts"));
}

export function oursManagerExists(): boolean {
  return ["manager.ts", "memory-store.ts"].every((file) => existsSync(path.join(repoRoot, "src/session", file)));
}

export function allServers(): BenchServer[] {
  const servers: BenchServer[] = [
    { ...base, id: "raw", label: "raw node:http, no session", file: "raw-node-http.ts", stateless: true },
    { ...base, id: "raw-headers", label: "raw node:http + our response headers, no session", file: "raw-with-headers.ts", stateless: true },
    { ...base, id: "express-memory", label: "express 5 + express-session, MemoryStore", file: "express-session-memory.ts", memoryBacked: true },
    { ...base, id: "express-file", label: "express-session + session-file-store", file: "express-session-file.ts", fileBacked: true },
    { ...base, id: "express-file-secret", label: "the same with the store's `secret`", file: "express-session-file-encrypted.ts", fileBacked: true, slow: true },
    { ...base, id: "fastify-session", label: "fastify + @fastify/session (memory)", file: "fastify-session.ts", memoryBacked: true },
    { ...base, id: "fastify-secure-session", label: "fastify + @fastify/secure-session (cookie)", file: "fastify-secure-session.ts", stateless: true },
  ];
  if (oursManagerExists()) {
    servers.push({ ...base, id: "ours-manager", label: "ours: session manager + MemoryStore (bench-only)", file: "ours-manager-memory.ts", ours: true, memoryBacked: true });
  }
  for (const step of ourSteps) {
    if (!stepExists(step.folder)) continue;
    servers.push({
      ...base,
      id: `step-${step.folder.slice(0, 2)}`,
      label: step.label,
      file: "step.ts",
      args: [step.folder],
      ours: true,
      memoryBacked: step.memoryBacked,
      fileBacked: step.fileBacked,
    });
  }
  return servers;
}
