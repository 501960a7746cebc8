/**
 * The part reader of a multipart upload: cuts the body into parts in order
 * and hashes each once for both checksums. A part is either held in a
 * buffer (a view of an in-memory body, or a pooled scratch buffer), or,
 * for a part of a regular file, only hashed and re-read from the file each
 * time it is sent.
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { ValidationError } from '../errors.js';
import { MAX_PARTS } from '../validation.js';
import type { BodySource } from './body.js';
import { maxArchiveSize } from './part-plan.js';
import { BufferPool } from './slots.js';
import { LinearAndTreeHash, MiB, type UploadChecksums } from './tree-hash.js';
import { emptyBodyError } from './upload-options.js';

/**
 * A part read from the body. A buffered part holds its `bytes`; a part
 * streamed from its file holds only its checksums, and is re-read from the
 * file each time it is sent.
 */
export interface ReadPart {
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

/**
 * Size of the reads that send a part re-read from its file: small enough that
 * dozens of parts in flight hold little memory, large enough to cost few reads.
 */
const STREAMED_SEND_READ = 256 * 1024;

/** Bytes hashed between two yields to the event loop. */
const HASH_SLICE = MiB;

/**
 * Hashes a buffered part, a 1 MiB slice at a time with a turn of the event
 * loop in between, so that the parts already being sent keep their sockets
 * fed while the next part is hashed (one 16 MiB part is about 20 ms of
 * hashing; a socket's kernel buffer drains in far less).
 */
export async function hashPartInSlices(part: Buffer): Promise<UploadChecksums> {
  const hash = new LinearAndTreeHash();
  for (let offset = 0; offset < part.byteLength; offset += HASH_SLICE) {
    if (offset > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    hash.update(part.subarray(offset, offset + HASH_SLICE));
  }
  return hash.digest();
}

/**
 * When parts of a regular file are re-read from it when sent instead of
 * held: `always`, `never`, or once the part buffers held would pass a
 * memory budget in bytes.
 */
export type StreamFromFile = 'always' | 'never' | { readonly budget: number };

/** Reads a body's parts in order. */
export class PartReader {
  readonly #source: BodySource;
  readonly #partSize: number;
  readonly #stream: StreamFromFile;
  #pool: BufferPool | undefined;
  /** Buffers for the reads that hash a part re-read from its file. */
  #hashReads: BufferPool | undefined;
  /** Parts read into scratch buffers and not yet released. */
  #buffered = 0;

  constructor(source: BodySource, partSize: number, stream: StreamFromFile) {
    this.#source = source;
    this.#partSize = partSize;
    this.#stream = source.file === undefined ? 'never' : stream;
  }

  /** Whether the next part will be re-read from the body's file when sent, instead of held in memory. */
  #streamNext(): boolean {
    const stream = this.#stream;
    if (typeof stream === 'string') return stream === 'always';
    return (this.#buffered + 1) * this.#partSize > stream.budget;
  }

  /** Reads part `index` (the next one). Returns undefined at the end of the body. */
  async read(index: number): Promise<ReadPart | undefined> {
    let scratch: Buffer | undefined;
    try {
      if (this.#streamNext()) {
        const reads = (this.#hashReads ??= new BufferPool(Math.min(STREAMED_HASH_READ, this.#partSize)));
        const buffer = reads.take();
        const hash = new LinearAndTreeHash();
        let length = 0;
        try {
          while (length < this.#partSize) {
            const piece = await this.#source.read(Math.min(STREAMED_HASH_READ, this.#partSize - length), buffer);
            if (piece.byteLength === 0) break;
            hash.update(piece);
            length += piece.byteLength;
          }
        } finally {
          reads.give(buffer);
        }
        if (length === 0) return this.#end(index);
        this.#checkPartCount(index);
        return { index, length, bytes: undefined, scratch: undefined, sums: hash.digest() };
      }
      if (!this.#source.zeroCopy) scratch = this.#take();
      const bytes = await this.#source.read(this.#partSize, scratch);
      if (bytes.byteLength === 0) {
        if (scratch) this.#give(scratch);
        scratch = undefined;
        return this.#end(index);
      }
      this.#checkPartCount(index);
      return { index, length: bytes.byteLength, bytes, scratch, sums: undefined };
    } catch (error) {
      if (scratch) this.#give(scratch);
      throw error;
    }
  }

  /** Gives a part's scratch buffer back for reuse. */
  release(part: ReadPart): void {
    if (part.scratch) this.#give(part.scratch);
  }

  #take(): Buffer {
    this.#buffered++;
    return (this.#pool ??= new BufferPool(this.#partSize)).take();
  }

  #give(buffer: Buffer): void {
    this.#buffered--;
    this.#pool?.give(buffer);
  }

  /** A part's body for one attempt: its bytes, or a fresh stream of them from the body's file. */
  body(part: ReadPart): Buffer | Readable {
    if (part.bytes) return part.bytes;
    const file = this.#source.file!;
    const start = file.start + part.index * this.#partSize;
    return createReadStream(file.path, { start, end: start + part.length - 1, highWaterMark: STREAMED_SEND_READ });
  }

  #end(index: number): undefined {
    if (index === 0) throw emptyBodyError();
    return undefined;
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
}
