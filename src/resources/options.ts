/**
 * Checks of option objects passed to resource actions: they must be objects
 * and carry only known keys, so a misspelt option fails before any request
 * instead of being silently ignored. The check itself and the transfer
 * engine's option lists live with the code they describe; they are
 * re-exported here for the resources.
 *
 * @module
 */

export { checkOptions } from '../validation.js';
export { UPLOAD_OPTION_KEYS } from '../transfer/upload.js';
export { DOWNLOAD_OPTION_KEYS } from '../transfer/download.js';

/** An inclusive byte range. */
export interface InclusiveRange {
  /** The first byte's offset. */
  start: number;
  /** The last byte's offset (inclusive). */
  end: number;
}

/** Options of a single request. */
export interface RequestOptions {
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** The SDK's per-request options for `options`. */
export function sendOptions(options: RequestOptions | undefined): { abortSignal?: AbortSignal } {
  return options?.signal ? { abortSignal: options.signal } : {};
}
