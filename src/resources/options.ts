/**
 * Checks of option objects passed to resource actions: they must be objects
 * and carry only known keys, so a misspelt option fails before any request
 * instead of being silently ignored.
 *
 * @module
 */
import { ValidationError } from '../errors.js';
import type { DownloadOptions } from '../transfer/download.js';
import type { UploadArchiveOptions } from '../transfer/upload.js';

/**
 * Returns `options` (or `{}` when undefined) after checking it is a plain
 * object whose keys are all in `allowed`.
 *
 * @param where - the call, for messages, e.g. `vault.initiateInventoryRetrieval()`
 */
export function checkOptions<T extends object>(options: T | undefined, allowed: readonly string[], where: string): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError('options', `${where} takes an options object, got ${JSON.stringify(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(key, `${where} has no option '${key}'; it takes ${allowed.join(', ')}.`);
    }
  }
  return options;
}


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

/** Every option of the transfer engine's upload, for `vault.uploadArchive()`'s check. @internal */
export const UPLOAD_OPTION_KEYS = [
  'body',
  'archiveDescription',
  'partSize',
  'concurrency',
  'onProgress',
  'signal',
  'uploadId',
  'onUploadId',
  'leavePartsOnError',
  'multipartThreshold',
  'size',
  'retry',
] as const satisfies readonly (keyof UploadArchiveOptions)[];

/** Every option of the transfer engine's download, for `job.download()` and `archive.download()`. @internal */
export const DOWNLOAD_OPTION_KEYS = [
  'chunkSize',
  'concurrency',
  'onProgress',
  'signal',
  'verify',
  'retry',
  'stallTimeout',
  'end',
] as const satisfies readonly (keyof DownloadOptions)[];

// If the transfer engine gains an option, these fail to compile until the
// option is added to the lists above (otherwise it would be refused as unknown).
type Unlisted<T, K> = [Exclude<keyof T, K>] extends [never] ? true : Exclude<keyof T, K>;
const uploadOptionsListed: Unlisted<UploadArchiveOptions, (typeof UPLOAD_OPTION_KEYS)[number]> = true;
const downloadOptionsListed: Unlisted<DownloadOptions, (typeof DOWNLOAD_OPTION_KEYS)[number]> = true;
void uploadOptionsListed;
void downloadOptionsListed;
