/**
 * Pacing of a whole-vault export: its clock (which `timeScale` speeds up,
 * to rehearse a week-long export in minutes against a local endpoint run
 * with the same `--time-scale`), the rolling 24 h retrieval budget, the cap
 * on jobs in flight, and the back-off after a data-retrieval-policy or
 * capacity refusal. The budget and the cap themselves are checked by the
 * ledger, in the same transaction as each start claim, so that they hold
 * across all the workers of an export.
 *
 * @module
 */
import { setTimeout as sleepReal } from 'node:timers/promises';

/** One day in milliseconds. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** The export's clock: real time, or `scale` times faster from its start. */
export class ExportClock {
  readonly #start: number;

  /**
   * @param scale - Service seconds per real second (default 1).
   * @param epoch - The wall-clock ms at which the scaled clock starts (default now); workers of one export share it.
   */
  constructor(
    readonly scale = 1,
    epoch = Date.now(),
  ) {
    if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`timeScale must be a positive number, got ${scale}.`);
    this.#start = epoch;
  }

  /** The current time, ms since the epoch, on this clock. */
  now(): number {
    const real = Date.now();
    return this.scale === 1 ? real : this.#start + Math.round((real - this.#start) * this.scale);
  }

  /** Waits `ms` of this clock's time (at least 10 ms of real time); rejects when `signal` aborts. */
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    await sleepReal(Math.max(10, ms / this.scale), undefined, signal ? { signal } : undefined);
  }
}

/**
 * The back-off after a PolicyEnforcedException or InsufficientCapacityException:
 * 15 min of export time, doubling after each refusal in a row, up to 4 h.
 */
export function refusalBackoff(previousMs: number): number {
  return Math.min(4 * 60 * 60 * 1000, previousMs === 0 ? 15 * 60 * 1000 : previousMs * 2);
}
