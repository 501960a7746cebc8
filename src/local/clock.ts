/**
 * The endpoint's clock: real time plus an offset that tests can advance, so
 * job delays, the 24 h job-output window, the 24 h vault-lock window and the
 * daily inventory can be exercised without waiting.
 *
 * @module
 */

/** A clock that follows real time and can be moved forward. */
export class Clock {
  #offsetMs = 0;

  /** The current time on this clock. */
  now(): Date {
    return new Date(this.nowMs());
  }

  /** The current time on this clock, in milliseconds since the epoch. */
  nowMs(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Moves the clock forward by `ms` milliseconds (negative values are refused). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Clock.advance needs a finite, non-negative number of milliseconds, got ${ms}.`);
    this.#offsetMs += ms;
  }
}

/** One hour in milliseconds. */
export const HOUR_MS = 60 * 60 * 1000;
/** One day in milliseconds. */
export const DAY_MS = 24 * HOUR_MS;

/** Formats a time as AWS does in JSON bodies: ISO-8601 UTC with milliseconds, e.g. `2014-07-30T15:34:14.204Z`. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}
