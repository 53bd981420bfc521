// A clock tests can move by hand, injected as `now` into steps and session managers, so expiry is
// tested at exact instants instead of by sleeping.
// Usage: const clock = createClock(); startStep("03", { now: clock.now }); clock.advance(30 * 60_000);

export interface TestClock {
  /** The current time in milliseconds since the epoch (pass this function, not its result). */
  now: () => number;
  /** Moves the clock forward (or back, with a negative number) by this many milliseconds. */
  advance(ms: number): void;
  /** Sets the clock to this instant. */
  set(ms: number): void;
}

/** Starts at 2025-01-01T00:00:00Z unless told otherwise: a fixed instant keeps failures reproducible. */
export function createClock(startMs = Date.UTC(2025, 0, 1)): TestClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
    set(ms) {
      current = ms;
    },
  };
}
