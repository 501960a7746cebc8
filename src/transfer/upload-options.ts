/**
 * What {@link uploadArchive} takes and gives: its target, options, progress
 * events and result, and the checks on them made before any request.
 *
 * @module
 */
import type { GlacierClient } from '@aws-sdk/client-glacier';
import { UploadError, ValidationError } from '../errors.js';
import { checkOptions, validateAccountId, validateDescription, validateId, validateVaultName } from '../validation.js';
import type { UploadBody } from './body.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_MEMORY,
  DEFAULT_MULTIPART_THRESHOLD,
  MAX_SINGLE_UPLOAD_SIZE,
  choosePartSize,
  validateByteCount,
  validatePositiveInteger,
} from './part-plan.js';
import { retryOptionsProblem, type RetryOptions } from './retry.js';

/** Where an archive goes: a client, an account (`-` for the credentials' own) and a vault. */
export interface UploadTarget {
  /** The SDK client to send with. It is not modified. */
  client: GlacierClient;
  /** `-` or a 12-digit account id. */
  accountId: string;
  /** The vault's name. */
  vaultName: string;
}

/**
 * Progress of an upload: reported while the body is sent (at most four times
 * a second, and at least once a second while requests are in flight) and
 * after each part Glacier has acknowledged. The last event of
 * a successful upload is exact: `loaded`, `acknowledged` and `total` are the
 * archive's length.
 */
export interface UploadProgress {
  /**
   * Bytes sent: those of acknowledged parts (or, when resuming, parts already
   * held) plus what the connection has taken of the requests still going.
   * When a request fails, its bytes are taken off again before it is
   * retried, so `loaded` can go down.
   */
  loaded: number;
  /** Bytes Glacier has acknowledged (or, when resuming, already held). Never counts a failed attempt. */
  acknowledged: number;
  /**
   * The body's length, when known: from the start when `size` is given or
   * the body's length can be seen, else from the moment the end of the body
   * has been read. Always present, and equal to `loaded`, in the last event
   * of a successful upload.
   */
  total?: number;
  /**
   * In an event that reports an acknowledged part: its 1-based number (1 for
   * a single-request upload). Absent in the events reported while bytes are
   * being sent.
   */
  part?: number;
  /** The number of parts, when the length is known (always in the last event of a successful upload). */
  partsTotal?: number;
  /** Requests allowed in flight now: the adaptive limit (see {@link AdaptiveConcurrency}), or `concurrency` when pinned. */
  concurrency: number;
}

/** Options of {@link uploadArchive}. Only `body` is required. */
export interface UploadArchiveOptions {
  /** The archive's content. See {@link UploadBody}. A string is uploaded as its UTF-8 bytes, not read as a file name. */
  body: UploadBody;
  /** Printable ASCII, at most 1024 characters. Ignored when resuming (the upload keeps the description it was initiated with). */
  archiveDescription?: string;
  /**
   * Part size for a multipart upload: 1 MiB × 2^n, at most 4 GiB. By default
   * 8 MiB, or the smallest power of two that fits the archive in 10,000
   * parts if that is larger; 32 MiB for streams of unknown length.
   */
  partSize?: number;
  /**
   * Pins the number of parts read, hashed and sent at once. By default it
   * adapts (see {@link AdaptiveConcurrency}): it starts at 16, rises while
   * throughput still rises and halves on throttling, within `maxMemory`.
   * Pinned, memory is about `concurrency × partSize` (unless parts are
   * re-read from their file).
   */
  concurrency?: number;
  /**
   * Memory for part buffers, in bytes (default 256 MiB): parts in flight ×
   * part size stays within it. Parts of a regular file are held only while
   * they fit in half of it; the others are re-read from the file when sent,
   * so the adaptive concurrency can still rise. For other streams it caps
   * the concurrency. In-memory bodies are sent as views and take none of it.
   */
  maxMemory?: number;
  /**
   * Called while the body is sent (at most every 250 ms), after each
   * acknowledged part, and at the end. See {@link UploadProgress}.
   */
  onProgress?: (p: UploadProgress) => void;
  /**
   * Stops the upload. In-flight requests are cancelled. Once a multipart
   * upload exists, it is aborted unless `leavePartsOnError` is set, and the
   * promise rejects with an {@link UploadError} (carrying `uploadId`) whose
   * `cause` is the signal's reason; before that, and for a single-request
   * upload, it rejects with the signal's reason itself.
   */
  signal?: AbortSignal;
  /**
   * Resumes this multipart upload: its parts are listed, each local part's
   * tree hash is compared with Glacier's, and only missing or different parts
   * are sent before completing. The body must be the same bytes from the start.
   */
  uploadId?: string;
  /** Called with the multipart upload id as soon as it exists, so it can be saved for a resume. */
  onUploadId?: (id: string) => void;
  /** On failure, keep the uploaded parts (for a later resume) instead of aborting the multipart upload. */
  leavePartsOnError?: boolean;
  /** Bodies of known length up to this many bytes go in one UploadArchive request (default 64 MiB, at most 4 GiB). */
  multipartThreshold?: number;
  /**
   * The length of a stream body, when the caller knows it. It picks the part
   * size and the progress total, and the upload fails if the stream turns
   * out to have a different length.
   */
  size?: number;
  /** How each part is retried. See {@link RetryOptions}. */
  retry?: RetryOptions;
}

