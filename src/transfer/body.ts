/**
 * Normalises every accepted upload body into one pull-based reader of parts.
 *
 * Bytes are read only when the uploader asks for the next part, so a stream
 * is paused (backpressure) while the parts already read are being sent, and
 * memory stays bounded by the number of parts held at once.
 *
 * - `Buffer`, `Uint8Array` and `string` (encoded as UTF-8; a string is the
 *   archive's *content*, never a file name) are cut into parts without copying.
 * - An `fs.ReadStream` of a regular file is not streamed: the file is read
 *   with positioned reads of whole parts (honouring the stream's `start` and
 *   `end`), which is faster and gives the size up front. The stream itself is
 *   destroyed unread.
 * - A `Blob` is sliced.
 * - Any other `Readable`, web `ReadableStream` or `AsyncIterable<Uint8Array>`
 *   is copied chunk by chunk into part-sized buffers.
 *
 * @module
 */
import { ReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ValidationError } from '../errors.js';

/**
 * An upload body: a `Buffer` or `Uint8Array`, a string (its UTF-8 bytes are
 * uploaded), an `fs.ReadStream` or any other `Readable`, an
 * `AsyncIterable<Uint8Array>`, a web `ReadableStream<Uint8Array>`, or a `Blob`.
 */
export type UploadBody = string | Uint8Array | Readable | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | Blob;

/** A body opened for reading part by part, in order. */
export interface BodySource {
  /** The body's length in bytes, when it is known before reading. */
  readonly size: number | undefined;
  /** True when parts are views of memory the caller owns (no scratch buffer is used). */
  readonly zeroCopy: boolean;
  /** For a regular file: its path and the file offset of the body's first byte, so parts can be re-read from disk. */
  readonly file?: { readonly path: string | Buffer; readonly start: number };
  /**
   * Reads the next `length` bytes (fewer only at the end of the body).
   * Sources that copy write them into `scratch` (at least `length` bytes) and
   * return a view of it. Returns an empty buffer at the end.
   */
  read(length: number, scratch?: Buffer): Promise<Buffer>;
  /** Releases files and streams. Safe to call more than once. */
  close(): Promise<void>;
}

function memorySource(bytes: Buffer): BodySource {
  let offset = 0;
  return {
    size: bytes.byteLength,
    zeroCopy: true,
    async read(length) {
      const part = bytes.subarray(offset, offset + length);
      offset += part.byteLength;
      return part;
    },
    async close() {},
  };
}

function blobSource(blob: Blob): BodySource {
  let offset = 0;
  return {
    size: blob.size,
    zeroCopy: false,
    async read(length, scratch) {
      const end = Math.min(offset + length, blob.size);
      const bytes = new Uint8Array(await blob.slice(offset, end).arrayBuffer());
      offset = end;
      if (!scratch) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      scratch.set(bytes);
      return scratch.subarray(0, bytes.byteLength);
    },
    async close() {},
  };
}

