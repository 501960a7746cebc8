/**
 * The endpoint's clock: service time, which runs `scale` times as fast as
 * real time from the moment the endpoint started, plus an offset that tests
 * can advance. Every Glacier clock (job completion, the 24 h job-output
 * window, idle multipart uploads, the 24 h vault-lock window, the daily
 * inventory, the data-retrieval policy's hour) reads this one, so
 * `--time-scale 3600` turns hours into seconds for all of them at once.
 *
 * @module
 */

/** A clock that follows real time (sped up by a scale) and can be moved forward. */
export class Clock {
  #offsetMs = 0;
  readonly #scale: number;
  readonly #startMs = Date.now();

  /** @param scale - Service seconds per real second (default 1); a positive finite number. */
  constructor(scale = 1) {
    if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`The time scale must be a positive number, got ${scale}.`);
    this.#scale = scale;
  }

  /** Service seconds per real second. */
  get scale(): number {
    return this.#scale;
  }

  /** The current time on this clock. */
  now(): Date {
    return new Date(this.nowMs());
  }

  /** The current time on this clock, in milliseconds since the epoch. */
  nowMs(): number {
    const real = Date.now();
    return this.#scale === 1 ? real + this.#offsetMs : this.#startMs + Math.round((real - this.#startMs) * this.#scale) + this.#offsetMs;
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
