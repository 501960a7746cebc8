/**
 * Pacing of a whole-vault export: its clock (which `timeScale` speeds up,
 * to rehearse a week-long export in minutes against a local endpoint run
 * with the same `--time-scale`), the rolling 24 h retrieval budget, the cap
 * on jobs in flight, and the back-off after a data-retrieval-policy or
 * capacity refusal.
 *
 * @module
 */
import { setTimeout as sleepReal } from 'node:timers/promises';
import type { ExportLedger } from './ledger.js';

/** One day in milliseconds. */
export const DAY_MS = 24 * 60 * 60 * 1000;

/** The export's clock: real time, or `scale` times faster from its start. */
export class ExportClock {
  readonly #start = Date.now();

  /** @param scale - Service seconds per real second (default 1). */
  constructor(readonly scale = 1) {
    if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`timeScale must be a positive number, got ${scale}.`);
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

/** Settings of a {@link Pacer}. */
export interface PacingOptions {
  /** Most bytes of retrievals started in any rolling 24 h; undefined for no limit. */
  bytesPerDay?: number;
  /** Most jobs started but not yet downloaded. */
  maxJobsInFlight: number;
}

/** Why a retrieval may not start now, and when to look again. */
export interface PacingWait {
  /** `jobs`: too many in flight; `budget`: the 24 h budget is spent; `backoff`: after a refusal. */
  reason: 'jobs' | 'budget' | 'backoff';
  /** When (export clock, ms) a start may be possible, when known. */
  until?: number;
}

/** Decides when the next retrieval may start. */
export class Pacer {
  #backoffUntil = 0;
  #backoffMs = 0;

  /**
   * @param ledger - Where spending is recorded.
   * @param clock - The export clock.
   * @param options - Budget and job cap.
   */
  constructor(
    readonly ledger: ExportLedger,
    readonly clock: ExportClock,
    readonly options: PacingOptions,
  ) {}

  /**
   * Whether a retrieval of `bytes` may start now with `inFlight` jobs in
   * flight; undefined when it may, else why not. An archive larger than the
   * whole daily budget starts alone, when nothing else was started in the
   * last 24 h, so that no archive waits forever.
   */
  check(bytes: number, inFlight: number): PacingWait | undefined {
    const now = this.clock.now();
    if (now < this.#backoffUntil) return { reason: 'backoff', until: this.#backoffUntil };
    if (inFlight >= this.options.maxJobsInFlight) return { reason: 'jobs' };
    const limit = this.options.bytesPerDay;
    if (limit === undefined) return undefined;
    const since = now - DAY_MS;
    const spent = this.ledger.spentSince(since);
    if (spent === 0 || spent + bytes <= limit) return undefined;
    // The window frees budget as its oldest retrievals leave it.
    const oldest = this.ledger.oldestSpendSince(since);
    return { reason: 'budget', ...(oldest ? { until: oldest.at + DAY_MS + 1 } : {}) };
  }

  /** Records a retrieval started now. */
  started(bytes: number, archiveId: string): void {
    this.ledger.spend(this.clock.now(), bytes, archiveId);
    this.#backoffMs = 0;
  }

  /**
   * After a PolicyEnforcedException or InsufficientCapacityException: no
   * start for a while (15 min of export time, doubling each time, up to 4 h).
   * Returns when starts may resume.
   */
  refused(): number {
    this.#backoffMs = Math.min(4 * 60 * 60 * 1000, this.#backoffMs === 0 ? 15 * 60 * 1000 : this.#backoffMs * 2);
    this.#backoffUntil = this.clock.now() + this.#backoffMs;
    return this.#backoffUntil;
  }
}
