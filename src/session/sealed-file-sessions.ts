// Sessions in sealed files, set up from two settings: the building blocks step 04 assembles by hand,
// in one call. SESSION_SECRET signs the cookie (R11), ENCRYPTION_KEY seals each file with AES-256-GCM
// (R12), and a third secret keys the file names (R13); "new,old" lists rotate, and an unset one is
// generated once in the data folder (mode 0600, secret-file.ts), so sessions survive restarts.
// Pitfall prevented: keys derived per read or write (a popular file store ran a 37 ms scrypt on
// each); here every key is derived once, at start-up.
// Bad input: a weak configured secret or a damaged secret file is a TypeError naming it, at start-up.
import { join } from "node:path";
import { loadOrCreateSecret, resolveSecrets } from "../config/secret-file.ts";
import { createSealer } from "../crypto/seal.ts";
import { FileStore } from "./file-store.ts";
import { createSessionManager, type SessionManager, type SessionManagerOptions } from "./manager.ts";
import type { SessionData } from "./store.ts";

export interface SealedFileSessionsOptions extends Omit<SessionManagerOptions, "store" | "secrets"> {
  /** Holds the `sessions` folder and the generated secret files. */
  dataDir: string;
  /** The two settings, usually the environment; each unset, empty, or "new,old" for rotation. */
  settings: { SESSION_SECRET?: string | undefined; ENCRYPTION_KEY?: string | undefined };
  log?: (message: string) => void;
}

/** The session manager, and its store (close it when the server closes: it stops the reaping timer). */
export function createSealedFileSessions<D extends SessionData = SessionData>(
  options: SealedFileSessionsOptions,
): { sessions: SessionManager<D>; store: FileStore } {
  const { dataDir, settings, log, ...managerOptions } = options;
  const secrets = resolveSecrets(settings.SESSION_SECRET, dataDir, "session-secret", log);
  const encryptionKeys = resolveSecrets(settings.ENCRYPTION_KEY, dataDir, "encryption-key", log, "ENCRYPTION_KEY");
  const store = new FileStore({
    dir: join(dataDir, "sessions"),
    nameKey: loadOrCreateSecret(dataDir, "file-name-key", log),
    sealer: createSealer(encryptionKeys, { purpose: "session-files" }), // the first key seals, all unseal
    now: managerOptions.now,
    log,
  });
  return { sessions: createSessionManager<D>({ ...managerOptions, store, secrets }), store };
}
