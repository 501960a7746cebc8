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
import { finished } from 'node:stream/promises';
import { DownloadError, TreeHashMismatchError } from '../errors.js';
import { isBackOffSignal } from './concurrency.js';
import type { JobOutputSource } from './download-options.js';
import { isReceivedBody, withReceivePath } from './job-output-receiver.js';
import { IncompleteBodyError, withRetries, withoutSdkRetries, type RetryOptions } from './retry.js';
import { DEFAULT_STALL_TIMEOUT, watchStalls, type StallWatch } from './stall.js';
import { MiB, TreeHash, type ByteRange } from './tree-hash.js';
import { writevFully } from './verified-writer.js';

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

/**
 * Reads a response body in flowing mode, handing each piece to `onPiece` as
 * it arrives; while a promise `onPiece` returned is pending (a write), the
 * body is paused. Rejects with the first error of the body or of `onPiece`.
 * Cheaper than `for await`, which takes a promise and a buffered read per piece.
 */
function consume(body: Readable, onPiece: (piece: Buffer) => Promise<void> | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    let writing: Promise<void> | undefined;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      body.off('data', onData);
      reject(error);
    };
    const onData = (piece: Buffer) => {
      let wait: Promise<void> | undefined;
      try {
        wait = onPiece(piece);
      } catch (error) {
        fail(error);
        return;
      }
      if (!wait) return;
      body.pause();
      writing = wait.then(() => {
        writing = undefined;
        if (!failed) body.resume();
      }, fail);
    };
    body.on('data', onData);
    // A body that closes before its end rejects here (ERR_STREAM_PREMATURE_CLOSE, retried).
    finished(body).then(async () => {
      await writing;
      if (!failed) resolve();
    }, fail);
  });
}

/**
 * Reads a body from the SDK's own HTTP handler: each piece goes to `accept`;
 * for a file target, pieces are then written a few at a time with one
 * positioned writev of about 1 MiB (no copy, no staging buffer).
 */
async function consumeStream(body: Readable, file: FileHandle | undefined, start: number, accept: (piece: Buffer) => void): Promise<void> {
  let at = start;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (!file || pendingBytes === 0) return;
    const pieces = pending;
    const position = at;
    at += pendingBytes;
    pending = [];
    pendingBytes = 0;
    await writevFully(file, pieces, position);
  };
  await consume(body, (piece) => {
    accept(piece);
    if (!file) return undefined;
    pending.push(piece);
    pendingBytes += piece.byteLength;
    return pendingBytes >= FILE_WRITE_SIZE ? flush() : undefined;
  });
  await flush();
}

/** Fetches chunks of one job's output. */
export class ChunkFetcher {
  readonly #s: FetchSettings;

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
    const out = await client.send(withReceivePath(withoutSdkRetries(command), client, watch.signal), { abortSignal: watch.signal });
    watch.touch();
    const body = out.body as Readable | undefined;
    const tree = new TreeHash();
    let filled = 0;
    /** Each piece as it arrives: counted, checked against the length asked for, hashed, and copied into `scratch` for a stream target. */
    const accept = (piece: Buffer) => {
      watch.touch();
      received.bytes += piece.byteLength;
      this.#s.onBytes(piece.byteLength);
      if (filled + piece.byteLength > length) {
        throw new DownloadError(jobId, `GetJobOutput sent more than the ${length} bytes asked for (bytes ${range.start}-${range.end}).`);
      }
      tree.update(piece);
      if (scratch) piece.copy(scratch, filled);
      filled += piece.byteLength;
    };
    try {
      if (!body) throw new IncompleteBodyError(`GetJobOutput returned no body for bytes ${range.start}-${range.end}.`);
      if (isReceivedBody(body)) {
        // The receive path hands over views of its reused buffers, and runs of about 1 MiB to write at their offsets.
        const write = file && ((run: Buffer, offset: number) => writevFully(file, [run], range.start + offset));
        await body.receive({ piece: accept, ...(write ? { write } : {}) });
      } else {
        await consumeStream(body, file, range.start, accept);
      }
    } finally {
      if (body && !body.readableEnded) body.destroy();
    }
    if (filled !== length) {
      throw new IncompleteBodyError(`GetJobOutput sent ${filled} of the ${length} bytes of ${range.start}-${range.end}.`);
    }
    const bytes = scratch?.subarray(0, length);
    const hash = tree.digest();
    if (this.#s.verify && out.checksum && out.checksum !== hash) {
      throw new TreeHashMismatchError(out.checksum, hash, range, 'Downloaded bytes');
    }
    return { index, range, length, bytes, scratch, treeHash: hash, checked: Boolean(out.checksum) };
  }
}
