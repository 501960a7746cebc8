/**
 * Uploading an archive: one request for small bodies, a concurrent,
 * retried, resumable multipart upload for the rest.
 *
 * **Defaults.** Bodies of known length up to 64 MiB go in one UploadArchive
 * request. Larger ones use 16 MiB parts (or the smallest power of two that
 * fits 10,000 parts: 32 MiB from 156.25 GiB, 64 MiB from 312.5 GiB, …,
 * 4 GiB up to Glacier's 40,000 GiB limit), 4 in flight. Streams of unknown
 * length use 32 MiB parts, which caps them at 312.5 GiB; pass `size` (or a
 * larger `partSize`) for bigger ones.
 *
 * **Memory.** At most `concurrency` parts are held at once (the one being
 * read and hashed counts), so memory is about `concurrency × partSize` plus
 * the runtime's own (Node and the SDK take about 64 MiB). In-memory bodies
 * are sent as views, not copies. Parts over 64 MiB from a file (archives
 * over 625 GiB) are not held at all: they are hashed with 8 MiB reads and
 * streamed from the file when sent (see {@link UploadTuning}). For other
 * bodies the default concurrency drops below 4 for parts over 128 MiB, so
 * part buffers stay within 512 MiB.
 *
 * **Requests and cost.** Glacier bills each request: an archive of N bytes
 * costs ⌈N / partSize⌉ part requests plus an initiate and a complete.
 * Larger parts mean fewer requests but more memory and more bytes re-sent
 * when a part fails.
 *
 * **Retries.** Each part (and a single-request upload) is tried up to
 * `retry.retries + 1` times (7 by default) on 408, 429, 5xx, throttling
 * (including `LimitExceededException`), and dropped or reset connections,
 * waiting 0.5 s, 1 s, 2 s, … (×1–2 jitter, at most 30 s) in between. The
 * SDK's own retries are switched off for these requests, so the count is
 * exact. Initiate, list, complete and abort requests keep the client's retry
 * settings.
 *
 * @module
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  InitiateMultipartUploadCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { TreeHashMismatchError, UploadError, ValidationError } from '../errors.js';
import { MAX_PARTS, checkOptions, validateAccountId, validateDescription, validateId, validateVaultName } from '../validation.js';
import { openBody, type BodySource, type UploadBody } from './body.js';
import { withPrecomputedChecksums } from './checksum-middleware.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_MULTIPART_THRESHOLD,
  MAX_SINGLE_UPLOAD_SIZE,
  chooseConcurrency,
  choosePartSize,
  maxArchiveSize,
  partContentRange,
  validateByteCount,
  validatePositiveInteger,
} from './part-plan.js';
import { listUploadState, type UploadedPart } from './resume.js';
import { retryOptionsProblem, withRetries, withoutSdkRetries, type RetryOptions } from './retry.js';
import { countingBody, ThrottledProgress } from './progress.js';
import { BufferPool, Slots } from './slots.js';
import { LinearAndTreeHash, MiB, combineTreeHashes, type UploadChecksums } from './tree-hash.js';

export type { UploadBody } from './body.js';

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
}

/** Options of {@link uploadArchive}. Only `body` is required. */
export interface UploadArchiveOptions {
  /** The archive's content. See {@link UploadBody}. A string is uploaded as its UTF-8 bytes, not read as a file name. */
  body: UploadBody;
  /** Printable ASCII, at most 1024 characters. Ignored when resuming (the upload keeps the description it was initiated with). */
  archiveDescription?: string;
  /**
   * Part size for a multipart upload: 1 MiB × 2^n, at most 4 GiB. By default
   * 16 MiB, or the smallest power of two that fits the archive in 10,000
   * parts if that is larger; 32 MiB for streams of unknown length.
   */
  partSize?: number;
  /**
   * Parts read, hashed and sent at once. Memory is about `concurrency ×
   * partSize` (unless parts are streamed from their file). Default 4, or,
   * for parts held in memory, fewer when they are over 128 MiB (archives
   * over 1.22 TiB), keeping part buffers within 512 MiB.
   */
  concurrency?: number;
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

interface Settings {
  target: UploadTarget;
  description: string | undefined;
  partSize: number | undefined;
  concurrency: number | undefined;
  threshold: number;
  size: number | undefined;
  retry: RetryOptions;
  options: UploadArchiveOptions;
  tuning: UploadTuning;
}

function validate(target: UploadTarget, options: UploadArchiveOptions, tuning: UploadTuning): Settings {
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
  return { target, description, partSize, concurrency, threshold, size, retry: options.retry ?? {}, options, tuning };
}

/** Bytes hashed between two yields to the event loop. */
const HASH_SLICE = MiB;

/** Hashes a part once, giving both checksums Glacier requires. */
function hashPart(part: Buffer): UploadChecksums {
  return new LinearAndTreeHash().update(part).digest();
}

/**
 * {@link hashPart}, a 1 MiB slice at a time with a turn of the event loop in
 * between, so that the parts already being sent keep their sockets fed
 * while the next part is hashed (one 16 MiB part is about 20 ms of hashing;
 * a socket's kernel buffer drains in far less).
 */
async function hashPartInSlices(part: Buffer): Promise<UploadChecksums> {
  const hash = new LinearAndTreeHash();
  for (let offset = 0; offset < part.byteLength; offset += HASH_SLICE) {
    if (offset > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    hash.update(part.subarray(offset, offset + HASH_SLICE));
  }
  return hash.digest();
}

function emptyBodyError(): ValidationError {
  return new ValidationError('body', 'The body is empty; Glacier does not store empty archives.');
}

function sizeMismatch(expected: number, actual: string): UploadError {
  return new UploadError(`The body has ${actual} bytes, but size (or the body's known length) says ${expected}.`, { partsLeft: false });
}

/**
 * Uploads an archive.
 *
 * - A body whose length is known and at most `multipartThreshold` (64 MiB)
 *   goes up in one UploadArchive request. A stream of unknown length that
 *   ends within its first part also does.
 * - Anything larger is a multipart upload: parts are read on demand,
 *   hashed once (linear SHA-256 and tree hash in one pass; the SDK does not
 *   hash again), and sent `concurrency` at a time while the next part is read.
 *   Each part is retried on transient errors (408, 5xx, throttling, dropped
 *   connections) with exponential back-off; each is confirmed by the tree
 *   hash Glacier returns; the upload is completed only when every part is.
 * - Memory is about `concurrency × partSize` plus a small constant, whatever
 *   the archive's size (for in-memory bodies, parts are views, not copies).
 * - On failure or abort the multipart upload is aborted, unless
 *   `leavePartsOnError`; the thrown {@link UploadError} carries `uploadId`
 *   and `partsLeft`.
 * - With `uploadId`, resumes that upload (see {@link UploadArchiveOptions.uploadId}).
 *
 * `tuning` holds rarely needed settings (see {@link UploadTuning}).
 *
 * @throws {@link ValidationError} for bad options, before any request.
 * @throws {@link UploadError} when a multipart upload fails.
 *
 * @example
 * ```ts
 * const archive = await uploadArchive({ client, accountId: '-', vaultName: 'photos' }, {
 *   body: fs.createReadStream('2024.tar'),
 *   archiveDescription: '2024.tar',
 *   onUploadId: (id) => fs.writeFileSync('2024.tar.upload-id', id),
 *   onProgress: ({ loaded, total }) => console.log(`${loaded} / ${total}`),
 * });
 * ```
 */
export async function uploadArchive(target: UploadTarget, options: UploadArchiveOptions, tuning: UploadTuning = {}): Promise<UploadedArchive> {
  const settings = validate(target, options, tuning);
  options.signal?.throwIfAborted();
  const source = await openBody(options.body, settings.size);
  try {
    if (settings.size !== undefined && source.size !== undefined && source.size !== settings.size) {
      throw new ValidationError('size', `size is ${settings.size}, but the body has ${source.size} bytes; leave size out for this body.`);
    }
    const size = source.size ?? settings.size;
    if (size === 0) throw emptyBodyError();
    if (options.uploadId === undefined && size !== undefined && size <= settings.threshold) {
      const bytes = await source.read(size + 1, source.zeroCopy ? undefined : Buffer.allocUnsafe(size + 1));
      if (bytes.byteLength !== size) throw sizeMismatch(size, bytes.byteLength > size ? `more than ${size}` : String(bytes.byteLength));
      return await uploadSingle(settings, bytes);
    }
    if (size !== undefined) choosePartSize(size, settings.partSize);
    return await new MultipartUpload(settings, source, size).run();
  } finally {
    await source.close();
  }
}

async function uploadSingle(settings: Settings, bytes: Buffer): Promise<UploadedArchive> {
  const { target, description, options } = settings;
  const sums = hashPart(bytes);
  const total = bytes.byteLength;
  let sent = 0;
  // An onProgress that throws stops the upload with its error.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const progress = new ThrottledProgress(
    () => options.onProgress?.({ loaded: sent, acknowledged: 0, total, partsTotal: 1 }),
    (error) => stop.abort(error),
  );
  progress.start();
  const out = await withRetries(
    async () => {
      const body = countingBody(bytes, (n) => {
        sent += n;
        progress.tick();
      });
      const command = new UploadArchiveCommand({
        accountId: target.accountId,
        vaultName: target.vaultName,
        archiveDescription: description,
        checksum: sums.treeHash,
        body,
      });
      try {
        return await target.client.send(withoutSdkRetries(withPrecomputedChecksums(command, sums)), { abortSignal: signal });
      } finally {
        body.destroy();
        sent = 0;
      }
    },
    { ...settings.retry, signal },
  )
    .catch((error: unknown) => {
      throw stop.signal.aborted ? stop.signal.reason : error;
    })
    .finally(() => progress.stop());
  if (out.checksum !== sums.treeHash) {
    throw new TreeHashMismatchError(sums.treeHash, out.checksum ?? '(none)', undefined, `Glacier's archive ${out.archiveId ?? ''}`);
  }
  options.onProgress?.({ loaded: total, acknowledged: total, total, part: 1, partsTotal: 1 });
  return {
    archiveId: out.archiveId ?? '',
    checksum: sums.treeHash,
    size: bytes.byteLength,
    location: out.location ?? '',
    ...(description !== undefined ? { archiveDescription: description } : {}),
  };
}

/**
 * A part read from the body. A buffered part holds its `bytes`; a part
 * streamed from its file holds only its checksums, and is re-read from the
 * file each time it is sent.
 */
interface ReadPart {
  index: number;
  length: number;
  bytes: Buffer | undefined;
  scratch: Buffer | undefined;
  sums: UploadChecksums | undefined;
}

/** Parts larger than this, from a file, are streamed from the file when sent rather than held in memory. */
export const FILE_STREAMED_PART_SIZE = 64 * MiB;

/** Size of the reads that hash a part streamed from its file. */
const STREAMED_HASH_READ = 8 * MiB;

/** One multipart upload run: read, hash and send parts, then complete (or abort). */
class MultipartUpload {
  readonly #s: Settings;
  readonly #source: BodySource;
  readonly #size: number | undefined;
  readonly #hashes: string[] = [];
  readonly #lengths: number[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #partSize: number;
  #slots: Slots;
  #pool: BufferPool | undefined;
  #uploadId: string | undefined;
  #description: string | undefined;
  #serverParts: ReadonlyMap<number, UploadedPart> = new Map();
  #loaded = 0;
  /** Bytes the connections have taken of part requests not yet acknowledged (nor failed). */
  #sending = 0;
  readonly #progress = new ThrottledProgress<number>(
    (part) => this.#emit(part),
    (error) => this.#fail(error),
  );
  /** The body's length once its end has been read (known from the start when `size` was given). */
  #endOffset: number | undefined;
  /** True once an event with `loaded === total` has been reported. */
  #reportedAll = false;
  /** The whole body, when a stream of unknown length ended within its first part. */
  #single: Buffer | undefined;

