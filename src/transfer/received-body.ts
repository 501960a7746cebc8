/**
 * The body of a 2xx GetJobOutput response on the receive path (see
 * job-output-receiver.ts): a `Readable`, since the SDK requires one for
 * streaming outputs, that also hands its bytes over without copying them.
 *
 * @module
 */
import { Readable } from 'node:stream';

/** Where the bytes of a body go when it is consumed with {@link ReceivedBody.receive}. */
export interface BodySink {
  /**
   * Each piece as it arrives, in order: a view into a reused buffer. With
   * `write`, the view stays valid until the write of the run holding it has
   * resolved; without, only during the call. Throwing stops the exchange.
   */
  piece(view: Buffer): void;
  /** Runs of consecutive pieces (up to 1 MiB) and their offset in the body; their buffer is reused once the promise resolves. */
  write?(run: Buffer, offset: number): Promise<void>;
}

/** What delivers a body's bytes (the exchange reading the response). */
export interface BodySource {
  /** Hands the body to `sink`; resolves once every byte was handed over and every write resolved. */
  receive(sink: BodySink): Promise<void>;
  /** The stream's reader wants more bytes. */
  pull(): void;
  /** The body was destroyed, with or without an error. */
  abandon(error: Error | null): void;
}

/**
 * A response body offering {@link ReceivedBody.receive}, which hands the bytes
 * over as views of the connection's reused buffers. Read as a plain
 * `Readable` instead, each piece is copied out.
 */
export class ReceivedBody extends Readable {
  readonly #source: BodySource;

  constructor(source: BodySource) {
    super();
    this.#source = source;
  }

  /** Consumes the body into `sink` (instead of reading it as a stream); resolves when all of it was handed over and written. */
  receive(sink: BodySink): Promise<void> {
    return this.#source.receive(sink);
  }

  override _read(): void {
    this.#source.pull();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#source.abandon(error);
    callback(error);
  }
}
