/**
 * One request–response exchange of the receive path of ranged GetJobOutput
 * requests (see job-output-receiver.ts) over a {@link Connection}: the
 * response head parsed in the connection's read buffer, a 2xx body handed
 * out as views of those buffers ({@link ReceivedBody}), and any other
 * status's (small) body read whole.
 *
 * Node fixes where the next read lands right after each read, so the read
 * position ({@link Connection.at}) moves only while a read is handled.
 *
 * @module
 */
import { FramingError, WholeBody, parseHead, type ResponseHead } from './http-framing.js';
import { ReceivedBody, type BodySink, type BodySource } from './received-body.js';
import { MIN_ROOM, SLABS, SLAB_SIZE, type Connection, type Exchange } from './receive-connection.js';
import { IncompleteBodyError } from './retry.js';

/** A kept connection the server had closed before this request reached it: nothing arrived, and the request can go again on another. */
export class StaleConnectionError extends Error {
  readonly code = 'ECONNRESET';
}

/** A 2xx response this path does not take (no Content-Length): the request goes through the SDK instead. */
export class UnsupportedResponseError extends Error {}

type Phase = 'head' | 'held' | 'sink' | 'plain' | 'error' | 'done' | 'failed';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  const d = {} as Deferred<T>;
  d.promise = new Promise<T>((resolve, reject) => Object.assign(d, { resolve, reject }));
  d.promise.catch(() => undefined);
  return d;
}

/** An abort error like the SDK's: not retried. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('Request aborted', { cause: signal.reason }), { name: 'AbortError' });
}

/** Reads one response from a connection. `done` is called once, with whether the connection may serve another exchange. */
export class ResponseReader implements Exchange, BodySource {
  readonly #conn: Connection;
  readonly #done: (reusable: boolean) => void;
  #phase: Phase = 'head';
  #received = 0;
  /** Where the response (head) starts, and where the bytes not handed on yet start, in the current buffer. */
  readonly #headStart: number;
  #runStart: number;
  /** Body bytes that arrived with the head, before anyone read the body: [buffer, from, to). */
  #held: [number, number, number] = [0, 0, 0];
  #head: ResponseHead | undefined;
  #remaining = 0;
  /** Body offset of the next run. */
  #written = 0;
  #reusable = true;
  #waiting = false;
  readonly #busy: (Promise<void> | undefined)[] = [];
  readonly #writes = new Set<Promise<void>>();
  #sink: BodySink | undefined;
  #body: ReceivedBody | undefined;
  #errorBody: WholeBody | undefined;
  readonly #headDone = deferred<ResponseHead>();
  readonly #bodyDone = deferred<Buffer | undefined>();
  #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.#fail(abortError(this.#signal!));

  constructor(connection: Connection, done: (reusable: boolean) => void) {
    this.#conn = connection;
    this.#done = done;
    this.#headStart = this.#runStart = connection.at.offset;
  }

  /** Sends the request head and resolves with the response head. */
  start(requestHead: string, signal: AbortSignal): Promise<ResponseHead> {
    this.#signal = signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
    this.#conn.attach(this);
    this.#conn.socket.write(requestHead, 'latin1');
    if (signal.aborted) this.#onAbort();
    return this.#headDone.promise;
  }