/** Every option of {@link uploadArchive}, once: a missing or extra key here fails to compile. */
const UPLOAD_OPTIONS: Record<keyof UploadArchiveOptions, true> = {
  body: true,
  archiveDescription: true,
  partSize: true,
  concurrency: true,
  maxMemory: true,
  onProgress: true,
  signal: true,
  uploadId: true,
  onUploadId: true,
  leavePartsOnError: true,
  multipartThreshold: true,
  size: true,
  retry: true,
};

/** The option names {@link uploadArchive} accepts; any other is refused. @internal */
export const UPLOAD_OPTION_KEYS = Object.keys(UPLOAD_OPTIONS) as ReadonlyArray<keyof UploadArchiveOptions>;

/** Rarely needed settings of {@link uploadArchive}, its optional third argument. */
export interface UploadTuning {
  /**
   * For a body that is a regular file (an `fs.ReadStream` of one): hash each
   * part with small reads and stream it from the file when it is sent,
   * instead of holding it in memory. Memory then stays small whatever the
   * part size, at the cost of reading each byte twice (the second time
   * usually from the page cache). By default this is done for parts over
   * 64 MiB (archives over 625 GiB); `true` or `false` forces the choice. If
   * the file changes between the two reads, Glacier rejects the part and the
   * upload fails.
   */
  streamPartsFromFile?: boolean;
}

/** A stored archive. */
export interface UploadedArchive {
  /** The archive id Glacier assigned. */
  archiveId: string;
  /** The archive's SHA-256 tree hash, as computed here and confirmed by Glacier. */
  checksum: string;
  /** The archive's length in bytes. */
  size: number;
  /** The archive's location (URI path) as Glacier returned it. */
  location: string;
  /** The archive's description. */
  archiveDescription?: string;
  /** The multipart upload id, for multipart uploads. */
  uploadId?: string;
}

/** Checked options of one upload. @internal */
export interface UploadSettings {
  target: UploadTarget;
  description: string | undefined;
  partSize: number | undefined;
  concurrency: number | undefined;
  maxMemory: number;
  threshold: number;
  size: number | undefined;
  retry: RetryOptions;
  options: UploadArchiveOptions;
  tuning: UploadTuning;
}

/** Checks the options of {@link uploadArchive}, before any request. @internal */
export function validateUpload(target: UploadTarget, options: UploadArchiveOptions, tuning: UploadTuning): UploadSettings {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError('options', 'uploadArchive needs an options object, e.g. { body: fs.createReadStream(path) }.');
  }
  checkOptions(options, UPLOAD_OPTION_KEYS, 'uploadArchive()');
  if (options.body === undefined || options.body === null) {
    throw new ValidationError('body', 'uploadArchive needs a body: a Buffer, string, Blob, fs.ReadStream, Readable, web ReadableStream or AsyncIterable.');
  }
  validateAccountId(target.accountId);
  validateVaultName(target.vaultName);
  const description = validateDescription(options.archiveDescription);
  if (options.uploadId !== undefined) validateId(options.uploadId, 'uploadId');
  const size = validateByteCount(options.size, 'size', 1);
  const threshold = validateByteCount(options.multipartThreshold, 'multipartThreshold') ?? DEFAULT_MULTIPART_THRESHOLD;
  if (threshold > MAX_SINGLE_UPLOAD_SIZE) {
    throw new ValidationError('multipartThreshold', `multipartThreshold must be at most 4 GiB (${MAX_SINGLE_UPLOAD_SIZE}), Glacier's limit for one request.`);
  }
  const concurrency = options.concurrency === undefined ? undefined : validatePositiveInteger(options.concurrency, 'concurrency', DEFAULT_CONCURRENCY);
  // Checks the part size's form now; its fit against the length is checked once the length is known.
  const partSize = options.partSize === undefined ? undefined : choosePartSize(undefined, options.partSize);
  const problem = retryOptionsProblem(options.retry);
  if (problem) throw new ValidationError('retry', problem);
  for (const key of ['onProgress', 'onUploadId'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      throw new ValidationError(key, `${key} must be a function.`);
    }
  }
  const maxMemory = validateByteCount(options.maxMemory, 'maxMemory', 1) ?? DEFAULT_MAX_MEMORY;
  return { target, description, partSize, concurrency, maxMemory, threshold, size, retry: options.retry ?? {}, options, tuning };
}

/** The error for an empty body: Glacier does not store empty archives. */
export function emptyBodyError(): ValidationError {
  return new ValidationError('body', 'The body is empty; Glacier does not store empty archives.');
}

/** The error for a body whose length is not the one promised. */
export function sizeMismatch(expected: number, actual: string): UploadError {
  return new UploadError(`The body has ${actual} bytes, but size (or the body's known length) says ${expected}.`, { partsLeft: false });
}
