// Where a demo server listens and keeps its files, read from the environment.
// PORT (default 3000; 0 picks a free port), HOST (default 127.0.0.1, so a demo is not reachable
// from the network by accident) and DATA_DIR (default .data/<step folder>).
// A bad value is a configuration error: it throws a TypeError at start-up naming the variable.
import path from "node:path";

export interface ServerSettings {
  port: number;
  host: string;
  dataDir: string;
}

const defaultPort = 3000;
const defaultHost = "127.0.0.1";

export function readServerSettings(
  env: Record<string, string | undefined>,
  stepFolder: string,
): ServerSettings {
  return {
    port: readPort(env.PORT),
    host: env.HOST?.trim() || defaultHost,
    dataDir: path.resolve(env.DATA_DIR?.trim() || path.join(".data", stepFolder)),
  };
}

function readPort(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return defaultPort;
  const port = Number(value);
  // 0 is allowed on purpose: the operating system picks a free port (tests use it).
  if (!/^\d+$/.test(value.trim()) || port > 65535) {
    throw new TypeError(`PORT is invalid: must be a whole number from 0 to 65535, got "${value}"`);
  }
  return port;
}
