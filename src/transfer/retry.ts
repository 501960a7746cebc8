/**
 * Per-request retries for the transfer engine.
 *
 * Every part upload and every download chunk is retried here, with
 * exponential back-off and jitter (p-retry), and the SDK's own retries are
 * switched off for those commands. The SDK never retries a streaming body,
 * and letting it retry underneath us would multiply the attempt counts; with
 * one layer the total is exactly `retries + 1` attempts per part or chunk.
 *
 * @module
 */
import pRetry from 'p-retry';
import { TreeHashMismatchError } from '../errors.js';

/** How a part upload or a download chunk is retried. Every field is optional. */
export interface RetryOptions {
  /**
   * Retries after the first attempt (default {@link DEFAULT_RETRIES}, so 7
   * attempts in all). `0` disables retrying.
   */
  retries?: number;
  /** Delay before the first retry, in milliseconds (default 500). Each later delay doubles, with jitter of ×1–2. */
  minDelay?: number;
  /** Longest delay between two attempts, in milliseconds (default 30,000). */
  maxDelay?: number;
  /**
   * Called after each failed attempt that will be retried (and after the last
   * one), so a long transfer can say why it is waiting: for example
   * `({ error, attemptNumber, retriesLeft }) => log(\`\${error.message}: retrying\`)`.
   * Not called for errors that are not transient, which end the transfer at once.
   */
  onFailedAttempt?: (failure: FailedAttempt) => void;
}

/**
 * A response body that ended before the length it announced (or asked for):
 * transient, so retried, from where it stopped where the caller can.
 */
export class IncompleteBodyError extends Error {
  override name = 'IncompleteBodyError';
}

/** Retries after the first attempt of a part or chunk, by default. */
export const DEFAULT_RETRIES = 6;
/** First back-off delay, in milliseconds, by default. */
export const DEFAULT_MIN_DELAY = 500;
/** Longest back-off delay, in milliseconds, by default. */
export const DEFAULT_MAX_DELAY = 30_000;

/** Error names that mean "try again later": timeouts, server faults and throttling. */
const TRANSIENT_NAMES = new Set([
  'RequestTimeoutException',
  'RequestTimeout',
  'TimeoutError',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  // Throttling. Glacier also answers LimitExceededException to request-rate
  // overload; for part uploads and output downloads it is always worth a retry.
  'LimitExceededException',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  // A response body that ended before its announced length.
  'IncompleteBodyError',
]);

/** Node and undici error codes of a connection that broke or could not be made. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

/** The HTTP status of an SDK error, if it has one. */
export function httpStatusOf(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

/**
 * True for errors worth retrying: HTTP 408, 429 and 5xx, throttling
 * (including `LimitExceededException`), timeouts, dropped or refused
 * connections, a response cut short, and {@link TreeHashMismatchError}
 * (bytes damaged in transit). Abort errors are never transient.
 */
export function isTransientError(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 4) return false;
  const e = error as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown; $retryable?: unknown };
  if (e.name === 'AbortError') return false;
  if (error instanceof TreeHashMismatchError) return true;
  if (e.$retryable) return true;
  const status = httpStatusOf(error);
  if (status === 408 || status === 429 || (status !== undefined && status >= 500)) return true;
  if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && /socket hang up|premature close|ECONNRESET/i.test(e.message)) {
    return true;
  }
  return isTransientError(e.cause, depth + 1);
}

/** A failed attempt of a retried request, as reported to {@link RetryOptions.onFailedAttempt}. */
export interface FailedAttempt {
  /** The error of the attempt that failed. */
  readonly error: Error;
  /** 1 for the first attempt. */
  readonly attemptNumber: number;
  /** Retries still allowed. */
  readonly retriesLeft: number;
}

/**
 * Runs `attempt` until it succeeds, retrying transient errors (see
 * {@link isTransientError}) with exponential back-off and jitter. A
 * non-transient error, the last failure, or the signal's abort ends it.
 */
export async function withRetries<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions & { signal?: AbortSignal } = {},
): Promise<T> {
  const { signal } = options;
  return pRetry(attempt, {
    retries: options.retries ?? DEFAULT_RETRIES,
    factor: 2,
    minTimeout: options.minDelay ?? DEFAULT_MIN_DELAY,
    maxTimeout: options.maxDelay ?? DEFAULT_MAX_DELAY,
    randomize: true,
    ...(signal ? { signal } : {}),
    shouldRetry: ({ error }) => !signal?.aborted && isTransientError(error),
    onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
      if (!isTransientError(error)) return;
      options.onFailedAttempt?.({ error, attemptNumber, retriesLeft });
    },
  });
}

/**
 * The back-off before retry number `retry` (1 for the first retry): the same
 * exponential schedule with jitter that {@link withRetries} uses, for loops
 * that cannot be expressed as one retried function (a stream resumed where
 * it broke off).
 */
export function backoffDelay(retry: number, options: RetryOptions = {}): number {
  const min = options.minDelay ?? DEFAULT_MIN_DELAY;
  const max = options.maxDelay ?? DEFAULT_MAX_DELAY;
  return Math.min(max, min * 2 ** Math.max(0, retry - 1) * (1 + Math.random()));
}

/** Waits `ms` milliseconds, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A command whose middleware stack can be changed for that command alone. */
export interface CommandWithStack {
  middlewareStack: {
    add(middleware: unknown, options: Record<string, unknown>): void;
  };
}

/**
 * Switches the SDK's retry middleware off for one command, leaving the
 * client untouched, so that {@link withRetries} alone decides how often a
 * request is tried. Returns the command.
 */
export function withoutSdkRetries<C extends CommandWithStack>(command: C): C {
  const passThrough = (next: (args: unknown) => Promise<unknown>) => (args: unknown) => next(args);
  command.middlewareStack.add(passThrough, {
    name: 'retryMiddleware',
    tags: ['RETRY'],
    step: 'finalizeRequest',
    priority: 'high',
    override: true,
  });
  return command;
}

/** Says what is wrong with a {@link RetryOptions} value, or returns undefined when it is valid. */
export function retryOptionsProblem(options: RetryOptions | undefined): string | undefined {
  if (options === undefined) return undefined;
  if (options.onFailedAttempt !== undefined && typeof options.onFailedAttempt !== 'function') {
    return `retry.onFailedAttempt must be a function, got ${typeof options.onFailedAttempt}.`;
  }
  for (const key of ['retries', 'minDelay', 'maxDelay'] as const) {
    const v = options[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
      return `retry.${key} must be a whole number of at least 0, got ${JSON.stringify(v)}.`;
    }
  }
  return undefined;
}
