/**
 * A counting semaphore with a failure state, used to bound how many parts or
 * chunks (and so how many part-sized buffers) are held at once.
 *
 * @module
 */
import { setMaxListeners } from 'node:events';
import { AdaptiveConcurrency } from './concurrency.js';

/**
 * At most `limit` holders at a time, where the limit is a number or an
 * {@link AdaptiveConcurrency} controller, which the holders feed with what
 * they move and with back-off signals. The first {@link Slots.fail} latches
 * a failure: it wakes every waiter with the error and aborts
 * {@link Slots.signal}, which cancels the requests in flight.
 */
export class Slots {
  readonly #controller: AdaptiveConcurrency;
  #held = 0;
  readonly #abort = new AbortController();
  #waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #failure: { error: unknown } | undefined;

  /** Creates a semaphore of `limit` slots: a fixed number, or as many as `limit` allows from moment to moment. */
  constructor(limit: number | AdaptiveConcurrency) {
    this.#controller = typeof limit === 'number' ? new AdaptiveConcurrency({ pinned: limit }) : limit;
    // Every request in flight listens to this signal (the SDK, the retries, the stall watch): dozens is normal.
    setMaxListeners(0, this.#abort.signal);
  }

  /** The slots that may be held now. */
  get limit(): number {
    return this.#controller.limit;
  }

  /** Waits for a free slot and takes it. Rejects once {@link Slots.fail} has been called. */
  acquire(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    if (this.#held < this.#controller.limit) {
      this.#take();
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Gives a slot back, handing it to the longest waiter if the limit allows. */
  release(): void {
    this.#held--;
    this.#controller.running(this.#held);
    this.#wake();
  }

  /** Reports `units` moved (bytes, or requests done) to the controller, which may let more holders in. */
  moved(units: number): void {
    this.#controller.moved(units);
    this.#wake();
  }

  /** Reports one request done, `units` moved since `startedAt` (from {@link Slots.now}), to the controller. */
  completed(units: number, startedAt: number): void {
    this.#controller.completed(units, startedAt);
    this.#wake();
  }

  /** The controller's clock, for {@link Slots.completed}. */
  now(): number {
    return performance.now();
  }

  /** Reports throttling or a server error to the controller, which lowers the limit. */
  backOff(): void {
    this.#controller.backOff();
  }

  #take(): void {
    this.#held++;
    this.#controller.running(this.#held);
  }

  #wake(): void {
    while (this.#held < this.#controller.limit && this.#waiters.length > 0) {
      this.#take();
      this.#waiters.shift()!.resolve();
    }
  }

  /** Rejects every current and future {@link Slots.acquire} with `error` and aborts {@link Slots.signal}. Later calls are ignored. */
  fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = { error };
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
    this.#abort.abort(error);
  }

  /** The first failure, if any. */
  get failure(): { readonly error: unknown } | undefined {
    return this.#failure;
  }

  /** Settles like `promise`, or rejects with the failure as soon as there is one (e.g. a read that stalls). */
  race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.#abort.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /** Aborted by the first {@link Slots.fail}. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }
}

/** Reusable scratch buffers of one size, allocated on first use. */
export class BufferPool {
  readonly #size: number;
  readonly #free: Buffer[] = [];

  /** Creates a pool of buffers of `size` bytes each. */
  constructor(size: number) {
    this.#size = size;
  }

  /** A free buffer, or a new one. */
  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.#size);
  }

  /** Returns a buffer for reuse. */
  give(buffer: Buffer): void {
    this.#free.push(buffer);
  }
}
