// The one source of "now" for decisions (leases, event dedupe, requeue-after), injected everywhere
// so tests can move time by hand instead of sleeping. Timers (setTimeout) stay real/vitest-faked.

/** Something that tells the time. Inject it; never call `new Date()` in a decision. */
export interface Clock {
  now(): Date;
}

/** The wall clock. */
export const realClock: Clock = { now: () => new Date() };

/** A clock that moves only when told to; for unit tests of time-based decisions. */
export class FakeClock implements Clock {
  private currentMs: number;

  constructor(start: Date | string | number = '2025-01-01T00:00:00Z') {
    this.currentMs = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.currentMs);
  }

  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.currentMs += ms;
  }

  /** Sets the clock to an absolute instant. */
  set(instant: Date | string | number): void {
    this.currentMs = new Date(instant).getTime();
  }
}

/** Kubernetes MicroTime (RFC 3339 with microseconds), as Lease and events.k8s.io fields expect. */
export const microTime = (d: Date | number): string => new Date(d).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