  constructor(settings: Settings, source: BodySource, size: number | undefined) {
    this.#s = settings;
    this.#source = source;
    this.#size = size;
    this.#partSize = choosePartSize(size, settings.partSize);
    this.#slots = new Slots(this.#concurrency());
    this.#uploadId = settings.options.uploadId;
    this.#description = settings.description;
  }

  async run(): Promise<UploadedArchive> {
    const { signal } = this.#s.options;
    const onAbort = () => this.#fail(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#progress.start();
    try {
      if (this.#uploadId !== undefined) await this.#loadResumeState(this.#uploadId);
      try {
        const parts = await this.#readAndSend();
        // Every byte is acknowledged and reported: no more events.
        this.#progress.stop();
        return await this.#complete(parts);
      } catch (error) {
        throw await this.#cleanUp(error);
      }
    } finally {
      this.#progress.stop();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #loadResumeState(uploadId: string): Promise<void> {
    const state = await listUploadState(this.#s.target, uploadId, this.#s.options.signal).catch((error: unknown) => {
      if ((error as { name?: string } | undefined)?.name !== 'ResourceNotFoundException') throw error;
      throw new UploadError(
        `Multipart upload ${uploadId} does not exist in vault ${this.#s.target.vaultName}: it was completed or aborted, or expired ` +
          'after 24 hours without activity. Start a new upload (leave uploadId out).',
        { uploadId, partsLeft: false, cause: error },
      );
    });
    if (this.#s.partSize !== undefined && this.#s.partSize !== state.partSize) {
      throw new ValidationError(
        'partSize',
        `Multipart upload ${uploadId} was initiated with parts of ${state.partSize} bytes, not ${this.#s.partSize}; leave partSize out when resuming.`,
      );
    }
    if (this.#size !== undefined) choosePartSize(this.#size, state.partSize);
    const changed = state.partSize !== this.#partSize;
    this.#partSize = state.partSize;
    if (changed) this.#slots = new Slots(this.#concurrency());
    this.#description = state.archiveDescription;
    this.#serverParts = state.parts;
    this.#s.options.onUploadId?.(uploadId);
  }

  /** Reads parts in order, each holding a slot until it is sent. Returns the number of parts. */
  async #readAndSend(): Promise<number> {
    let next: Promise<ReadPart | undefined> = this.#readPart(0);
    let count = 0;
    let offset = 0;
    try {
      for (;;) {
        const part = await this.#slots.race(next);
        if (!part) {
          this.#endOffset = offset;
          break;
        }
        const last = part.length < this.#partSize;
        next = last ? Promise.resolve(undefined) : this.#readPart(part.index + 1);
        next.catch(() => undefined);
        if (part.index === 0 && this.#uploadId === undefined) {
          if (last && this.#size === undefined && part.bytes && part.length <= this.#s.threshold) {
            // A stream that fit in one part: one request is cheaper than three.
            // Its bytes stay valid: nothing else is read into the scratch buffer.
            this.#single = part.bytes;
            this.#release(part);
            return 0;
          }
          await this.#initiate();
        }
        offset += part.length;
        if (this.#size !== undefined && offset > this.#size) throw sizeMismatch(this.#size, `more than ${this.#size}`);
        if (last) this.#endOffset = offset;
        const sums = part.sums ?? (await hashPartInSlices(part.bytes!));
        const sending = this.#sendPart(part, sums).finally(() => {
          this.#inFlight.delete(sending);
          this.#release(part);
        });
        this.#inFlight.add(sending);
        count = part.index + 1;
        if (last) break;
      }
    } finally {
      // A read still in progress (say, of a stalled stream) releases its slot whenever it ends.
      void next.then(
        (p) => p && this.#release(p),
        () => undefined,
      );
      await Promise.allSettled([...this.#inFlight]);
    }
    if (this.#failure) throw this.#failure.error;
    if (this.#size !== undefined && offset !== this.#size) throw sizeMismatch(this.#size, String(offset));
    // A body of unknown length that ended on a part boundary may have had its
    // last part acknowledged before the end was read: report the total once.
    if (count > 0 && !this.#reportedAll) {
      this.#report(count);
      const failed = this.#slots.failure;
      if (failed) throw failed.error;
    }
    return count;
  }

  /** Parts in flight: as asked, or the default for the memory a part takes (next to nothing when streamed from its file). */
  #concurrency(): number {
    return chooseConcurrency(this.#streamed ? MiB : this.#partSize, this.#s.concurrency);
  }

  /** Whether parts are streamed from the body's file when sent, instead of held in memory. */
  get #streamed(): boolean {
    const choice = this.#s.tuning.streamPartsFromFile;
    return this.#source.file !== undefined && (choice ?? this.#partSize > FILE_STREAMED_PART_SIZE);
  }

  async #readPart(index: number): Promise<ReadPart | undefined> {
    await this.#slots.acquire();
    let scratch: Buffer | undefined;
    try {
      if (this.#streamed) {
        scratch = (this.#pool ??= new BufferPool(STREAMED_HASH_READ)).take();
        const hash = new LinearAndTreeHash();
        let length = 0;
        while (length < this.#partSize) {
          const piece = await this.#source.read(Math.min(STREAMED_HASH_READ, this.#partSize - length), scratch);
          if (piece.byteLength === 0) break;
          hash.update(piece);
          length += piece.byteLength;
        }
        this.#pool.give(scratch);
        scratch = undefined;
        if (length === 0) {
          if (index === 0) throw emptyBodyError();
          this.#slots.release();
          return undefined;
        }
        this.#checkPartCount(index);
        return { index, length, bytes: undefined, scratch: undefined, sums: hash.digest() };
      }
      if (this.#source.zeroCopy) scratch = undefined;
      else scratch = (this.#pool ??= new BufferPool(this.#partSize)).take();
      const bytes = await this.#source.read(this.#partSize, scratch);
      if (bytes.byteLength === 0) {
        if (index === 0) throw emptyBodyError();
        this.#release({ index, length: 0, bytes, scratch, sums: undefined });
        return undefined;
      }
      this.#checkPartCount(index);
      return { index, length: bytes.byteLength, bytes, scratch, sums: undefined };
    } catch (error) {
      if (scratch) this.#pool?.give(scratch);
      this.#slots.release();
      throw error;
    }
  }

  #checkPartCount(index: number): void {
    if (index >= MAX_PARTS) {
      throw new ValidationError(
        'partSize',
        `The body is longer than ${MAX_PARTS} parts of ${this.#partSize / MiB} MiB (${maxArchiveSize(this.#partSize)} bytes), ` +
          `Glacier's limit for one archive. Pass the body's length as size, or a larger partSize, so the part size can fit it.`,
      );
    }
  }

  #release(part: ReadPart): void {
    if (part.scratch) this.#pool?.give(part.scratch);
    this.#slots.release();
  }

  /** A fresh stream of a part's bytes from the body's file, for one attempt. */
  #partFromFile(part: ReadPart): Readable {
    const file = this.#source.file!;
    const start = file.start + part.index * this.#partSize;
    return createReadStream(file.path, { start, end: start + part.length - 1, highWaterMark: MiB });
  }

  async #initiate(): Promise<void> {
    const { target, options } = this.#s;
    const out = await target.client.send(
      new InitiateMultipartUploadCommand({
        accountId: target.accountId,
        vaultName: target.vaultName,
        archiveDescription: this.#description,
        partSize: String(this.#partSize),
      }),
      { abortSignal: this.#slots.signal },
    );
    if (!out.uploadId) throw new Error('Glacier did not return an upload id for InitiateMultipartUpload.');
    this.#uploadId = out.uploadId;
    options.onUploadId?.(out.uploadId);
  }

  async #sendPart(part: ReadPart, sums: UploadChecksums): Promise<void> {
    const { target, retry } = this.#s;
    const length = part.length;
    const held = this.#serverParts.get(part.index);
    if (!(held && held.treeHash === sums.treeHash && held.size === length)) {
      const range = partContentRange(part.index, this.#partSize, length);
      const uploadId = this.#uploadId!;
      const signal = this.#slots.signal;
      try {
        await withRetries(
          async () => {
            let sent = 0;
            const body = countingBody(part.bytes ?? this.#partFromFile(part), (n) => {
              sent += n;
              this.#sending += n;
              this.#progress.tick();
            });
            const command = new UploadMultipartPartCommand({
              accountId: target.accountId,
              vaultName: target.vaultName,
              uploadId,
              range,
              checksum: sums.treeHash,
              body,
            });
            const out = await target.client
              .send(withoutSdkRetries(withPrecomputedChecksums(command, sums)), { abortSignal: signal })
              .finally(() => {
                body.destroy();
                // Acknowledged, these bytes move to #loaded; failed, they will be sent again.
                this.#sending -= sent;
              });
            if (out.checksum !== undefined && out.checksum !== sums.treeHash) {
              const start = part.index * this.#partSize;
              throw new TreeHashMismatchError(sums.treeHash, out.checksum, { start, end: start + length - 1 }, "Glacier's copy of the part");
            }
          },
          { ...retry, signal },
        );
      } catch (error) {
        this.#fail(error);
        return;
      }
    }
    if (this.#failure) return;
    this.#hashes[part.index] = sums.treeHash;
    this.#lengths[part.index] = length;
    this.#loaded += length;
    this.#report(part.index + 1);
  }

  /** Reports progress after `part` (1-based) was acknowledged, with the total once the body's length is known. */
  #report(part: number): void {
    const size = this.#size ?? this.#endOffset;
    if (size !== undefined && this.#loaded === size) this.#reportedAll = true;
    this.#progress.now(part);
  }

  /** Calls onProgress: for an acknowledged `part`, or (undefined) while bytes are sent. */
  #emit(part: number | undefined): void {
    const size = this.#size ?? this.#endOffset;
    this.#s.options.onProgress?.({
      loaded: this.#loaded + this.#sending,
      acknowledged: this.#loaded,
      ...(part !== undefined ? { part } : {}),
      ...(size !== undefined ? { total: size, partsTotal: Math.ceil(size / this.#partSize) } : {}),
    });
  }

  #fail(error: unknown): void {
    this.#slots.fail(error);
  }

  get #failure(): { readonly error: unknown } | undefined {
    return this.#slots.failure;
  }

  /** Checks that every part is in place, then completes. */
  async #complete(count: number): Promise<UploadedArchive> {
    if (this.#single) return uploadSingle({ ...this.#s, description: this.#description }, this.#single);
    const { target } = this.#s;
    const uploadId = this.#uploadId!;
    let size = 0;
    for (let i = 0; i < count; i++) {
      const length = this.#lengths[i];
      const hash = this.#hashes[i];
      if (hash === undefined || length === undefined || (i < count - 1 && length !== this.#partSize) || length === 0) {
        throw new Error(`Internal error: part ${i + 1} of ${count} is missing or short; the upload was not completed.`);
      }
      size += length;
    }
    for (const index of this.#serverParts.keys()) {
      if (index >= count) {
        throw new UploadError(
          `Multipart upload ${uploadId} holds a part at byte ${index * this.#partSize}, past the end of this ${size}-byte body; ` +
            'the body is not the one this upload was started with.',
          { uploadId, partsLeft: true },
        );
      }
    }
    const checksum = combineTreeHashes(this.#hashes);
    const out = await target.client.send(
      new CompleteMultipartUploadCommand({
        accountId: target.accountId,
        vaultName: target.vaultName,
        uploadId,
        archiveSize: String(size),
        checksum,
      }),
      { abortSignal: this.#slots.signal },
    );
    if (out.checksum !== undefined && out.checksum !== checksum) {
      throw new TreeHashMismatchError(checksum, out.checksum, undefined, `Glacier's archive ${out.archiveId ?? ''}`);
    }
    return {
      archiveId: out.archiveId ?? '',
      checksum,
      size,
      location: out.location ?? '',
      ...(this.#description !== undefined ? { archiveDescription: this.#description } : {}),
      uploadId,
    };
  }

  /** Stops everything, aborts the upload unless asked not to, and returns the error to throw. */
  async #cleanUp(error: unknown): Promise<unknown> {
    this.#fail(error);
    await Promise.allSettled([...this.#inFlight]);
    const cause = this.#failure?.error ?? error;
    const uploadId = this.#uploadId;
    if (uploadId === undefined) return cause;
    if (cause instanceof UploadError && cause.uploadId === uploadId) {
      if (cause.partsLeft || this.#s.options.leavePartsOnError) return cause;
    }
    const reason = describe(cause);
    if (this.#s.options.leavePartsOnError) {
      return new UploadError(`Upload ${uploadId} failed: ${reason} Its parts were left in place; resume with uploadArchive({ ..., uploadId }).`, {
        uploadId,
        partsLeft: true,
        cause,
      });
    }
    try {
      const { target } = this.#s;
      await target.client.send(new AbortMultipartUploadCommand({ accountId: target.accountId, vaultName: target.vaultName, uploadId }));
    } catch (abortError) {
      return new UploadError(
        `Upload ${uploadId} failed: ${reason} Aborting it failed too (${describe(abortError)}), so its parts are still stored; ` +
          'abort it with AbortMultipartUpload or resume it.',
        { uploadId, partsLeft: true, cause },
      );
    }
    return new UploadError(`Upload ${uploadId} failed and was aborted: ${reason}`, { uploadId, partsLeft: false, cause });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.replace(/\.?$/, '.');
  return `${String(error)}.`;
}
