/**
 * The chunk fetcher of a download: one ranged GetJobOutput per attempt,
 * its bytes hashed as they arrive and either written into the `.partial`
 * file at their offsets or gathered into a buffer, checked against the
 * response's tree hash, and retried on transient errors, short bodies,
 * stalls and mismatches.
 *
 * @module
 */
import { GetJobOutputCommand } from '@aws-sdk/client-glacier';
import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DownloadError, TreeHashMismatchError } from '../errors.js';
import { isBackOffSignal } from './concurrency.js';
import type { JobOutputSource } from './download-options.js';
import { withRetries, withoutSdkRetries, type RetryOptions } from './retry.js';
import { BufferPool } from './slots.js';
import { DEFAULT_STALL_TIMEOUT, watchStalls, type StallWatch } from './stall.js';
import { MiB, TreeHash, treeHash, type ByteRange } from './tree-hash.js';
import { writeFully } from './verified-writer.js';

/** A response body that ended before the length it announced. Retried. */
class IncompleteBodyError extends Error {
  override name = 'IncompleteBodyError';
}

/** A verified chunk. For a stream target its bytes are held in `scratch`; a file target has them on disk already. */
export interface Chunk {
  index: number;
  range: ByteRange;
  length: number;
  bytes: Buffer | undefined;
  scratch: Buffer | undefined;
  treeHash: string;
  /** Whether the response carried Glacier's tree hash of the chunk. */
  checked: boolean;
}

/** How chunks are fetched. */
export interface FetchSettings {
  readonly source: JobOutputSource;
  /** The `.partial` file, when downloading to a file: chunks stream straight into it. */
  readonly file: FileHandle | undefined;
  /** Compare each chunk with the response's tree hash. */
  readonly verify: boolean;
  readonly retry: RetryOptions | undefined;
  readonly stallTimeout: number | undefined;
  /** Cancels every request and retry. */
  readonly signal: AbortSignal;
  /** Called with the bytes of each piece as it arrives, and with minus an attempt's bytes when it failed. */
  readonly onBytes: (n: number) => void;
  /** Called when an attempt failed with throttling, a request timeout or a server error. */
  readonly onBackOff: () => void;
}

/** A response's pieces are gathered into writes of this many bytes at their offsets. */
const FILE_WRITE_SIZE = MiB;

/** Fetches chunks of one job's output. */
export class ChunkFetcher {
  readonly #s: FetchSettings;
  /** 1 MiB staging buffers for writes to the `.partial` file, one per chunk in flight. */
  readonly #staging = new BufferPool(FILE_WRITE_SIZE);

  constructor(settings: FetchSettings) {
    this.#s = settings;
  }

  /** True when chunks go straight into the `.partial` file (no buffer of a chunk's size is needed). */
  get writesToFile(): boolean {
    return this.#s.file !== undefined;
  }

  /**
   * Fetches one range (with retries) and checks it. The bytes go into
   * `scratch` when given, otherwise straight into the `.partial` file at
   * their offsets (coalesced into 1 MiB writes), hashed on the way.
   */
  fetch(index: number, range: ByteRange, scratch: Buffer | undefined): Promise<Chunk> {
    const { signal } = this.#s;
    return withRetries(
      async () => {
        const watch = watchStalls(signal, this.#s.stallTimeout ?? DEFAULT_STALL_TIMEOUT);
        const received = { bytes: 0 };
        try {
          return await this.#attempt(index, range, scratch, watch, received);
        } catch (error) {
          // These bytes will be fetched again.
          this.#s.onBytes(-received.bytes);
          throw watch.explain(error);
        } finally {
          watch.stop();
        }
      },
      {
        ...this.#s.retry,
        signal,
        onFailedAttempt: (failure) => {
          if (isBackOffSignal(failure.error)) this.#s.onBackOff();
          this.#s.retry?.onFailedAttempt?.(failure);
        },
      },
    );
  }

  /** One attempt of {@link ChunkFetcher.fetch}. */
  async #attempt(index: number, range: ByteRange, scratch: Buffer | undefined, watch: StallWatch, received: { bytes: number }): Promise<Chunk> {
    const { client, accountId, vaultName, jobId } = this.#s.source;
    const length = range.end + 1 - range.start;
    const file = this.#s.file;
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
        this.#s.onBytes(piece.byteLength);
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
    if (this.#s.verify && out.checksum && out.checksum !== hash) {
      throw new TreeHashMismatchError(out.checksum, hash, range, 'Downloaded bytes');
    }
    return { index, range, length, bytes, scratch, treeHash: hash, checked: Boolean(out.checksum) };
  }
}
