/**
 * Network link emulation: latency before each response, and rate caps per
 * TCP connection and for all connections together, so that code can be
 * tested against a slow or distant Glacier.
 *
 * SPEC syntax (`--link`), every part optional, comma-separated:
 *
 * ```
 * latency=50ms,connection=8MB/s,total=125MB/s
 * ```
 *
 * - `latency=DURATION` (`ms` or `s`): each response's first byte is held
 *   back that long, once per request.
 * - `connection=RATE`: each TCP connection's request bytes and response bytes
 *   are each capped at RATE.
 * - `total=RATE`: all connections together are capped at RATE, request bytes
 *   and response bytes each; connections waiting for it take turns.
 *
 * RATE is a number and `B/s`, `KB/s`, `MB/s`, `GB/s` (powers of 10^3) or
 * `KiB/s`, `MiB/s`, `GiB/s` (powers of 2^10).
 *
 * The caps work on the sockets: reads are paused while a bucket is in debt
 * (so TCP back-pressure slows the sender) and writes are handed to the socket
 * in slices as tokens allow. Both compose with the HTTP server's own pausing
 * and back-pressure; a closed connection cancels its waits and timers.
 *
 * @module
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { TokenBucket, type CancelWait } from './token-bucket.js';

/** A parsed link SPEC. */
export interface LinkSettings {
  /** Milliseconds each response's first byte is held back, once per request. */
  latencyMs?: number;
  /** Bytes per second of each TCP connection, each direction capped separately. */
  connectionBytesPerSecond?: number;
  /** Bytes per second of all connections together, each direction capped separately. */
  totalBytesPerSecond?: number;
}

const PARTS = { latency: 'latencyMs', connection: 'connectionBytesPerSecond', total: 'totalBytesPerSecond' } as const;
const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000 };
const RATE_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 1e3, kB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const RATE_HELP = 'a number and B/s, KB/s, MB/s, GB/s (MB = 10^6 bytes) or KiB/s, MiB/s, GiB/s';
const SPEC_HELP = 'latency=DURATION, connection=RATE or total=RATE, e.g. latency=50ms,connection=8MB/s,total=125MB/s';

/** The largest slice of a write handed to a capped socket at once. */
const MAX_SLICE = 64 * 1024;

/** Reads `number` + unit (from `units`, followed by `suffix`); undefined when the text does not match. */
function quantity(text: string, units: Readonly<Record<string, number>>, suffix: string): number | undefined {
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]+)(\/s)?$/.exec(text);
  if (!m || (m[3] ?? '') !== suffix) return undefined;
  const unit = units[m[2]!];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/**
 * Parses a link SPEC (see the module description).
 *
 * @throws SyntaxError naming the bad part and what was expected.
 */
export function parseLinkSpec(spec: string): LinkSettings {
  if (spec.trim() === '') throw new SyntaxError(`Empty link spec: give ${SPEC_HELP}.`);
  const settings: LinkSettings = {};
  for (const raw of spec.split(',')) {
    const part = raw.trim();
    const m = /^([a-z]+)\s*=\s*(.*)$/.exec(part);
    const key = m?.[1];
    if (!m || !key || !Object.hasOwn(PARTS, key)) throw new SyntaxError(`Bad link part "${part}": expected ${SPEC_HELP}.`);
    const field = PARTS[key as keyof typeof PARTS];
    if (settings[field] !== undefined) throw new SyntaxError(`Bad link spec "${spec}": ${key} is given twice.`);
    if (key === 'latency') {
      const ms = quantity(m[2]!, DURATION_UNITS, '');
      if (ms === undefined) throw new SyntaxError(`Bad link part "${part}": latency must be a number and ms or s, e.g. latency=50ms.`);
      settings[field] = ms;
    } else {
      const rate = quantity(m[2]!, RATE_UNITS, '/s');
      if (rate === undefined) throw new SyntaxError(`Bad link part "${part}": ${key} must be ${RATE_HELP}, e.g. ${key}=8MB/s.`);
      if (rate === 0) throw new SyntaxError(`Bad link part "${part}": ${key} must be more than 0.`);
      settings[field] = rate;
    }
  }
  return settings;
}

/**
 * Checks a link given as a SPEC or as parsed settings, and returns it parsed.
 *
 * @throws SyntaxError for a bad SPEC, TypeError or RangeError for bad settings.
 */
export function resolveLink(link: string | LinkSettings): LinkSettings {
  if (typeof link === 'string') return parseLinkSpec(link);
  const known: readonly string[] = Object.values(PARTS);
  for (const [key, value] of Object.entries(link)) {
    if (!known.includes(key)) throw new TypeError(`Unknown link setting ${JSON.stringify(key)}; expected one of ${known.join(', ')}.`);
    if (value === undefined) continue;
    const ok = typeof value === 'number' && Number.isFinite(value) && (key === 'latencyMs' ? value >= 0 : value > 0);
    if (!ok) throw new RangeError(`link.${key} must be a ${key === 'latencyMs' ? 'non-negative' : 'positive'} finite number, got ${String(value)}.`);
  }
  return { ...link };
}

/** What one connection has pending: bucket waits and timers, all cancelled when it closes. */
class Pending {
  readonly #cancels = new Set<CancelWait>();
  #closed = false;

  #add(start: (done: () => void) => CancelWait, fn: () => void): void {
    if (this.#closed) return;
    const cancel = start(() => {
      this.#cancels.delete(cancel);
      fn();
    });
    this.#cancels.add(cancel);
  }

