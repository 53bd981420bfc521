// Where a demo server listens and keeps its files, read from the environment.
// PORT (default 3000; 0 picks a free port), HOST (default 127.0.0.1, so a demo is not reachable
// from the network by accident) and DATA_DIR (default .data/<step folder>).
// A bad value is a configuration error: it throws a TypeError at start-up naming the variable; HOST
// must be a bare host name or IP address (not "localhost:3000" or "http://127.0.0.1", which listen()
// would only reject later, as a failed DNS lookup).
import { isIP } from "node:net";
import path from "node:path";

export interface ServerSettings {
  port: number;
  host: string;
  dataDir: string;
}

const defaultPort = 3000;
const defaultHost = "127.0.0.1";
// RFC 1123 §2.1 host name: dot-separated labels of letters, digits and hyphens, 1–63 characters, not
// starting or ending with a hyphen; 253 characters at most. "_" is allowed too, as Docker service
// names may have it. An IP literal (checked by isIP) has no brackets here: "::1", not "[::1]".
const hostLabel = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
const hostNameRegExp = new RegExp(`^(?=.{1,253}$)${hostLabel}(?:\\.${hostLabel})*\\.?$`);

export function readServerSettings(
  env: Record<string, string | undefined>,
  stepFolder: string,
): ServerSettings {
  return {
    port: readPort(env.PORT),
    host: readHost(env.HOST),
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

function readHost(value: string | undefined): string {
  const host = value?.trim() ?? "";
  if (host === "") return defaultHost;
  // Digits and dots only must be an IPv4 address: "127.0.0.256" or "10.1" is a typo, not a name.
  if (isIP(host) !== 0 || (hostNameRegExp.test(host) && !/^[\d.]+$/.test(host))) return host;
  throw new TypeError(`HOST is invalid: must be a host name or an IP address, without scheme, port or brackets ` +
    `(e.g. 127.0.0.1, ::1, 0.0.0.0 or localhost), got "${value}"`);
}