  /** The body of a 2xx response. */
  get body(): ReceivedBody {
    return (this.#body ??= new ReceivedBody(this));
  }

  /** The whole body of a non-2xx response. */
  async errorBody(): Promise<Buffer> {
    return (await this.#bodyDone.promise) ?? Buffer.alloc(0);
  }

  bytes(n: number): boolean {
    const at = this.#conn.at;
    const view = this.#conn.slab(at.slab).subarray(at.offset, at.offset + n);
    at.offset += n;
    this.#received += n;
    try {
      if (this.#phase === 'head') return this.#onHead();
      if (this.#phase === 'sink') return this.#sinkBytes(view);
      if (this.#phase === 'plain') return this.#plainBytes(view);
      if (this.#phase === 'error') return this.#errorBytes(view);
      throw new FramingError('The server sent bytes beyond the response.');
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  closed(error: Error | undefined): void {
    const head = this.#head;
    const [, from, to] = this.#held;
    if (this.#phase === 'held' && to - from >= this.#remaining) {
      // The whole body is here already: only the connection is lost.
      this.#reusable = false;
    } else if (this.#phase === 'head' && this.#received === 0 && this.#conn.reused) {
      this.#fail(new StaleConnectionError('The kept connection was closed by the server.', { cause: error }));
    } else if (this.#phase === 'head') {
      this.#fail(error ?? Object.assign(new Error('socket hang up: the connection closed before a response'), { code: 'ECONNRESET' }));
    } else if (this.#phase === 'error' && !error && this.#errorBody?.end()) {
      this.#reusable = false;
      this.#finish(this.#errorBody.end());
    } else if (this.#phase !== 'done') {
      const length = head?.length ?? 0;
      this.#fail(error ?? new IncompleteBodyError(`The connection closed after ${length - this.#remaining} of the ${length} bytes of the response body.`));
    }
  }

  receive(sink: BodySink): Promise<void> {
    // A body whose connection failed before anyone read it rejects with that failure.
    if (this.#phase === 'failed') return this.#bodyDone.promise.then(() => undefined);
    if (this.#phase !== 'held') return Promise.reject(new Error('The response body is already being read.'));
    this.#phase = 'sink';
    this.#sink = sink;
    this.#resumeUnless(() => {
      const [slab, from, to] = this.#held;
      const piece = this.#take(this.#conn.slab(slab).subarray(from, to));
      if (piece.byteLength > 0) sink.piece(piece);
      // The held bytes are a run of their own when reading goes on in another buffer.
      if (slab !== this.#conn.at.slab || this.#remaining === 0) this.#seal(slab, from, from + piece.byteLength);
      if (this.#remaining > 0) return false;
      this.#finish(undefined);
      return true;
    });
    return this.#bodyDone.promise.then(() => undefined);
  }

  pull(): void {
    if (this.#phase === 'plain') this.#conn.socket.resume();
    if (this.#phase !== 'held') return;
    this.#phase = 'plain';
    this.#resumeUnless(() => {
      const [slab, from, to] = this.#held;
      return !this.#push(this.#conn.slab(slab).subarray(from, to));
    });
  }

  abandon(error: Error | null): void {
    this.#fail(error ?? new Error('The response body was destroyed before its end.'));
  }

  /** Runs `step` (outside a read, so it must not move the read position) and resumes reading unless it says stop. */
  #resumeUnless(step: () => boolean): void {
    try {
      if (!step()) this.#conn.socket.resume();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Moves the read position to the next buffer when the current one has too little room left. */
  #makeRoom(): void {
    const at = this.#conn.at;
    if (SLAB_SIZE - at.offset >= MIN_ROOM) return;
    at.slab = (at.slab + 1) % SLABS;
    at.offset = this.#runStart = 0;
  }

  #onHead(): boolean {
    const at = this.#conn.at;
    const slab = this.#conn.slab(at.slab);
    const head = parseHead(slab.subarray(this.#headStart, at.offset));
    if (!head) {
      if (at.offset >= SLAB_SIZE) throw new FramingError(`The response head is larger than ${MIN_ROOM} bytes.`);
      return true;
    }
    if (head.statusCode < 200) {
      // An interim response (100 Continue): drop it and read on.
      slab.copyWithin(this.#headStart, this.#headStart + head.size, at.offset);
      at.offset -= head.size;
      return this.#onHead();
    }
    this.#head = head;
    this.#reusable = head.keepAlive;
    const bodyStart = this.#headStart + head.size;
    if (head.statusCode >= 300) {
      this.#phase = 'error';
      this.#errorBody = new WholeBody(head);
      this.#headDone.resolve(head);
      return this.#errorBytes(slab.subarray(bodyStart, at.offset));
    }
    if (head.length === undefined) throw new UnsupportedResponseError(`A ${head.statusCode} response without Content-Length.`);
    this.#remaining = head.length;
    this.#held = [at.slab, bodyStart, at.offset];
    this.#runStart = bodyStart;
    this.#makeRoom();
    this.#phase = 'held';
    this.#headDone.resolve(head);
    return false;
  }

  /** The part of `view` within the announced length; bytes past it are dropped, and the connection is not kept. */
  #take(view: Buffer): Buffer {
    if (view.byteLength <= this.#remaining) {
      this.#remaining -= view.byteLength;
      return view;
    }
    this.#reusable = false;
    const piece = view.subarray(0, this.#remaining);
    this.#remaining = 0;
    return piece;
  }

  #sinkBytes(view: Buffer): boolean {
    const sink = this.#sink!;
    const at = this.#conn.at;
    const piece = this.#take(view);
    if (piece.byteLength > 0) sink.piece(piece);
    if (this.#remaining === 0) {
      this.#seal(at.slab, this.#runStart, at.offset - view.byteLength + piece.byteLength);
      this.#makeRoom();
      this.#finish(undefined);
      return false;
    }
    if (!sink.write) {
      at.offset = this.#runStart = 0;
      return true;
    }
    if (SLAB_SIZE - at.offset >= MIN_ROOM) return true;
    this.#seal(at.slab, this.#runStart, at.offset);
    this.#makeRoom();
    if (!this.#busy[at.slab]) return true;
    // Both buffers hold bytes not yet written: stop reading until this one is free.
    this.#waiting = true;
    return false;
  }

  /** Hands bytes [from, to) of buffer `slab` to the sink's write; the buffer is busy until the write resolves. */
  #seal(slab: number, from: number, to: number): void {
    const sink = this.#sink;
    if (!sink?.write || to <= from) return;
    const run = this.#conn.slab(slab).subarray(from, to);
    const offset = this.#written;
    this.#written += run.byteLength;
    const written: Promise<void> = sink.write(run, offset).then(
      () => {
        this.#writes.delete(written);
        this.#busy[slab] = undefined;
        if (this.#waiting && this.#conn.at.slab === slab && this.#phase === 'sink') {
          this.#waiting = false;
          this.#conn.socket.resume();
        }
      },
      (error: unknown) => this.#fail(error),
    );
    this.#busy[slab] = written;
    this.#writes.add(written);
  }

  /** Copies a piece out to the stream's reader; false when it wants no more for now or the body is complete. */
  #push(view: Buffer): boolean {
    const piece = this.#take(view);
    const more = piece.byteLength === 0 || this.body.push(Buffer.from(piece));
    if (this.#remaining > 0) return more;
    this.body.push(null);
    this.#finish(undefined);
    return false;
  }

  #plainBytes(view: Buffer): boolean {
    this.#conn.at.offset = 0;
    return this.#push(view);
  }

  #errorBytes(view: Buffer): boolean {
    this.#conn.at.offset = 0;
    const body = this.#errorBody!.add(view);
    if (!body) return true;
    if (this.#errorBody!.surplus) this.#reusable = false;
    this.#finish(body);
    return false;
  }

  /** Every byte arrived: once the writes resolved, the connection is handed back and the body is done. */
  #finish(errorBody: Buffer | undefined): void {
    this.#phase = 'done';
    void Promise.all(this.#writes).then(() => {
      if (this.#phase !== 'done') return;
      this.#signal?.removeEventListener('abort', this.#onAbort);
      this.#done(this.#reusable);
      this.#bodyDone.resolve(errorBody);
    });
  }

  #fail(error: unknown): void {
    if (this.#phase === 'failed' || (this.#phase === 'done' && this.#writes.size === 0)) return;
    const plain = this.#phase === 'plain';
    this.#phase = 'failed';
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#conn.destroy();
    this.#done(false);
    this.#headDone.reject(error);
    // Writes under way finish first, so that none of this attempt's lands after a retry's.
    void Promise.allSettled(this.#writes).then(() => this.#bodyDone.reject(error));
    // Only a body read as a stream has a reader listening for its error.
    if (plain) this.#body?.destroy(error as Error);
    else this.#body?.destroy();
  }
}
