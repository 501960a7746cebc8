/**
 * Many small requests (deletes, say) with an adaptive number in flight: the
 * same AIMD controller as uploads and downloads, fed with requests done.
 *
 * @module
 */
import { AdaptiveConcurrency, isBackOffSignal } from './concurrency.js';
import { Slots } from './slots.js';

/** Options of {@link adaptivePool}. */
export interface AdaptivePoolOptions {
  /** Pins the number of items worked on at once. By default it adapts (see {@link AdaptiveConcurrency}). */
  concurrency?: number;
  /** The most items at once when adapting (default 64). */
  maxConcurrency?: number;
  /** Stops taking new items; those under way finish. */
  signal?: AbortSignal;
  /** Called when the number of items allowed at once changes. */
  onConcurrency?: (limit: number) => void;
}

/** What a worker of {@link adaptivePool} may report besides its result. */
export interface PoolControl {
  /** Reports throttling or a server error met by this item (e.g. in a retry): the pool halves its concurrency. */
  backOff(): void;
  /** The number of items allowed at once now. */
  readonly concurrency: number;
}

/**
 * Calls `work` for each item, a number at a time that adapts: it rises
 * while items done per second still rise, and halves when a worker reports
 * throttling through {@link PoolControl.backOff} or throws a throttling,
 * timeout or server error. The first error thrown ends the pool (after
 * the items under way finish) and is thrown; workers that want to go on
 * past failures catch their own.
 *
 * @example
 * ```ts
 * await adaptivePool(archiveIds, async (id) => {
 *   await vault.Archive(id).delete();
 * });
 * ```
 */
export async function adaptivePool<T>(
  items: AsyncIterable<T> | Iterable<T>,
  work: (item: T, control: PoolControl) => Promise<void>,
  options: AdaptivePoolOptions = {},
): Promise<void> {
  const { signal } = options;
  const controller =
    options.concurrency !== undefined
      ? options.concurrency
      : new AdaptiveConcurrency({
          ...(options.maxConcurrency !== undefined ? { max: options.maxConcurrency } : {}),
          ...(options.onConcurrency ? { onChange: (limit: number) => options.onConcurrency!(limit) } : {}),
        });
  const slots = new Slots(controller);
  const control: PoolControl = {
    backOff: () => slots.backOff(),
    get concurrency() {
      return slots.limit;
    },
  };
  const iterator = (Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]()) as
    | AsyncIterator<T>
    | Iterator<T>;
  const running = new Set<Promise<void>>();
  try {
    while (!signal?.aborted && !slots.failure) {
      try {
        await slots.acquire();
      } catch {
        break;
      }
      const next = await iterator.next();
      if (next.done || signal?.aborted) {
        slots.release();
        break;
      }
      const task = work(next.value, control)
        .then(
          () => slots.moved(1),
          (error: unknown) => {
            if (isBackOffSignal(error)) slots.backOff();
            slots.fail(error);
          },
        )
        .finally(() => {
          running.delete(task);
          slots.release();
        });
      running.add(task);
    }
  } finally {
    await Promise.allSettled([...running]);
  }
  if (slots.failure) throw slots.failure.error;
}