  /** Calls `fn` after `ms` milliseconds. */
  sleep(ms: number, fn: () => void): void {
    this.#add((done) => {
      const timer = setTimeout(done, ms);
      return () => clearTimeout(timer);
    }, fn);
  }

  /** Calls `fn` once every bucket from `from` on is out of debt: at once when they are, else later. */
  whenReady(buckets: readonly TokenBucket[], fn: () => void, from = 0): void {
    for (let i = from; i < buckets.length; i++) {
      const bucket = buckets[i]!;
      if (!bucket.ready()) {
        this.#add((done) => bucket.wait(done), () => this.whenReady(buckets, fn, i + 1));
        return;
      }
    }
    fn();
  }

  /** Cancels everything pending, and whatever is asked later. */
  close(): void {
    this.#closed = true;
    for (const cancel of this.#cancels) cancel();
    this.#cancels.clear();
  }
}

/** The per-connection state the request listener needs. */
interface Connection {
  readonly pending: Pending;
  /** Set when a response starts; the next write waits out the latency first. */
  latencyDue: boolean;
}

/**
 * Paces what the HTTP server reads from `socket`: each chunk is counted
 * against `buckets`, and while one is in debt the socket stays paused. The
 * server's own pause() and resume() still apply: the socket flows only when
 * both the server and the link let it.
 */
function paceReads(socket: Socket, buckets: readonly TokenBucket[], pending: Pending): void {
  const { pause, resume } = socket;
  let held = false;
  // A 'data' listener also makes the HTTP server read through the stream
  // rather than straight from the handle, so that pausing takes effect.
  socket.on('data', (chunk: Buffer) => {
    for (const bucket of buckets) bucket.consume(chunk.length);
    if (held || buckets.every((b) => b.ready())) return;
    held = true;
    pause.call(socket);
    pending.whenReady(buckets, () => {
      held = false;
      if (wanted) resume.call(socket);
    });
  });
  let wanted = !socket.isPaused();
  socket.pause = function (this: Socket) {
    wanted = false;
    return pause.call(this);
  };
  socket.resume = function (this: Socket) {
    wanted = true;
    return held ? this : resume.call(this);
  };
}

type WriteCallback = (error?: Error | null) => void;

function toBuffer(chunk: unknown, encoding: BufferEncoding): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding);
  const view = chunk as ArrayBufferView;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Paces what is written to `socket`: the first write of each response waits
 * out the latency, then bytes go to the socket in slices as `buckets` allow.
 * This sits below the socket's own write queue, so back-pressure, 'drain',
 * end() and destroy() behave as usual, only slower.
 */
function paceWrites(socket: Socket, buckets: readonly TokenBucket[], latencyMs: number, connection: Connection): void {
  const write = socket._write.bind(socket);
  // What a Writable passes along with a Buffer chunk.
  const BUFFER = 'buffer' as BufferEncoding;
  const slice = buckets.length === 0 ? Infinity : Math.min(MAX_SLICE, ...buckets.map((b) => b.burst));
  const { pending } = connection;
  const send = (data: Buffer, done: WriteCallback) => {
    let at = 0;
    const next = (error?: Error | null) => {
      if (error) return done(error);
      if (at >= data.length) return done();
      if (connection.latencyDue) {
        connection.latencyDue = false;
        return pending.sleep(latencyMs, next);
      }
      pending.whenReady(buckets, () => {
        const n = Math.min(slice, data.length - at);
        for (const bucket of buckets) bucket.consume(n);
        at += n;
        write(data.subarray(at - n, at), BUFFER, next);
      });
    };
    next();
  };
  socket._write = (chunk: unknown, encoding: BufferEncoding, callback: WriteCallback) => send(toBuffer(chunk, encoding), callback);
  socket._writev = (chunks: Array<{ chunk: unknown; encoding: BufferEncoding }>, callback: WriteCallback) => {
    const buffers = chunks.map((c) => toBuffer(c.chunk, c.encoding));
    send(buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers), callback);
  };
}

/**
 * Emulates `link` on every connection `server` accepts from now on. A link
 * that changes nothing (no caps, no latency) installs nothing.
 */
export function emulateLink(server: Server, link: LinkSettings): void {
  const { latencyMs = 0, connectionBytesPerSecond: perConnection, totalBytesPerSecond: total } = link;
  if (latencyMs === 0 && perConnection === undefined && total === undefined) return;
  const shared = total === undefined ? [] : [{ in: new TokenBucket(total), out: new TokenBucket(total) }];
  const buckets = (direction: 'in' | 'out') => [...(perConnection === undefined ? [] : [new TokenBucket(perConnection)]), ...shared.map((s) => s[direction])];
  const connections = new WeakMap<Socket, Connection>();

  server.on('connection', (socket: Socket) => {
    const connection: Connection = { pending: new Pending(), latencyDue: false };
    socket.once('close', () => connection.pending.close());
    const reads = buckets('in');
    if (reads.length > 0) paceReads(socket, reads, connection.pending);
    paceWrites(socket, buckets('out'), latencyMs, connection);
    connections.set(socket, connection);
  });
  if (latencyMs === 0) return;
  // A response starts when it gets the socket: at once, or after the
  // responses to earlier pipelined requests on the same connection.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const connection = connections.get(req.socket);
    if (!connection) return;
    if (res.socket) connection.latencyDue = true;
    else res.once('socket', () => (connection.latencyDue = true));
  });
}
