/**
 * A token bucket that lets bytes through at a steady rate, with a FIFO of
 * waiters so that many streams sharing one bucket each get their turn.
 *
 * Bytes are taken with {@link TokenBucket.consume}, which may run the bucket
 * into debt (a chunk that already arrived has to be counted); the bucket is
 * {@link TokenBucket.ready | ready} again once the debt is repaid. A waiter is
 * called from a timer, never synchronously, in the order it started waiting,
 * and can be cancelled: the bucket keeps a timer only while someone waits.
 *
 * @module
 */

/** Stops waiting; does nothing once the waiter was called. */
export type CancelWait = () => void;

/** How much traffic a full bucket lets through at once, in seconds of its rate. */
const BURST_SECONDS = 0.02;
/** The largest burst, whatever the rate. */
const MAX_BURST = 1024 * 1024;
/** The smallest burst, so that a slow bucket still passes a whole small write. */
const MIN_BURST = 1024;

/** A rate limiter of bytes per second (see the module description). */
export class TokenBucket {
  /** Bytes per second. */
  readonly rate: number;
  /** Tokens a full bucket holds. */
  readonly burst: number;
  #tokens: number;
  #at = performance.now();
  readonly #waiters = new Set<() => void>();
  #timer: NodeJS.Timeout | undefined;
  #granting = false;

  /** @param rate - Bytes per second, a positive finite number. */
  constructor(rate: number) {
    if (!(rate > 0 && Number.isFinite(rate))) throw new RangeError(`A token bucket needs a positive finite rate, got ${rate}.`);
    this.rate = rate;
    this.burst = Math.min(MAX_BURST, Math.max(MIN_BURST, rate * BURST_SECONDS));
    this.#tokens = this.burst;
  }

  #refill(): void {
    const now = performance.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) * this.rate) / 1000);
    this.#at = now;
  }

  /** Counts `bytes` as sent, running into debt if there are not enough tokens. */
  consume(bytes: number): void {
    this.#refill();
    this.#tokens -= bytes;
  }

  /** True when nobody waits and the bucket is out of debt. */
  ready(): boolean {
    if (this.#waiters.size > 0) return false;
    this.#refill();
    return this.#tokens >= 0;
  }

  /** Calls `fn` (later, from a timer) once the bucket is out of debt and the waiters before it had their turn. */
  wait(fn: () => void): CancelWait {
    const waiter = () => fn();
    this.#waiters.add(waiter);
    this.#schedule();
    return () => {
      if (!this.#waiters.delete(waiter) || this.#waiters.size > 0) return;
      clearTimeout(this.#timer);
      this.#timer = undefined;
    };
  }

  /** How many callers are waiting. */
  get waiting(): number {
    return this.#waiters.size;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#granting || this.#waiters.size === 0) return;
    this.#refill();
    const ms = this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.rate);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#grant();
    }, ms);
  }

  /**
   * Lets waiters through, oldest first, while the bucket is out of debt. Those
   * that start waiting meanwhile (even again) wait for the next round.
   */
  #grant(): void {
    this.#granting = true;
    try {
      for (const waiter of [...this.#waiters]) {
        this.#refill();
        if (this.#tokens < 0) break;
        if (!this.#waiters.delete(waiter)) continue;
        waiter();
      }
    } finally {
      this.#granting = false;
    }
    this.#schedule();
  }
}
