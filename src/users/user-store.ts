// Accounts in one JSON file in the data directory (the popular tutorial's `user_views.json`, done
// right). Loaded once at start; every change goes through one write queue, is applied to a copy, written
// atomically (atomic-write.ts), and only then becomes visible, so writes never interleave, exactly one
// of two racing registrations of a name wins, and a failed write leaves memory and file as they were.
// Names are matched by usernameKey() (NFC + case folding); records keep the display spelling.
// Bad input: a damaged file stops start-up (TypeError from user-file.ts); a failed write is an
// HttpError 503. Replace with your database when one process and one small file no longer fit.
import * as nodeFs from "node:fs/promises";
import path from "node:path";
import { HttpError } from "../http/http-error.ts";
import { isTemporaryFileOf, writeFileAtomic, type AtomicWriteFileSystem } from "../files/atomic-write.ts";
import { nodeFileDescriptors } from "../files/file-descriptors.ts";
import { isCount, parseUsersFile, serializeUsersFile, type User } from "./user-file.ts";
import { cleanUsername, usernameKey, validateUsername } from "./username.ts";

export type { User } from "./user-file.ts";

export interface UserStoreFileSystem extends AtomicWriteFileSystem {
  readFile(path: string, encoding: "utf8"): Promise<string>;
  mkdir(path: string, options: { recursive: true; mode: number }): Promise<unknown>;
  readdir(path: string): Promise<string[]>;
}

const nodeFileSystem: UserStoreFileSystem = {
  ...nodeFileDescriptors,
  readFile: nodeFs.readFile,
  mkdir: nodeFs.mkdir,
  readdir: nodeFs.readdir,
};

export interface UserStoreOptions {
  fileSystem?: UserStoreFileSystem; // default node:fs; tests inject failures
  now?: () => number; // for createdAtMs
}

export type CreateUserResult = { ok: true; user: User } | { ok: false; reason: "taken" };

export interface UserChanges {
  passwordHash?: string | null;
  views?: number;
}

export const userStoreUnavailableMessage = "Accounts cannot be saved right now. Please try again later.";

export class UserStore {
  readonly #file: string;
  readonly #fs: UserStoreFileSystem;
  readonly #now: () => number;
  #users: ReadonlyMap<string, User>; // replaced, never mutated: readers always see a committed state
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(file: string, users: ReadonlyMap<string, User>, options: UserStoreOptions) {
    this.#file = file;
    this.#users = users;
    this.#fs = options.fileSystem ?? nodeFileSystem;
    this.#now = options.now ?? Date.now;
  }

  /** Loads `file` (missing → no users yet). A damaged file throws a TypeError: fix it, then restart. */
  static async open(file: string, options: UserStoreOptions = {}): Promise<UserStore> {
    const fs = options.fileSystem ?? nodeFileSystem;
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    let text: string | null = null;
    try {
      text = await fs.readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const users = text === null ? new Map<string, User>() : parseUsersFile(text, file);
    await removeLeftoverTempFiles(file, fs);
    return new UserStore(file, users, options);
  }

  get size(): number {
    return this.#users.size;
  }

  /** The user whose name matches `name` after usernameKey(), or null (also for a non-string). */
  async find(name: string): Promise<User | null> {
    if (typeof name !== "string") return null;
    return this.#users.get(usernameKey(name)) ?? null;
  }

  /** Registers a name (validate it first with validateUsername). A taken name is not an error. */
  async create(input: { name: string; passwordHash?: string | null }): Promise<CreateUserResult> {
    const problem = validateUsername(input.name);
    if (problem !== null) {
      throw new TypeError(`UserStore.create "name" is invalid: ${problem} (check it with validateUsername first)`);
    }
    const { passwordHash = null } = checkedChanges({ passwordHash: input.passwordHash ?? null }, "create");
    const key = usernameKey(input.name);
    return this.#change((users): Outcome<CreateUserResult> => {
      if (users.has(key)) return { value: { ok: false, reason: "taken" }, write: false };
      // Whole milliseconds: the file allows nothing else, so a fractional clock would stop the next start.
      const createdAtMs = Math.floor(this.#now());
      const user: User = Object.freeze({ name: cleanUsername(input.name), passwordHash, views: 0, createdAtMs });
      users.set(key, user);
      return { value: { ok: true, user }, write: true };
    });
  }

  /**
   * Changes a user's record; null if there is no such user. Pass a function to change a value based on
   * the current one: it runs in the queue, so `update(name, (u) => ({ views: u.views + 1 }))` counts
   * every call even when requests overlap.
   */
  async update(name: string, changes: UserChanges | ((user: User) => UserChanges)): Promise<User | null> {
    const key = usernameKey(name);
    return this.#change((users): Outcome<User | null> => {
      const user = users.get(key);
      if (user === undefined) return { value: null, write: false };
      const checked = checkedChanges(typeof changes === "function" ? changes(user) : changes, "update");
      const next: User = Object.freeze({ ...user, ...checked });
      const unchanged = (Object.keys(next) as Array<keyof User>).every((field) => next[field] === user[field]);
      users.set(key, next);
      return { value: next, write: !unchanged };
    });
  }

  // Runs `apply` on a copy of the users once every earlier change is written; writes the copy if asked
  // to, and only then makes it current. A failed write throws HttpError 503 and the copy is dropped:
  // memory stays equal to the file, which atomic-write.ts left untouched.
  #change<T>(apply: (users: Map<string, User>) => Outcome<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const users = new Map(this.#users);
      const { value, write } = apply(users);
      if (!write) return value;
      try {
        await writeFileAtomic(this.#file, serializeUsersFile(users.values()), { mode: 0o600, fileSystem: this.#fs });
      } catch (error) {
        throw new HttpError(503, userStoreUnavailableMessage, { cause: error });
      }
      this.#users = users;
      return value;
    };
    const result = this.#queue.then(run);
    this.#queue = result.catch(() => {}); // one failed write must not block the ones after it
    return result;
  }
}

interface Outcome<T> {
  value: T;
  write: boolean;
}

function checkedChanges(changes: UserChanges, method: "create" | "update"): UserChanges {
  const { passwordHash, views } = changes;
  const checked: UserChanges = {};
  if (passwordHash !== undefined) {
    if (passwordHash !== null && typeof passwordHash !== "string") {
      throw new TypeError(`UserStore.${method} "passwordHash" is invalid: must be a string or null`);
    }
    checked.passwordHash = passwordHash;
  }
  if (views !== undefined) {
    if (!isCount(views)) throw new TypeError(`UserStore.${method} "views" is invalid: must be a whole number of at least 0`);
    checked.views = views;
  }
  return checked;
}

// A write interrupted by a crash or `kill -9` leaves its temporary file next to the file: a copy of
// every password hash that nothing would ever remove. The store is the file's only writer, so at
// start-up none of them belongs to a write in flight.
async function removeLeftoverTempFiles(file: string, fs: UserStoreFileSystem): Promise<void> {
  for (const name of await fs.readdir(path.dirname(file))) {
    if (isTemporaryFileOf(file, name)) {
      await fs.unlink(path.join(path.dirname(file), name)).catch(() => {}); // gone already: fine
    }
  }
}
