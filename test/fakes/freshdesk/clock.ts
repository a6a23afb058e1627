// The fake's clock: record timestamps, the 30-day ticket window and rate-limit windows all read it.
// Time flows at the base clock's rate; set()/advance() shift it, so Retry-After waits still end.

export interface FakeClock {
  now(): Date;
  /** From now on, now() reads `date` plus the base time elapsed since this call. */
  set(date: Date): void;
  /** Moves the clock forward (or back, with a negative value) by `ms`. */
  advance(ms: number): void;
}

export function createClock(base: () => Date = () => new Date()): FakeClock {
  let offsetMs = 0;
  return {
    now: () => new Date(base().getTime() + offsetMs),
    set: (date) => {
      offsetMs = date.getTime() - base().getTime();
    },
    advance: (ms) => {
      offsetMs += ms;
    },
  };
}
