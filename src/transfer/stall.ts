/**
 * Stall detection for downloads: a connection that stops delivering bytes
 * without failing (a dead network path, a wedged proxy) would otherwise hang
 * a transfer for as long as TCP keeps it open. A watch aborts the attempt
 * after a quiet period, and the attempt is retried like any timeout.
 *
 * @module
 */

/** How long a download may go without receiving a byte before the request is retried, by default: 2 minutes. */
export const DEFAULT_STALL_TIMEOUT = 120_000;

/** A request that received nothing for too long. Transient: it is retried. */
export class StallTimeoutError extends Error {
  /** `TimeoutError`, the name the SDK's retry rules treat as transient. */
  override name = 'TimeoutError';
  /** Node's code for a timed-out operation. */
  readonly code = 'ETIMEDOUT';
}

/** A running watch over one request attempt. */
export interface StallWatch {
  /** Pass this to the request: it aborts when `parent` does or when the attempt stalls. */
  readonly signal: AbortSignal;
  /** Call on every sign of progress (response headers, each piece of body): restarts the quiet-period timer. */
  touch(): void;
  /** Suspends the timer while the consumer, not the network, is busy; {@link StallWatch.touch} resumes it. */
  pause(): void;
  /** Stops the timer. */
  stop(): void;
  /** Replaces an error caused by the stall with a {@link StallTimeoutError}; returns other errors unchanged. */
  explain(error: unknown): unknown;
}

/**
 * Starts watching one request attempt: if `timeoutMs` passes without a
 * {@link StallWatch.touch}, the attempt's signal aborts. `timeoutMs` of 0
 * disables the watch (only `parent` aborts).
 */
export function watchStalls(parent: AbortSignal, timeoutMs: number): StallWatch {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onParentAbort, { once: true });
  let stalled = false;
  let timer: NodeJS.Timeout | undefined;
  // A touch only notes the time (it comes with every piece of a body, thousands a second);
  // the one timer, when it fires, looks at when the last touch was and waits out the rest.
  let last = Date.now();
  const check = (wait: number) => {
    timer = setTimeout(() => {
      const idle = Date.now() - last;
      if (idle < timeoutMs) {
        check(timeoutMs - idle);
        return;
      }
      stalled = true;
      controller.abort(new StallTimeoutError(`No bytes arrived for ${timeoutMs / 1000} s; the request was cancelled to be retried.`));
    }, wait);
  };
  let stopped = false;
  const arm = () => {
    last = Date.now();
    if (timer === undefined && timeoutMs > 0 && !stopped) check(timeoutMs);
  };
  arm();
  return {
    signal: controller.signal,
    touch: arm,
    pause() {
      clearTimeout(timer);
      timer = undefined;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      parent.removeEventListener('abort', onParentAbort);
    },
    explain(error) {
      return stalled && !parent.aborted ? controller.signal.reason : error;
    },
  };
}
