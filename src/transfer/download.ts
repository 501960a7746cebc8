/**
 * Downloading a job's output: ranged, concurrent, tree-hash-verified,
 * resumable.
 *
 * **Defaults.** 16 MiB chunks (a power of two MiB, so each is tree-hash
 * aligned and Glacier returns its checksum), 4 at a time. Each chunk is tried
 * up to 7 times (see {@link RetryOptions}) on transient errors, short
 * bodies and tree-hash mismatches.
 *
 * **Memory.** To a file: about `concurrency × 1 MiB` plus the runtime's own,
 * whatever the chunk size. To a Writable: about `concurrency × chunkSize`,
 * since chunks that arrive early wait for their turn.
 *
 * @module
 */
import { DescribeJobCommand, GetJobOutputCommand, type DescribeJobCommandOutput, type GlacierClient } from '@aws-sdk/client-glacier';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { DownloadError, TreeHashMismatchError, ValidationError } from '../errors.js';
import { checkOptions, validateAccountId, validateId, validatePartSize, validateVaultName } from '../validation.js';
import { DownloadStateWriter, readDownloadState, sidecarPath } from './download-state.js';
import { DEFAULT_CONCURRENCY, validatePositiveInteger } from './part-plan.js';
import { httpStatusOf, retryOptionsProblem, withRetries, withoutSdkRetries, type RetryOptions } from './retry.js';
import { ThrottledProgress } from './progress.js';
import { BufferPool, Slots } from './slots.js';
import { DEFAULT_STALL_TIMEOUT, watchStalls, type StallWatch } from './stall.js';
import { MiB, TreeHash, alignedRanges, combineTreeHashes, treeHash, treeHashFile, type ByteRange } from './tree-hash.js';

/** Which job's output to read. */
export interface JobOutputSource {
  /** The SDK client to send with. It is not modified. */
  client: GlacierClient;
  /** `-` or a 12-digit account id. */
  accountId: string;
  /** The vault's name. */
  vaultName: string;
  /** The job id. */
  jobId: string;
}

/**
 * Progress of a download: reported as bytes arrive (at most four times a
 * second, and at least once a second while requests are in flight) and
 * after each chunk is verified and written. The last event of a successful
 * download is exact: `loaded` and `completed` are `total`.
 */
export interface DownloadProgress {
  /**
   * Bytes received: those of `completed` plus what has arrived of the chunks
   * still being fetched. When a request fails (or its chunk does not
   * verify), its bytes are taken off again before it is retried, so `loaded`
   * can go down.
   */
  loaded: number;
  /** Bytes verified and written so far (including those a resumed download found already in place). */
  completed: number;
  /** The output's length in bytes. */
  total: number;
  /**
   * Present when a file download resumed: the bytes of `loaded` that an
   * earlier run had written and that were re-verified in the `.partial`
   * file, so were not fetched again. `loaded - resumed` is what this call
   * fetched.
   */
  resumed?: number;
}

/** Options of {@link downloadJobOutput}. */
export interface DownloadOptions {
  /**
   * Bytes per ranged request: 1 MiB × 2^n, so every chunk is tree-hash
   * aligned and Glacier sends its checksum (default 16 MiB).
   */
  chunkSize?: number;
  /** Chunks fetched at once (default 4). */
  concurrency?: number;
  /** Called as bytes arrive (at most every 250 ms) and after each chunk is verified and written. See {@link DownloadProgress}. */
  onProgress?: (p: DownloadProgress) => void;
  /**
   * Stops the download; in-flight requests are cancelled. A file download
   * keeps its `.partial` file and record, so the next call resumes it.
   */
  signal?: AbortSignal;
  /**
   * Check every chunk against the tree hash in its response and the whole
   * against the job's `SHA256TreeHash` (default true). Chunks failing the
   * check are fetched again; with `false`, nothing is compared.
   */
  verify?: boolean;
  /** How each chunk is retried. See {@link RetryOptions}. */
  retry?: RetryOptions;
  /**
   * Milliseconds a request may go without receiving a byte before it is
   * cancelled and retried (default 120,000; 0 waits forever). Guards against
   * connections that stall without failing.
   */
  stallTimeout?: number;
  /** For a Writable target: call `end()` on it when done (default true). */
  end?: boolean;
}

