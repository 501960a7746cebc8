/**
 * Adaptive concurrency: how many requests a transfer keeps in flight.
 *
 * The method is **AIMD with slow start**, the scheme of TCP's congestion
 * control (Jacobson 1988; Reno), steered by measured throughput instead of
 * packet loss:
 *
 * - **Slow start.** From `initial` (16), the limit doubles after each
 *   measuring window, as long as each such step raised throughput by at
 *   least half. One connection to a real Glacier endpoint carries a few
 *   MB/s, so on such a link throughput grows with the limit until the link
 *   itself is full. A step that brought less is taken back whole: on
 *   loopback, where the CPU is the bottleneck, the limit stays where it
 *   started; on a full link, it goes back to the last limit that paid.
 * - **Additive increase.** After that, the limit steps by one. A step that
 *   brings less than 5% is taken back, and the limit holds; it probes again
 *   (one step) every 8 windows, so it follows a link that gets faster.
 * - **Multiplicative decrease.** On throttling (ThrottlingException and its
 *   kin, HTTP 429), a request timeout (408) or a server error (5xx), the
 *   limit halves, at most once per window (one burst of throttled responses
 *   is one signal), and it does not rise for the next two windows.
 *
 * The limit stays within `[min, max]`; `max` is what the memory budget
 * allows. A window is `interval` ms (default 500) of measured bytes (or
 * requests) moved, begun a half window after the last change so that the
 * requests just started are under way. A window in which fewer requests
 * than 3/4 of the limit were running on average (the body could not keep
 * up, or the transfer is ending) says nothing about the limit and changes
 * nothing.
 *
 * `pinned` switches the controller off: the limit is that number, always.
 *
 * @module
 */

/** Settings of an {@link AdaptiveConcurrency} controller. */
export interface AdaptiveConcurrencyOptions {
  /** The limit to start from (default {@link DEFAULT_INITIAL_CONCURRENCY}, or `max` if smaller). */
  initial?: number;
  /** The lowest limit (default 1). */
  min?: number;
  /** The highest limit, e.g. what the memory budget allows (default 64). */
  max?: number;
  /** A fixed limit: no adaptation at all. */
  pinned?: number;
  /** Length of a measuring window in milliseconds (default 500). */
  interval?: number;
  /** Called whenever the limit changes, with the new limit and why. */
  onChange?: (limit: number, reason: 'increase' | 'decrease' | 'revert') => void;
  /** The clock, in milliseconds (default `performance.now`); for tests. */
  now?: () => number;
}

/** Default upper bound on requests in flight. */
export const DEFAULT_MAX_CONCURRENCY = 64;
/**
 * Default starting point of the adaptive limit: 16, about what the AWS CLI
 * and boto3's transfer manager keep in flight (10). It fills a link of
 * 8 MB/s connections at 125 MB/s from the first part, where starting at 4
 * spent seconds of a 1 GiB transfer finding it; on loopback it costs
 * nothing, as 16 default parts (8 MiB) fit in half the memory budget.
 */
export const DEFAULT_INITIAL_CONCURRENCY = 16;

const SLOW_START_FACTOR = 2;
const MULTIPLY_KEEP_GAIN = 1.5;
const ADDITIVE_GAIN = 1.05;
const PROBE_EVERY = 8;
const HOLD_AFTER_BACKOFF = 2;
const SATURATED = 0.75;

/**
 * An AIMD controller of requests in flight (see the module's description).
 * Feed it what moves with {@link AdaptiveConcurrency.moved}, the number of
 * requests running with {@link AdaptiveConcurrency.running}, and each
 * throttling or server error with {@link AdaptiveConcurrency.backOff}; read
 * {@link AdaptiveConcurrency.limit}. It keeps no timers: windows are closed
 * by the calls that feed it.
 */
export class AdaptiveConcurrency {
  readonly #min: number;
  readonly #max: number;
  readonly #pinned: boolean;
  readonly #interval: number;
  readonly #onChange: AdaptiveConcurrencyOptions['onChange'];
  readonly #now: () => number;
  #limit: number;
  #phase: 'slow-start' | 'additive' | 'hold' = 'slow-start';
  /** The limit before the last increase, to go back to when it brought nothing. */
  #previous: number | undefined;
  /** Whether that increase was a slow-start step (×4) rather than an additive one (+1). */
  #multiplied = false;
  /** Throughput (units per second) of the last window measured at the previous limit. */
  #baseline: number | undefined;
  #windowStart: number;
  #windowUnits = 0;
  /** When the limit last changed: only requests started since then measure it. */
  #changedAt = -Infinity;
  #sampleUnits = 0;
  #sampleMs = 0;
  #samples = 0;
  #running = 0;
  /** When {@link AdaptiveConcurrency.running} last changed, and the integral of running over the window until then. */
  #runningAt: number;
  #runningArea = 0;
  #holdWindows = 0;
  #lastBackOff = -Infinity;
  #windowsSinceProbe = 0;

  constructor(options: AdaptiveConcurrencyOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#interval = options.interval ?? 500;
    this.#onChange = options.onChange;
    this.#pinned = options.pinned !== undefined;
    this.#min = Math.max(1, options.min ?? 1);
    this.#max = Math.max(this.#min, options.pinned ?? options.max ?? DEFAULT_MAX_CONCURRENCY);
    this.#limit = options.pinned ?? Math.min(this.#max, Math.max(this.#min, options.initial ?? DEFAULT_INITIAL_CONCURRENCY));
    this.#windowStart = this.#now() + this.#interval / 2;
    this.#runningAt = this.#windowStart;
  }

