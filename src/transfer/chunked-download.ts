/**
 * The download's state machine: chunks fetched a few at a time into a
 * `.partial` file (resumable) or into buffers written in order to a stream,
 * each verified, then the whole checked against the job's tree hash.
 *
 * @module
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { TreeHashMismatchError } from '../errors.js';
import { ChunkFetcher, type Chunk } from './chunk-fetcher.js';
import { AdaptiveConcurrency, DEFAULT_MAX_CONCURRENCY } from './concurrency.js';
import type { DownloadOptions, DownloadPlan, DownloadResult, JobFacts, JobOutputSource } from './download-options.js';
import { recheckChunks } from './download-recheck.js';
import { DownloadStateWriter, readDownloadState, sidecarPath } from './download-state.js';
import { ThrottledProgress } from './progress.js';
import { BufferPool, Slots } from './slots.js';
import { MiB, alignedRanges, combineTreeHashes, treeHash, type ByteRange } from './tree-hash.js';
import { endStream, syncDirectory, writeToStream } from './verified-writer.js';

/** One download run: chunks fetched a few at a time, verified, and committed to a file or a stream. */
export class ChunkedDownload {
  readonly #source: JobOutputSource;
  readonly #options: DownloadOptions;
  readonly #facts: JobFacts;
  readonly #ranges: ByteRange[];
  readonly #chunkSize: number;
  readonly #slots: Slots;
  readonly #pool: BufferPool;
  /** Made when the target is known: a file target's chunks stream straight into its `.partial` file. */
  #fetcher: ChunkFetcher | undefined;
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

  /**
   * `plan.concurrency` pins the chunks in flight; otherwise they adapt
   * (AIMD) up to what `plan.maxMemory` allows: a file target's chunk takes
   * the two 1 MiB read buffers of its connection (see job-output-receiver.ts),
   * a stream's a chunk-sized buffer.
   */
  constructor(source: JobOutputSource, options: DownloadOptions, facts: JobFacts, plan: DownloadPlan) {
    const { chunkSize } = plan;
    this.#source = source;
    this.#options = options;
    this.#facts = facts;
    this.#chunkSize = chunkSize;
    this.#ranges = alignedRanges(facts.size, chunkSize);
    const perChunk = plan.toFile ? 2 * MiB : Math.min(chunkSize, Math.max(facts.size, MiB));
    const max = Math.min(DEFAULT_MAX_CONCURRENCY, Math.max(1, Math.floor(plan.maxMemory / perChunk)));
    this.#slots = new Slots(plan.concurrency ?? new AdaptiveConcurrency({ max }));
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
      this.#fetcher = this.#makeFetcher(handle);
      const verified = await recheckChunks(partial, handle, this.#ranges, claimed, this.#options.signal);
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
    this.#fetcher = this.#makeFetcher(undefined);
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
        const scratch = this.#fetcher!.writesToFile ? undefined : this.#pool.take();
        const task = this.#fetcher!.fetch(index, range, scratch)
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

  #makeFetcher(file: FileHandle | undefined): ChunkFetcher {
    return new ChunkFetcher({
      source: this.#source,
      file,
      verify: this.#verify,
      retry: this.#options.retry,
      stallTimeout: this.#options.stallTimeout,
      signal: this.#slots.signal,
      onBackOff: () => this.#slots.backOff(),
      onBytes: (n) => {
        this.#receiving += n;
        if (n <= 0) return;
        this.#slots.moved(n);
        this.#progress.tick();
      },
    });
  }

  #commit(chunk: Chunk): void {
    if (chunk.checked) this.#checkedChunks.add(chunk.index);
    this.#hashes[chunk.index] = chunk.treeHash;
    this.#receiving -= chunk.length;
    this.#loaded += chunk.length;
    this.#progress.now();
  }

  #emit(): void {
    const resumed = this.#resumed > 0 ? { resumed: this.#resumed } : {};
    this.#options.onProgress?.({
      loaded: this.#loaded + this.#receiving,
      completed: this.#loaded,
      total: this.#facts.size,
      concurrency: this.#slots.limit,
      ...resumed,
    });
  }

  #fail(error: unknown): void {
    this.#slots.fail(error);
  }

  get #failure(): { readonly error: unknown } | undefined {
    return this.#slots.failure;
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