async function fileSource(handle: FileHandle, path: string | Buffer, start: number, end: number): Promise<BodySource> {
  let position = start;
  let closed = false;
  return {
    size: end - start,
    zeroCopy: false,
    file: { path, start },
    async read(length, scratch) {
      const want = Math.min(length, end - position);
      const buffer = scratch ?? Buffer.allocUnsafe(want);
      let filled = 0;
      while (filled < want) {
        const { bytesRead } = await handle.read(buffer, filled, want - filled, position + filled);
        if (bytesRead === 0) {
          throw new Error(`The file ended at byte ${position + filled}, before its expected end at ${end}; was it truncated during the upload?`);
        }
        filled += bytesRead;
      }
      position += want;
      return buffer.subarray(0, want);
    },
    async close() {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

type ChunkIterator = AsyncIterator<unknown>;

function toChunk(value: unknown): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError(`An upload stream yielded a ${typeof value}; it must yield Uint8Array (or Buffer) chunks.`);
}

function streamSource(iterator: ChunkIterator, size: number | undefined, cleanup: () => void): BodySource {
  let pending: Buffer | undefined;
  let done = false;
  let closed = false;
  return {
    size,
    zeroCopy: false,
    async read(length, scratch) {
      const out = scratch ?? Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        if (!pending || pending.byteLength === 0) {
          if (done) break;
          const next = await iterator.next();
          if (next.done) {
            done = true;
            break;
          }
          pending = toChunk(next.value);
          continue;
        }
        const take = Math.min(length - filled, pending.byteLength);
        pending.copy(out, filled, 0, take);
        filled += take;
        pending = pending.subarray(take);
      }
      return out.subarray(0, filled);
    },
    async close() {
      if (closed) return;
      closed = true;
      cleanup();
      if (!done) {
        done = true;
        await iterator.return?.().catch(() => undefined);
      }
    },
  };
}

function isWebReadableStream(body: unknown): body is ReadableStream<Uint8Array> {
  return typeof (body as { getReader?: unknown }).getReader === 'function';
}

function isAsyncIterable(body: unknown): body is AsyncIterable<unknown> {
  return typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/** Opens a regular file behind an unread `fs.ReadStream` for positioned reads, or returns undefined. */
async function tryFileOfReadStream(stream: ReadStream): Promise<BodySource | undefined> {
  const path = stream.path;
  if ((typeof path !== 'string' && !Buffer.isBuffer(path)) || stream.bytesRead > 0 || stream.readableFlowing) return undefined;
  const options = stream as unknown as { start?: number; end?: number };
  // The stream opens the file itself; if that fails while we look, its error must not go unhandled.
  // The stream keeps the error, so a fallback to reading it as a stream still reports it.
  const ignore = () => undefined;
  stream.on('error', ignore);
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch {
    stream.off('error', ignore);
    return undefined;
  }
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    stream.off('error', ignore);
    return undefined;
  }
  const start = options.start ?? 0;
  const end = Math.min(info.size, options.end === undefined || options.end === Infinity ? Infinity : options.end + 1);
  stream.destroy();
  return fileSource(handle, path, Math.min(start, end), end);
}

/**
 * Opens an upload body for reading part by part. `size`, when given, is the
 * length the caller promises for a stream whose length cannot be known in
 * advance; it is checked as the bytes arrive.
 *
 * @throws {@link ValidationError} for a value that is not an accepted body type.
 */
export async function openBody(body: UploadBody, size?: number): Promise<BodySource> {
  if (typeof body === 'string') return memorySource(Buffer.from(body, 'utf8'));
  if (body instanceof Uint8Array) return memorySource(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  if (typeof Blob !== 'undefined' && body instanceof Blob) return blobSource(body);
  if (body instanceof ReadStream) {
    const file = await tryFileOfReadStream(body);
    if (file) return file;
  }
  if (body instanceof Readable) {
    const iterator = body[Symbol.asyncIterator]();
    return streamSource(iterator, size, () => {
      if (!body.destroyed && !body.readableEnded) body.destroy();
    });
  }
  if (isWebReadableStream(body)) {
    const reader = body.getReader();
    const iterator: ChunkIterator = {
      next: () => reader.read().then((r) => (r.done ? { done: true, value: undefined } : { done: false, value: r.value })),
      return: async () => {
        await reader.cancel().catch(() => undefined);
        return { done: true, value: undefined };
      },
    };
    return streamSource(iterator, size, () => undefined);
  }
  if (isAsyncIterable(body)) {
    return streamSource(body[Symbol.asyncIterator](), size, () => undefined);
  }
  throw new ValidationError(
    'body',
    `Unsupported upload body (${body === null ? 'null' : typeof body}): pass a Buffer, Uint8Array, string, Blob, ` +
      'fs.ReadStream or other Readable, web ReadableStream, or AsyncIterable<Uint8Array>.',
  );
}
