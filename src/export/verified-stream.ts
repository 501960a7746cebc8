/**
 * A retrieval job's output as one stream that resumes itself: when the
 * connection fails part way, the rest is asked for with a range from the
 * first byte not yet received, so a long archive is never restarted from
 * zero. And a pass-through that proves the bytes: their count and their
 * tree hash must equal the inventory's by the end of the stream, or the
 * stream fails instead of ending.
 *
 * @module
 */
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import type { Job } from '../resources/job.js';
import { TreeHash } from '../transfer/tree-hash.js';
import { IncompleteBodyError, backoffDelay, isTransientError, sleep } from '../transfer/retry.js';
import { ExportWriteError } from './destination.js';

/** The bytes of a job's output, `size` long, resuming with a range after a failed connection (up to `retries` times in a row). */
export async function* jobOutput(job: Job, size: number, signal?: AbortSignal, retries = 5): AsyncGenerator<Uint8Array> {
  let offset = 0;
  let failures = 0;
  while (offset < size) {
    try {
      const out = await job.getOutput({ ...(offset > 0 ? { range: `bytes=${offset}-${size - 1}` } : {}), ...(signal ? { signal } : {}) });
      for await (const chunk of out.body as AsyncIterable<Uint8Array>) {
        offset += chunk.length;
        failures = 0;
        yield chunk;
      }
      if (offset < size) throw new IncompleteBodyError(`the output ended after ${offset} of ${size} bytes (premature close)`);
    } catch (err) {
      if (signal?.aborted) throw err;
      if ((err as { name?: string }).name === 'ResourceNotFoundException') throw new ExportWriteError('expired', `job ${job.id} expired while its output was read`, { cause: err });
      if (!isTransientError(err)) throw err;
      if (++failures > retries) throw new ExportWriteError('transient', `reading job ${job.id}'s output failed ${failures} times in a row at byte ${offset}: ${(err as Error).message}`, { cause: err });
      await sleep(backoffDelay(failures), signal);
    }
  }
}

/** What the bytes must be. */
export interface ExpectedBytes {
  /** Their count. */
  size: number;
  /** Their tree hash (hex). */
  treeHash: string;
}

/** What the stream proved, once it ended. */
export interface VerifiedBytes {
  /** True once every byte passed and matched. */
  verified: boolean;
  /** Bytes seen. */
  size: number;
  /** Their tree hash. */
  treeHash: string;
  /** Their CRC32, big-endian, base64 (S3's full-object checksum). */
  crc32: string;
}

/**
 * Passes bytes through, hashing them; at the end, fails with an
 * {@link ExportWriteError} (`mismatch`) unless `expected` size and tree hash
 * match. `result.verified` turns true only then, before the stream ends.
 */
export class VerifyingStream extends Transform {
  readonly #tree = new TreeHash();
  #crc = 0;
  /** What was seen and whether it matched. */
  readonly result: VerifiedBytes = { verified: false, size: 0, treeHash: '', crc32: '' };

  /** @param expected - The inventory's size and tree hash. */
  constructor(readonly expected: ExpectedBytes) {
    super();
  }

  /** Hashes and passes on a chunk; fails once the output runs past the expected size. */
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#tree.update(chunk);
    this.#crc = crc32(chunk, this.#crc);
    this.result.size += chunk.length;
    if (this.result.size > this.expected.size) {
      done(new ExportWriteError('mismatch', `the output is longer than the archive's ${this.expected.size} bytes`));
      return;
    }
    done(null, chunk);
  }

  /** Ends the stream only when the size and tree hash match; else fails it. */
  override _flush(done: TransformCallback): void {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(this.#crc >>> 0);
    Object.assign(this.result, { treeHash: this.#tree.digest(), crc32: crc.toString('base64') });
    if (this.result.size !== this.expected.size) {
      done(new ExportWriteError('mismatch', `the output has ${this.result.size} bytes, the archive ${this.expected.size}`));
    } else if (this.result.treeHash !== this.expected.treeHash) {
      done(new ExportWriteError('mismatch', `the output's tree hash ${this.result.treeHash} is not the inventory's ${this.expected.treeHash}`));
    } else {
      this.result.verified = true;
      done();
    }
  }
}