/** Every option of {@link downloadJobOutput}, once: a missing or extra key here fails to compile. */
const DOWNLOAD_OPTIONS: Record<keyof DownloadOptions, true> = {
  chunkSize: true,
  concurrency: true,
  onProgress: true,
  signal: true,
  verify: true,
  retry: true,
  stallTimeout: true,
  end: true,
};

/** The option names {@link downloadJobOutput} accepts; any other is refused. @internal */
export const DOWNLOAD_OPTION_KEYS = Object.keys(DOWNLOAD_OPTIONS) as ReadonlyArray<keyof DownloadOptions>;

/** What a download produced. */
export interface DownloadResult {
  /** Bytes of output. */
  bytes: number;
  /** The output's tree hash, computed from the bytes received (absent when `verify` is false). */
  treeHash?: string;
  /**
   * True when the bytes were checked against checksums from Glacier: the
   * job's tree hash of the whole, or the tree hash of every chunk's
   * response. False when Glacier gave none (a retrieval whose byte range is
   * not tree-hash aligned) or `verify` was false: compare `treeHash` with a
   * checksum you trust yourself.
   */
  verified?: boolean;
  /** The file written, for a file target. */
  path?: string;
  /**
   * Present when a file download resumed: the bytes an earlier run had
   * written that were re-verified and kept rather than fetched again
   * (`bytes - resumed` were fetched by this call).
   */
  resumed?: number;
}

/** Default bytes per ranged GetJobOutput request: 16 MiB. */
export const DEFAULT_CHUNK_SIZE = 16 * MiB;

/** A response body that ended before the length it announced. Retried. */
class IncompleteBodyError extends Error {
  override name = 'IncompleteBodyError';
}

interface JobFacts {
  size: number;
  treeHash: string | undefined;
}

/** The output length and whole tree hash of a finished job. */
function jobFacts(jobId: string, job: DescribeJobCommandOutput): JobFacts {
  if (job.StatusCode === 'Failed') {
    throw new DownloadError(jobId, `Job ${jobId} failed${job.StatusMessage ? `: ${job.StatusMessage}` : ''}; it has no output to download.`);
  }
  if (!job.Completed || job.StatusCode !== 'Succeeded') {
    throw new DownloadError(jobId, `Job ${jobId} is ${job.StatusCode ?? 'not complete'}; wait for it to succeed before downloading its output.`);
  }
  let size: number | undefined;
  if (job.Action === 'InventoryRetrieval') size = job.InventorySizeInBytes;
  else {
    const m = /^(\d+)-(\d+)$/.exec(job.RetrievalByteRange ?? '');
    size = m ? Number(m[2]) - Number(m[1]) + 1 : job.ArchiveSizeInBytes;
  }
  if (size === undefined || !Number.isSafeInteger(size) || size < 0) {
    throw new DownloadError(jobId, `Job ${jobId} does not say how long its output is, so it cannot be downloaded in ranges.`);
  }
  return { size, treeHash: job.Action === 'InventoryRetrieval' ? undefined : (job.SHA256TreeHash ?? undefined) };
}

