// What every step's createServer() receives. The runner (steps/run.ts) fills it from the
// environment; tests fill it with a temporary folder, an injected clock and a quiet log.
export interface StepOptions {
  /** Folder for this step's files (sessions, users, generated secrets). Created if missing. */
  dataDir: string;
  /** Environment-style settings (SESSION_SECRET, TRUST_PROXY, ...). Tests pass their own. */
  env: Record<string, string | undefined>;
  /** The clock, in milliseconds since the epoch. Tests inject one instead of sleeping. */
  now?: () => number;
  /** Where the step reports what it did (generated a secret, created demo users). */
  log?: (message: string) => void;
}
