/**
 * Progress while bytes move: request bodies that count what the connection
 * has taken from them, and a throttle, so that `onProgress` fires as a
 * transfer goes (a few times a second) and not only when a part or chunk
 * is done.
 *
 * @module
 */
import { Readable, Transform, pipeline } from 'node:stream';
import { MiB } from './tree-hash.js';

/** Least time between two progress events reported while bytes move, in milliseconds. */
export const PROGRESS_INTERVAL = 250;

/** Bytes handed on at a time from an in-memory body. */
const BODY_SLICE = MiB;

/**
 * Calls `emit` at most once per `interval` for {@link ThrottledProgress.tick},
 * and always for {@link ThrottledProgress.now} (with what it is given, such
 * as the part just acknowledged). Between {@link ThrottledProgress.start}
 * and {@link ThrottledProgress.stop} it also reports when nothing was for
 * `interval`: while the last bytes drain from the connection's buffers,
 * or the service checks them, an observer still hears at least once a
 * second that the transfer is going. An `emit` that throws stops the
 * transfer: the error goes to `fail`.
 *
 * @typeParam D - what an event reported now may carry
 */
export class ThrottledProgress<D = never> {
  readonly #emit: (detail?: D) => void;
  readonly #fail: (error: unknown) => void;
  readonly #interval: number;
  #last = Date.now();
  #timer: NodeJS.Timeout | undefined;

  constructor(emit: (detail?: D) => void, fail: (error: unknown) => void, interval = PROGRESS_INTERVAL) {
    this.#emit = emit;
    this.#fail = fail;
    this.#interval = interval;
  }

  /** Starts the periodic reports. */
  start(): void {
    this.#last = Date.now();
    this.#timer ??= setInterval(() => {
      if (Date.now() - this.#last >= this.#interval) this.now();
    }, this.#interval).unref();
  }

  /** Stops the periodic reports. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Bytes moved: reports them if the last event is old enough. */
  tick(): void {
    if (Date.now() - this.#last >= this.#interval) this.now();
  }

  /** Reports now (a part acknowledged, a chunk verified, the end). */
  now(detail?: D): void {
    this.#last = Date.now();
    try {
      this.#emit(detail);
    } catch (error) {
      this.#fail(error);
    }
  }
}

/**
 * A request body that calls `onBytes` with the length of each piece as the
 * connection reads it. An in-memory body is handed on in 1 MiB views (no
 * copies), so that the count follows the connection; a stream is passed
 * through. Destroying the returned stream destroys `source` too.
 */
export function countingBody(source: Buffer | Readable, onBytes: (n: number) => void): Readable {
  if (Buffer.isBuffer(source)) {
    let offset = 0;
    return new Readable({
      highWaterMark: BODY_SLICE,
      read() {
        const slice = source.subarray(offset, offset + BODY_SLICE);
        offset += slice.byteLength;
        if (slice.byteLength > 0) onBytes(slice.byteLength);
        this.push(slice.byteLength > 0 ? slice : null);
      },
    });
  }
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      onBytes(chunk.byteLength);
      done(null, chunk);
    },
  });
  return pipeline(source, counter, () => undefined);
}