  /** Requests that may be in flight now. */
  get limit(): number {
    return this.#limit;
  }

  /** The highest the limit may go. */
  get max(): number {
    return this.#max;
  }

  /** True when the limit was pinned and never changes. */
  get pinned(): boolean {
    return this.#pinned;
  }

  /** Reports the number of requests now running (call when it changes). */
  running(count: number): void {
    this.#accumulate(this.#now());
    this.#running = count;
  }

  /** Reports `units` moved (bytes sent or received, or requests done). */
  moved(units: number): void {
    if (this.#pinned || units <= 0) return;
    const now = this.#now();
    if (now < this.#windowStart) return;
    this.#windowUnits += units;
    if (now - this.#windowStart >= this.#interval) this.#closeWindow(now);
  }

  /** Reports throttling, a request timeout or a server error: halves the limit (at most once per window). */
  backOff(): void {
    if (this.#pinned) return;
    const now = this.#now();
    if (now - this.#lastBackOff < this.#interval) return;
    this.#lastBackOff = now;
    this.#previous = undefined;
    this.#baseline = undefined;
    this.#phase = 'additive';
    this.#holdWindows = HOLD_AFTER_BACKOFF;
    this.#set(Math.max(this.#min, Math.floor(this.#limit / 2)), 'decrease', now);
  }

  /**
   * Reports one request done: `units` moved (its bytes, or 1) by a request
   * that started at `startedAt` (on this controller's clock). For requests
   * whose bytes cannot be followed as they go (an upload's body is taken
   * by kernel buffers in bursts), throughput is estimated by Little's law:
   * the limit times the mean rate of one request, from the requests that
   * started after the last change. Use this or {@link AdaptiveConcurrency.moved}, not both.
   */
  completed(units: number, startedAt: number): void {
    if (this.#pinned || startedAt < this.#changedAt) return;
    const now = this.#now();
    this.#sampleUnits += units;
    this.#sampleMs += Math.max(1, now - startedAt);
    this.#samples++;
    if (now - this.#windowStart >= this.#interval && this.#samples >= Math.ceil(this.#limit / 4)) {
      this.#closeWindow(now, (this.#limit * this.#sampleUnits * 1000) / this.#sampleMs);
    }
  }

  #closeWindow(now: number, rate = (this.#windowUnits * 1000) / (now - this.#windowStart)): void {
    this.#accumulate(now);
    // A window is a measure of the limit when, on average, at least 3/4 of it was running.
    const saturated = this.#runningArea >= (now - this.#windowStart) * this.#limit * SATURATED;
    this.#startWindow(now);
    if (this.#holdWindows > 0) {
      this.#holdWindows--;
      this.#baseline = rate;
      return;
    }
    if (!saturated) return;
    const base = this.#baseline;
    const gain = base === undefined || base === 0 ? Infinity : rate / base;
    if (this.#previous !== undefined) {
      // This window measured the limit set after the last one: did it pay? A slow-start
      // step must bring half again (its first measures run high: the requests that end first
      // are those that had the link to themselves); an additive one, 5%.
      if (gain < (this.#multiplied ? MULTIPLY_KEEP_GAIN : ADDITIVE_GAIN)) {
        // It brought (next to) nothing: go back, and hold there.
        const back = this.#previous;
        this.#previous = undefined;
        this.#phase = 'hold';
        this.#windowsSinceProbe = 0;
        this.#set(back, 'revert', now);
        return;
      }
    } else if (this.#phase === 'hold') {
      this.#baseline = rate;
      if (++this.#windowsSinceProbe < PROBE_EVERY) return;
      this.#phase = 'additive';
    }
    this.#baseline = rate;
    if (this.#limit >= this.#max) {
      this.#previous = undefined;
      return;
    }
    this.#previous = this.#limit;
    this.#multiplied = this.#phase === 'slow-start';
    const next = this.#multiplied ? this.#limit * SLOW_START_FACTOR : this.#limit + 1;
    this.#set(Math.min(this.#max, next), 'increase', now);
  }

  #startWindow(at: number): void {
    this.#windowStart = at;
    this.#windowUnits = 0;
    this.#runningAt = at;
    this.#runningArea = 0;
    this.#sampleUnits = 0;
    this.#sampleMs = 0;
    this.#samples = 0;
  }

  /** Adds the requests running since the last change to the window's integral. */
  #accumulate(now: number): void {
    if (now > this.#runningAt) {
      this.#runningArea += this.#running * (now - this.#runningAt);
      this.#runningAt = now;
    }
  }

  #set(limit: number, reason: 'increase' | 'decrease' | 'revert', now: number): void {
    // The next window starts once the requests the change lets in are under way.
    this.#changedAt = now;
    this.#startWindow(now + this.#interval / 2);
    if (limit === this.#limit) return;
    this.#limit = limit;
    this.#onChange?.(limit, reason);
  }
}

/**
 * True for an error that says "too much at once": throttling (including
 * `LimitExceededException` and `SlowDown`), HTTP 429, a request timeout
 * (408) or a server error (5xx).
 */
export function isBackOffSignal(error: unknown): boolean {
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | null | undefined;
  const status = e?.$metadata?.httpStatusCode;
  if (typeof status === 'number' && (status === 408 || status === 429 || status >= 500)) return true;
  return typeof e?.name === 'string' && BACK_OFF_NAMES.has(e.name);
}

const BACK_OFF_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'SlowDown',
  'RequestTimeoutException',
  'RequestTimeout',
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalFailure',
]);
