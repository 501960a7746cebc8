/**
 * The connections of the receive path of ranged GetJobOutput requests (see
 * job-output-receiver.ts): raw `net` or `tls` sockets that read straight
 * into a few reused buffers of their own (`onread`), instead of a fresh
 * 64 KiB buffer per read, and a small keep-alive pool of them per protocol,
 * host and port.
 *
 * @module
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { MiB } from './tree-hash.js';

/** Size of each read buffer of a connection. */
export const SLAB_SIZE = MiB;
/** Read buffers per connection: one being filled while the other is written out. */
export const SLABS = 2;
/** Idle connections kept per origin; more are closed. */
const MAX_IDLE = 16;
/** An idle connection is closed after this long, before a server's own keep-alive timeout (often 5 s) is likely to close it under a request. */
const IDLE_TIMEOUT = 4_000;

/** Where requests go. */
export interface Origin {
  readonly protocol: 'http:' | 'https:';
  readonly hostname: string;
  readonly port: number;
}

/**
 * Where the next read lands: buffer `slab` of the connection, from `offset`.
 * Node takes the buffer for the next read right after each read, so an
 * exchange moves it only while handling a read; it always leaves at least
 * {@link MIN_ROOM} bytes of room.
 */
export interface ReadPosition {
  slab: number;
  offset: number;
}

/** The least room a read is given. */
export const MIN_ROOM = 64 * 1024;

/** What one request–response exchange does with a connection's bytes. */
export interface Exchange {
  /** `n` bytes were read at {@link Connection.at}; returns false to stop reading until the exchange resumes the socket. */
  bytes(n: number): boolean;
  /** The socket ended (no error) or failed. */
  closed(error: Error | undefined): void;
}

/** One socket with its read buffers. */
export class Connection {
  readonly socket: Socket;
  /** True once the connection has served an exchange before the current one. */
  reused = false;
  /** Where the next read lands; it carries over from one exchange to the next. */
  readonly at: ReadPosition = { slab: 0, offset: 0 };
  #slabs: Buffer[] = [];
  #exchange: Exchange | undefined;
  #ended = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #onIdleClose: (() => void) | undefined;

  constructor(origin: Origin) {
    const { hostname, port } = origin;
    const onread = { buffer: () => this.slab(this.at.slab).subarray(this.at.offset), callback: (n: number) => this.#read(n) };
    const options = { host: hostname, port, onread, noDelay: true, keepAlive: true };
    // Like Node's https: certificates are verified, and SNI names the host unless it is an address.
    this.socket = origin.protocol === 'https:' ? tlsConnect({ ...options, ...(isIP(hostname) ? {} : { servername: hostname }) }) : netConnect(options);
    this.socket.on('error', (error) => this.#closed(error));
    this.socket.on('end', () => this.#closed(undefined));
    this.socket.on('close', () => this.#closed(undefined));
  }

  /** Read buffer `i`, allocated when first used. */
  slab(i: number): Buffer {
    return (this.#slabs[i] ??= Buffer.allocUnsafeSlow(SLAB_SIZE));
  }

  /** True while the socket can carry another exchange. */
  get open(): boolean {
    return !this.#ended && !this.socket.destroyed;
  }

  /** Hands the connection's bytes to `exchange`; the socket keeps the process alive meanwhile. */
  attach(exchange: Exchange): void {
    clearTimeout(this.#idleTimer);
    this.#onIdleClose = undefined;
    this.#exchange = exchange;
    this.socket.ref();
  }

  /**
   * Makes the connection idle: it reads on (a byte now is a protocol error, an
   * end is the server closing it), does not keep the process alive, and
   * closes itself after a while.
   */
  idle(onClose: () => void): void {
    this.#exchange = undefined;
    this.#onIdleClose = onClose;
    this.socket.unref();
    this.#idleTimer = setTimeout(() => this.destroy(), IDLE_TIMEOUT).unref();
    this.socket.resume();
  }

  destroy(): void {
    clearTimeout(this.#idleTimer);
    this.#ended = true;
    this.socket.destroy();
  }

  #read(n: number): boolean {
    if (this.#exchange) return this.#exchange.bytes(n);
    this.destroy();
    return false;
  }

  #closed(error: Error | undefined): void {
    this.#ended = true;
    clearTimeout(this.#idleTimer);
    const exchange = this.#exchange;
    this.#exchange = undefined;
    if (exchange) exchange.closed(error);
    this.#onIdleClose?.();
    this.#onIdleClose = undefined;
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

/** Keep-alive connections per origin. Destroyed connections are never handed out again. */
export class ConnectionPool {
  readonly #idle = new Map<string, Connection[]>();
  /** Connections opened so far. */
  opened = 0;
  /** False once the origin sent a response this path cannot take: later requests go through the SDK. */
  usable = true;

  /** An idle connection to `origin`, or a new one. */
  acquire(origin: Origin): Connection {
    const list = this.#idle.get(key(origin));
    for (let c = list?.pop(); c; c = list?.pop()) {
      if (!c.open) continue;
      c.reused = true;
      return c;
    }
    return this.open(origin);
  }

  /** A new connection to `origin`. */
  open(origin: Origin): Connection {
    this.opened++;
    return new Connection(origin);
  }

  /** Keeps `connection` for a later request, or closes it when it cannot serve one or enough are kept. */
  release(origin: Origin, connection: Connection): void {
    const k = key(origin);
    const list = this.#idle.get(k) ?? [];
    if (!connection.open || list.length >= MAX_IDLE) {
      connection.destroy();
      return;
    }
    this.#idle.set(k, list);
    list.push(connection);
    connection.idle(() => {
      const at = list.indexOf(connection);
      if (at >= 0) list.splice(at, 1);
    });
  }

  /** Idle connections kept now. */
  get idleCount(): number {
    let n = 0;
    for (const list of this.#idle.values()) n += list.filter((c) => c.open).length;
    return n;
  }
}

function key(origin: Origin): string {
  return `${origin.protocol}//${origin.hostname}:${origin.port}`;
}
