// Lets at most `slots` expensive tasks (password hashes) run at once; the others wait their turn, in
// the order they arrived. Why: one scrypt hash with OWASP parameters is ~0.5 s of one core and 128 MiB.
// libuv's thread pool runs four at once, so on a 2-core machine a burst of logins takes both cores from
// the event loop (measured: every other request waited up to 37 ms) and holds 512 MiB. One slot fewer
// than the cores keeps a core for the loop and bounds hashing memory to slots × 128 MiB at OWASP's
// parameters (password.ts refuses a stored hash costlier than those or the app's own).
// A task that throws or rejects frees its slot like one that succeeds. The waiting line's memory stays
// proportional to the tasks waiting, also under load that never lets it empty, and the line is bounded
// (maxWaiting): past it run() rejects at once with HashSlotsFullError, so a flood of sign-ins from many
// addresses (each within its throttle) gets a quick "try again" instead of a wait no client sits out.
import { availableParallelism } from "node:os";

/** run() found the waiting line full: the caller should answer "busy, try again" (503). */
export class HashSlotsFullError extends Error {
  constructor() {
    super("Too many tasks are waiting for a hash slot");
    this.name = "HashSlotsFullError";
  }
}

export interface HashSlotsOptions {
  /** Tasks allowed to wait beyond those running; default: unbounded. */
  maxWaiting?: number;
}

export interface HashSlots {
  /** Runs task() when a slot is free; settles as task() does. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Tasks running now and tasks waiting for a slot. */
  readonly running: number;
  readonly waiting: number;
  /** Entries the waiting line's array holds, spent ones included: at most 2 × waiting + 1024 (monitoring, tests). */
  readonly queueEntries: number;
}

const compactAfterEntries = 1024; // spent entries left in place (8 KiB) before compacting: keeps it rare

/** One slot fewer than the cores, at least one: the event loop keeps a core to itself. */
export function defaultHashSlots(cores: number = availableParallelism()): number {
  return Math.max(1, Math.floor(cores) - 1);
}

export function createHashSlots(slots: number = defaultHashSlots(), options: HashSlotsOptions = {}): HashSlots {
  if (!Number.isInteger(slots) || slots < 1) {
    throw new TypeError(`hash "slots" is invalid: must be an integer of at least 1`);
  }
  const { maxWaiting = Number.POSITIVE_INFINITY } = options;
  if (maxWaiting !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxWaiting) || maxWaiting < 0)) {
    throw new TypeError(`hash "maxWaiting" is invalid: must be an integer of at least 0`);
  }
  let running = 0;
  const queue: Array<() => void> = []; // resolvers of the tasks waiting for a slot, oldest first
  let head = 0; // index of the oldest waiting resolver: shift() would be O(n) per task

  function release(): void {
    const next = queue[head];
    if (next === undefined) {
      running--;
      return;
    }
    queue[head++] = undefined as never; // drop the reference at once
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else if (head > compactAfterEntries && head > queue.length - head) {
      // Spent entries outnumber waiting ones: drop them. Moving each waiting entry at most once per
      // compaction keeps this O(1) amortized; without it a line that never empties grows forever.
      queue.splice(0, head);
      head = 0;
    }
    next(); // the slot passes straight to the oldest waiting task: `running` stays the same
  }

  async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running < slots) running++;
    else if (queue.length - head >= maxWaiting) throw new HashSlotsFullError();
    else await new Promise<void>((resolve) => queue.push(resolve));
    try {
      return await task();
    } finally {
      release();
    }
  }

  return {
    run,
    get running() {
      return running;
    },
    get waiting() {
      return queue.length - head;
    },
    get queueEntries() {
      return queue.length;
    },
  };
}
