/**
 * How an upload is cut up: one request or multipart, the part size, and the
 * defaults behind them.
 *
 * **Why these defaults.** Glacier bills every request ($0.05 per 1,000
 * uploads), and each part is a request; each part in flight is also a
 * buffer in memory. 8 MiB parts cost 128 requests per GiB (under a cent),
 * and the 16 the adaptive concurrency starts with hold 128 MiB, half the
 * default memory budget. On a link of a few MB/s per connection, a smaller
 * part also reaches the end sooner, so the last parts (a tail that runs
 * below the link's rate) take less time. Larger archives get larger parts
 * automatically (the smallest power of two that fits in 10,000 parts), so
 * a 1 TiB archive uses 128 MiB parts.
 *
 * @module
 */
import { ValidationError } from '../errors.js';
import { MAX_PARTS, minimumPartSize, validatePartSize } from '../validation.js';
import { MiB } from './tree-hash.js';

/** Bodies of at most this many bytes (64 MiB) whose length is known go up in a single UploadArchive request. */
export const DEFAULT_MULTIPART_THRESHOLD = 64 * MiB;
/** Glacier's limit for a single UploadArchive request (4 GiB). */
export const MAX_SINGLE_UPLOAD_SIZE = 4096 * MiB;
/** Part size for archives of known length, unless they need larger parts: 8 MiB. */
export const DEFAULT_PART_SIZE = 8 * MiB;
/**
 * Part size for streams of unknown length: 32 MiB, which allows archives of
 * up to 312.5 GiB (10,000 parts). Pass `size` or a larger `partSize` for
 * bigger streams.
 */
export const DEFAULT_STREAM_PART_SIZE = 32 * MiB;
/**
 * Parts (or download chunks) in flight at once when the engine does not
 * adapt: the starting point of the old fixed default. Transfers now adapt
 * their concurrency (see {@link AdaptiveConcurrency}) unless `concurrency`
 * is given.
 */
export const DEFAULT_CONCURRENCY = 4;

/** Memory a transfer's part or chunk buffers may take, by default: 256 MiB. */
export const DEFAULT_MAX_MEMORY = 256 * MiB;

/**
 * Memory the default concurrency allows for part buffers: 512 MiB. Archives
 * large enough to need parts over 128 MiB (more than 1.22 TiB) get fewer
 * parts in flight by default, down to one, instead of gigabytes of buffers.
 */
export const DEFAULT_PART_MEMORY = 512 * MiB;

/**
 * The concurrency for a part size: `requested` when given, otherwise
 * {@link DEFAULT_CONCURRENCY} reduced so that parts in memory stay within
 * {@link DEFAULT_PART_MEMORY} (at least one).
 */
export function chooseConcurrency(partSize: number, requested?: number): number {
  if (requested !== undefined) return requested;
  return Math.max(1, Math.min(DEFAULT_CONCURRENCY, Math.floor(DEFAULT_PART_MEMORY / partSize)));
}

/**
 * Chooses the part size for an archive of `size` bytes (undefined when the
 * length is not known), honouring a requested `partSize`.
 *
 * @throws {@link ValidationError} when `partSize` is not 1 MiB × 2^n, or is too
 * small to fit `size` in 10,000 parts.
 */
export function choosePartSize(size: number | undefined, partSize?: number): number {
  if (partSize !== undefined) {
    const valid = validatePartSize(partSize);
    if (size !== undefined) {
      const minimum = minimumPartSize(size);
      if (valid < minimum) {
        throw new ValidationError(
          'partSize',
          `A part size of ${valid / MiB} MiB cuts a ${size}-byte archive into ${Math.ceil(size / valid)} parts, ` +
            `but Glacier allows at most ${MAX_PARTS}; use a partSize of at least ${minimum / MiB} MiB (${minimum}), or leave it out.`,
        );
      }
    }
    return valid;
  }
  if (size === undefined) return DEFAULT_STREAM_PART_SIZE;
  return Math.max(DEFAULT_PART_SIZE, minimumPartSize(size));
}

/** The `Content-Range` of part `index` (0-based) of `length` bytes: `bytes START-END/*`. */
export function partContentRange(index: number, partSize: number, length: number): string {
  const start = index * partSize;
  return `bytes ${start}-${start + length - 1}/*`;
}

/** The largest archive `partSize` allows, in bytes (10,000 parts). */
export function maxArchiveSize(partSize: number): number {
  return partSize * MAX_PARTS;
}

/** Checks a positive whole number option such as `concurrency`. */
export function validatePositiveInteger(value: unknown, parameter: string, fallback: number, max = 1024): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new ValidationError(parameter, `${parameter} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/** Checks a byte count option such as `size` or `multipartThreshold`. */
export function validateByteCount(value: unknown, parameter: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ValidationError(parameter, `${parameter} must be a whole number of bytes, at least ${min}, got ${JSON.stringify(value)}.`);
  }
  return value;
}