function describeFailure(jobId: string, error: unknown): unknown {
  if (error instanceof DownloadError || error instanceof TreeHashMismatchError || error instanceof ValidationError) return error;
  const name = (error as { name?: string } | undefined)?.name;
  if (httpStatusOf(error) === 404 || name === 'ResourceNotFoundException') {
    return new DownloadError(
      jobId,
      `Job ${jobId} or its output was not found. Job output is kept for at least 24 hours after the job completes; ` +
        'if it has expired, initiate a new retrieval job.',
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new DownloadError(jobId, `Downloading the output of job ${jobId} failed: ${message}`, { cause: error });
}

function validate(source: JobOutputSource, target: string | Writable, options: DownloadOptions) {
  checkOptions(options, DOWNLOAD_OPTION_KEYS, 'downloadJobOutput()');
  validateAccountId(source.accountId);
  validateVaultName(source.vaultName);
  validateId(source.jobId, 'jobId');
  if (typeof target === 'string') {
    if (target.length === 0) throw new ValidationError('target', 'The download target must be a file path or a Writable stream, not an empty string.');
  } else if (target === null || typeof target !== 'object' || typeof (target as Writable).write !== 'function') {
    throw new ValidationError('target', 'The download target must be a file path or a Writable stream.');
  }
  const chunkSize = options.chunkSize === undefined ? DEFAULT_CHUNK_SIZE : validatePartSize(options.chunkSize, 'chunkSize');
  const concurrency = validatePositiveInteger(options.concurrency, 'concurrency', DEFAULT_CONCURRENCY);
  const problem = retryOptionsProblem(options.retry);
  if (problem) throw new ValidationError('retry', problem);
  if (options.stallTimeout !== undefined && (!Number.isSafeInteger(options.stallTimeout) || options.stallTimeout < 0)) {
    throw new ValidationError('stallTimeout', `stallTimeout must be a whole number of milliseconds, 0 or more, got ${JSON.stringify(options.stallTimeout)}.`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new ValidationError('onProgress', 'onProgress must be a function.');
  }
  return { chunkSize, concurrency };
}

/**
 * Downloads a completed job's output to a file or a Writable.
 *
 * - The output is fetched in tree-hash-aligned ranges of `chunkSize`
 *   (16 MiB), `concurrency` (4) at a time. Each chunk is checked against the
 *   `x-amz-sha256-tree-hash` of its response, and fetched again (with
 *   back-off) on a mismatch, a short body or a transient error; after the
 *   retries a {@link TreeHashMismatchError} or {@link DownloadError} is thrown.
 *   The chunk hashes are combined and checked against the job's
 *   `SHA256TreeHash`.
 * - **File target:** each response streams into `PATH.partial` at its
 *   offset (hashed on the way, written 1 MiB at a time); `PATH.partial` is
 *   renamed to `PATH` only once every chunk and the whole have verified
 *   (and the file is fsynced, then the rename), so `PATH` never holds
 *   unverified bytes. A small record
 *   (`PATH.partial.json`) lists the chunks that verified; a later call for
 *   the same job re-hashes those chunks of the `.partial` file and fetches
 *   only what is missing or no longer matches. Memory stays about
 *   `concurrency × 1 MiB` plus a constant, whatever `chunkSize`.
 * - **Writable target:** chunks are fetched into memory, verified, and
 *   written in order, honouring backpressure; only verified bytes reach the
 *   stream, which is ended when done (unless `end: false`). There is no
 *   resume. Memory is about `concurrency × chunkSize` plus a constant.
 *
 * @throws {@link ValidationError} for bad options, before any request.
 * @throws {@link DownloadError} when the job has no output, it expired, or a chunk cannot be fetched.
 * @throws {@link TreeHashMismatchError} when bytes do not verify after all retries.
 *
 * @example
 * ```ts
 * const { treeHash } = await downloadJobOutput({ client, accountId: '-', vaultName: 'photos', jobId }, '2024.tar', {
 *   onProgress: ({ loaded, total }) => console.log(`${loaded} / ${total}`),
 * });
 * ```
 */
export async function downloadJobOutput(source: JobOutputSource, target: string | Writable, options: DownloadOptions = {}): Promise<DownloadResult> {
  const { chunkSize, concurrency } = validate(source, target, options);
  options.signal?.throwIfAborted();
  try {
    const job = await source.client.send(
      new DescribeJobCommand({ accountId: source.accountId, vaultName: source.vaultName, jobId: source.jobId }),
      options.signal ? { abortSignal: options.signal } : {},
    );
    const facts = jobFacts(source.jobId, job);
    const run = new ChunkedDownload(source, options, facts, chunkSize, concurrency);
    return typeof target === 'string' ? await run.toFile(target) : await run.toStream(target);
  } catch (error) {
    throw describeFailure(source.jobId, error);
  }
}

/** A verified chunk. For a stream target its bytes are held in `scratch`; a file target has them on disk already. */
interface Chunk {
  index: number;
  range: ByteRange;
  length: number;
  bytes: Buffer | undefined;
  scratch: Buffer | undefined;
  treeHash: string;
}

/** A response's pieces are gathered into writes of this many bytes at their offsets. */
const FILE_WRITE_SIZE = MiB;

class ChunkedDownload {
  readonly #source: JobOutputSource;
  readonly #options: DownloadOptions;
  readonly #facts: JobFacts;
  readonly #ranges: ByteRange[];
  readonly #chunkSize: number;
  readonly #slots: Slots;
  readonly #pool: BufferPool;
  /** 1 MiB staging buffers for writes to the `.partial` file, one per chunk in flight. */
  readonly #staging = new BufferPool(FILE_WRITE_SIZE);
  /** The `.partial` file, when downloading to a file: chunks stream straight into it. */
  #file: FileHandle | undefined;
  readonly #hashes: string[] = [];
  /** Chunks whose response carried a checksum (fetched now, or verified earlier and re-checked on resume). */
  readonly #checkedChunks = new Set<number>();
  readonly #verify: boolean;
  #loaded = 0;
  /** Bytes received of chunks not yet committed (a failed attempt takes its own off again). */
  #receiving = 0;
  readonly #progress = new ThrottledProgress(
    () => this.#emit(),
    (error) => this.#fail(error),
  );
  /** Bytes found already verified in the `.partial` file. */
  #resumed = 0;

  constructor(source: JobOutputSource, options: DownloadOptions, facts: JobFacts, chunkSize: number, concurrency: number) {
    this.#source = source;
    this.#options = options;
    this.#facts = facts;
    this.#chunkSize = chunkSize;
    this.#ranges = alignedRanges(facts.size, chunkSize);
    this.#slots = new Slots(concurrency);
    this.#pool = new BufferPool(Math.min(chunkSize, Math.max(facts.size, 1)));
    this.#verify = options.verify ?? true;
  }

  async toFile(path: string): Promise<DownloadResult> {
    const partial = `${path}.partial`;
    const identity = { jobId: this.#source.jobId, size: this.#facts.size, chunkSize: this.#chunkSize, treeHash: this.#facts.treeHash };
    const claimed = await readDownloadState(partial, identity);
    let handle: FileHandle;
    try {
      handle = await open(partial, claimed.size > 0 ? 'r+' : 'w');
    } catch {
      claimed.clear();
      handle = await open(partial, 'w');
    }
    let closed = false;
    let state: DownloadStateWriter | undefined;
    try {
      await handle.truncate(this.#facts.size);
      this.#file = handle;
      const verified = await this.#recheck(partial, handle, claimed);
      // A record whose chunks no longer verify is of no use: the writer starts a new one with the first chunk.
      if (verified.size === 0) await rm(sidecarPath(partial), { force: true });
      state = new DownloadStateWriter(partial, identity, verified);
      for (const [index, hash] of verified) {
        this.#hashes[index] = hash;
        this.#checkedChunks.add(index);
        this.#loaded += this.#ranges[index]!.end + 1 - this.#ranges[index]!.start;
      }
      this.#resumed = this.#loaded;
      if (verified.size > 0) this.#progress.now();
      await this.#fetchAll(
        (index) => !verified.has(index),
        async (chunk) => {
          state?.add(chunk.index, chunk.treeHash);
        },
      );
      await state.close();
      const whole = this.#checkWhole();
      await handle.sync();
      await handle.close();
      closed = true;
      await rename(partial, path);
      await syncDirectory(dirname(path));
      await state.remove();
      const resumed = this.#resumed > 0 ? { resumed: this.#resumed } : {};
      return { bytes: this.#facts.size, ...(whole ? { treeHash: whole } : {}), verified: this.#verified(), path, ...resumed };
    } catch (error) {
      // Keep the record of every chunk written so far, for the next call to resume from.
      await state?.close();
      if (error instanceof TreeHashMismatchError && error.range === undefined) {
        // The whole does not verify although each chunk did: start afresh next time.
        await rm(sidecarPath(partial), { force: true });
      }
      throw error;
    } finally {
      if (!closed) await handle.close().catch(() => undefined);
    }
  }

  async toStream(stream: Writable): Promise<DownloadResult> {
    const ready = new Map<number, Chunk>();
    let nextToWrite = 0;
    let writing = Promise.resolve();
    const writeReady = async () => {
      for (let chunk = ready.get(nextToWrite); chunk; chunk = ready.get(nextToWrite)) {
        ready.delete(nextToWrite);
        nextToWrite++;
        try {
          if (!this.#failure && chunk.bytes) await writeToStream(stream, chunk.bytes, this.#slots.signal);
          if (!this.#failure) this.#commit(chunk);
        } catch (error) {
          // A failing target stops the download (and wakes fetchers waiting for a slot).
          this.#fail(error);
        } finally {
          // The chunk's buffer now belongs to the caller's stream, which may hold it
          // long after the write callback (a PassThrough, a collecting consumer, an S3
          // upload): never hand it back to the pool to be overwritten. Release the slot only.
          this.#release(undefined);
        }
      }
    };
    await this.#fetchAll(
      () => true,
      (chunk) => {
        ready.set(chunk.index, chunk);
        writing = writing.then(writeReady);
        return 'held';
      },
      () => writing,
    );
    const whole = this.#checkWhole();
    if (this.#options.end ?? true) await endStream(stream);
    return { bytes: this.#facts.size, ...(whole ? { treeHash: whole } : {}), verified: this.#verified() };
  }

  /**
   * Re-hashes the chunks a record claims, keeping those whose bytes still
   * match. Each run of consecutive chunks is hashed as one range with two
   * worker threads and compared with the combination of the claimed hashes;
   * only a run that does not match is checked chunk by chunk.
   */
  async #recheck(partial: string, handle: FileHandle, claimed: ReadonlyMap<number, string>): Promise<Map<number, string>> {
    const verified = new Map<number, string>();
    const indices = [...claimed.keys()].filter((i) => i < this.#ranges.length).sort((a, b) => a - b);
    for (let first = 0; first < indices.length; ) {
      let last = first;
      while (last + 1 < indices.length && indices[last + 1] === indices[last]! + 1) last++;
      const run = indices.slice(first, last + 1);
      const start = this.#ranges[run[0]!]!.start;
      const end = this.#ranges[run.at(-1)!]!.end + 1;
      const expected = combineTreeHashes(run.map((i) => claimed.get(i)!));
      const signal = this.#options.signal;
      const actual = await treeHashFile(partial, { start, end, workers: 2, ...(signal ? { signal } : {}) }).catch(() => undefined);
      if (actual === expected) {
        for (const i of run) verified.set(i, claimed.get(i)!);
      } else {
        for (const i of run) if ((await this.#hashRange(handle, this.#ranges[i]!)) === claimed.get(i)) verified.set(i, claimed.get(i)!);
      }
      first = last + 1;
    }
    return verified;
  }

  /** The tree hash of a range of the `.partial` file, or undefined if the file is shorter. */
  async #hashRange(handle: FileHandle, range: ByteRange): Promise<string | undefined> {
    const buffer = Buffer.allocUnsafe(FILE_WRITE_SIZE);
    const tree = new TreeHash();
    for (let pos = range.start; pos <= range.end; ) {
      this.#options.signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, range.end + 1 - pos), pos);
      if (bytesRead === 0) return undefined;
      tree.update(buffer.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return tree.digest();
  }

  /**
   * Fetches every wanted chunk, `concurrency` at a time, handing each verified
   * chunk to `commit`. Unless `commit` returns 'held', the chunk's buffer and
   * slot are released as soon as it resolves.
   */
  async #fetchAll(
    wanted: (index: number) => boolean,
    commit: (chunk: Chunk) => Promise<void> | 'held',
    drain: () => Promise<void> = () => Promise.resolve(),
  ): Promise<void> {
    const { signal } = this.#options;
    const onAbort = () => this.#fail(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const tasks = new Set<Promise<void>>();
    this.#progress.start();
    try {
      for (let index = 0; index < this.#ranges.length; index++) {
        if (!wanted(index)) continue;
        try {
          await this.#slots.acquire();
        } catch {
          break;
        }
        const range = this.#ranges[index]!;
        const scratch = this.#file ? undefined : this.#pool.take();
        const task = this.#fetchChunk(index, range, scratch)
          .then(async (chunk) => {
            const held = commit(chunk);
            if (held === 'held') return;
            try {
              await held;
              this.#commit(chunk);
            } finally {
              this.#release(scratch);
            }
          })
          .catch((error: unknown) => {
            this.#fail(error);
          })
          .finally(() => tasks.delete(task));
        tasks.add(task);
      }
      while (tasks.size > 0) await Promise.allSettled([...tasks]);
      await drain();
    } finally {
      this.#progress.stop();
      signal?.removeEventListener('abort', onAbort);
    }
    if (this.#failure) throw this.#failure.error;
  }

  #release(scratch: Buffer | undefined): void {
    if (scratch) this.#pool.give(scratch);
    this.#slots.release();
  }

  #commit(chunk: Chunk): void {
    this.#hashes[chunk.index] = chunk.treeHash;
    this.#receiving -= chunk.length;
    this.#loaded += chunk.length;
    this.#progress.now();
  }

  #emit(): void {
    const resumed = this.#resumed > 0 ? { resumed: this.#resumed } : {};
    this.#options.onProgress?.({ loaded: this.#loaded + this.#receiving, completed: this.#loaded, total: this.#facts.size, ...resumed });
  }

  #fail(error: unknown): void {
    this.#slots.fail(error);
  }

  get #failure(): { readonly error: unknown } | undefined {
    return this.#slots.failure;
  }

  /**
   * Fetches one range (with retries) and checks it. The bytes go into
   * `scratch` when given, otherwise straight into the `.partial` file at
   * their offsets (coalesced into 1 MiB writes), hashed on the way.
   */
  async #fetchChunk(index: number, range: ByteRange, scratch: Buffer | undefined): Promise<Chunk> {
    const signal = this.#slots.signal;
    return withRetries(
      async () => {
        const watch = watchStalls(signal, this.#options.stallTimeout ?? DEFAULT_STALL_TIMEOUT);
        const received = { bytes: 0 };
        try {
          return await this.#fetchAttempt(index, range, scratch, watch, received);
        } catch (error) {
          // These bytes will be fetched again.
          this.#receiving -= received.bytes;
          throw watch.explain(error);
        } finally {
          watch.stop();
        }
      },
      { ...this.#options.retry, signal },
    );
  }

  /** One attempt of {@link ChunkedDownload.#fetchChunk}. */
  async #fetchAttempt(index: number, range: ByteRange, scratch: Buffer | undefined, watch: StallWatch, received: { bytes: number }): Promise<Chunk> {
    const { client, accountId, vaultName, jobId } = this.#source;
    const length = range.end + 1 - range.start;
    const file = this.#file;
    const command = new GetJobOutputCommand({ accountId, vaultName, jobId, range: `bytes=${range.start}-${range.end}` });
    const out = await client.send(withoutSdkRetries(command), { abortSignal: watch.signal });
    watch.touch();
    const body = out.body as Readable | undefined;
    const tree = new TreeHash();
    let filled = 0;
    // File target: pieces are hashed, then staged into 1 MiB writes at their offsets.
    const staging = file ? this.#staging.take() : undefined;
    let staged = 0;
    const flush = async () => {
      if (!file || !staging || staged === 0) return;
      await writeFully(file, staging.subarray(0, staged), range.start + filled - staged);
      staged = 0;
    };
    try {
      if (!body) throw new IncompleteBodyError(`GetJobOutput returned no body for bytes ${range.start}-${range.end}.`);
      for await (const piece of body as AsyncIterable<Buffer>) {
        watch.touch();
        received.bytes += piece.byteLength;
        this.#receiving += piece.byteLength;
        this.#progress.tick();
        if (filled + piece.byteLength > length) {
          throw new DownloadError(jobId, `GetJobOutput sent more than the ${length} bytes asked for (bytes ${range.start}-${range.end}).`);
        }
        if (scratch) {
          piece.copy(scratch, filled);
          filled += piece.byteLength;
          continue;
        }
        tree.update(piece);
        for (let offset = 0; offset < piece.byteLength; ) {
          const n = piece.copy(staging!, staged, offset);
          staged += n;
          offset += n;
          filled += n;
          if (staged === staging!.byteLength) await flush();
        }
      }
      await flush();
    } finally {
      if (staging) this.#staging.give(staging);
      if (body && !body.readableEnded) body.destroy();
    }
    if (filled !== length) {
      throw new IncompleteBodyError(`GetJobOutput sent ${filled} of the ${length} bytes of ${range.start}-${range.end}.`);
    }
    const bytes = scratch?.subarray(0, length);
    const hash = bytes ? treeHash(bytes) : tree.digest();
    if (out.checksum) this.#checkedChunks.add(index);
    if (this.#verify && out.checksum && out.checksum !== hash) {
      throw new TreeHashMismatchError(out.checksum, hash, range, 'Downloaded bytes');
    }
    return { index, range, length, bytes, scratch, treeHash: hash };
  }

  /** Whether Glacier's checksums covered the whole output (chunks found verified on resume were checked when first fetched). */
  #verified(): boolean {
    if (!this.#verify) return false;
    if (this.#facts.treeHash) return true;
    return this.#ranges.every((_, index) => this.#checkedChunks.has(index));
  }

  /** Combines the chunk hashes and checks them against the job's tree hash. */
  #checkWhole(): string | undefined {
    if (this.#ranges.length === 0) return this.#verify ? treeHash(Buffer.alloc(0)) : undefined;
    const whole = combineTreeHashes(this.#hashes);
    if (this.#verify && this.#facts.treeHash && whole !== this.#facts.treeHash) {
      throw new TreeHashMismatchError(this.#facts.treeHash, whole, undefined, `The output of job ${this.#source.jobId}`);
    }
    return this.#verify ? whole : undefined;
  }
}

/** Makes a rename in `directory` durable. Best effort: some platforms cannot open or sync a directory. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported here (e.g. Windows); the rename itself has happened.
  }
}

async function writeFully(handle: FileHandle, bytes: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.byteLength - written, position + written);
    written += bytesWritten;
  }
}

/** Writes one chunk and waits for its write callback (the stream may keep the buffer: it is never reused). */
function writeToStream(stream: Writable, bytes: Buffer, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed || stream.writableEnded) {
      reject(new Error('The target stream was closed before the download finished.'));
      return;
    }
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      stream.off('error', settle);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onClose = () => settle(new Error('The target stream closed before the download finished.'));
    const onAbort = () => settle(signal.reason);
    stream.once('error', settle);
    stream.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    stream.write(bytes, (error) => settle(error ?? undefined));
  });
}

function endStream(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => {
      stream.off('error', reject);
      resolve();
    });
  });
}
