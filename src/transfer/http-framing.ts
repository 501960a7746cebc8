/**
 * HTTP/1.1 framing for the receive path of ranged GetJobOutput requests
 * (see job-output-receiver.ts): the request head written from the SDK's
 * signed request, the response head parsed, and (error) bodies read whole,
 * chunked or not.
 *
 * @module
 */
import { buildQueryString } from '@smithy/core/protocols';
import { MiB } from './tree-hash.js';

/** The parts of the SDK's signed request that go into the request head. */
export interface SignedRequest {
  method: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
}

/** A parsed response head. */
export interface ResponseHead {
  statusCode: number;
  reason: string;
  /** Names lower-cased; repeated fields joined with `, `. */
  headers: Record<string, string>;
  /** The body's length from Content-Length, when framed that way. */
  length: number | undefined;
  /** True for `Transfer-Encoding: chunked`. */
  chunked: boolean;
  /** False when the server closes the connection after this response. */
  keepAlive: boolean;
  /** Bytes of the head, its closing blank line included. */
  size: number;
}

/** A response that breaks HTTP/1.1 framing: the connection cannot be trusted for another byte. */
export class FramingError extends Error {
  override name = 'FramingError';
  /** Retried like a connection that broke. */
  readonly code = 'ECONNRESET';
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[^\r\n\0]*$/;

/** The request head of `request` (no body), or undefined when a header cannot be written safely. */
export function requestHead(request: SignedRequest): string | undefined {
  const query = request.query ? buildQueryString(request.query) : '';
  const target = query ? `${request.path}?${query}` : request.path;
  if (!target.startsWith('/') || !FIELD_VALUE.test(target) || target.includes(' ')) return undefined;
  const lines = [`${request.method} ${target} HTTP/1.1`];
  let host = false;
  for (const [name, value] of Object.entries(request.headers)) {
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) return undefined;
    host ||= name.toLowerCase() === 'host';
    lines.push(`${name}: ${value}`);
  }
  if (!host) lines.push(`host: ${request.hostname}${request.port ? `:${request.port}` : ''}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * Parses the response head at the start of `bytes`; undefined while its
 * closing blank line has not arrived. Throws a {@link FramingError} on
 * anything that is not a well-formed HTTP/1.x response head.
 */
export function parseHead(bytes: Buffer): ResponseHead | undefined {
  const end = bytes.indexOf('\r\n\r\n', 0, 'latin1');
  if (end < 0) return undefined;
  const [statusLine = '', ...fields] = bytes.toString('latin1', 0, end).split('\r\n');
  const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!status) throw new FramingError(`Not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 80))}.`);
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const colon = field.indexOf(':');
    const name = field.slice(0, colon).toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) throw new FramingError(`Malformed response header line: ${JSON.stringify(field.slice(0, 80))}.`);
    const value = field.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const encoding = headers['transfer-encoding']?.toLowerCase();
  const chunked = encoding !== undefined && /(^|,)\s*chunked\s*$/.test(encoding);
  if (encoding !== undefined && !chunked) throw new FramingError(`Unsupported Transfer-Encoding: ${encoding}.`);
  let length: number | undefined;
  const announced = headers['content-length'];
  if (announced !== undefined && !chunked) {
    const values = new Set(announced.split(',').map((v) => v.trim()));
    const only = values.size === 1 ? [...values][0]! : '';
    if (!/^\d{1,15}$/.test(only)) throw new FramingError(`Bad Content-Length: ${JSON.stringify(announced)}.`);
    length = Number(only);
  }
  const connection = headers['connection']?.toLowerCase() ?? '';
  const keepAlive = status[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { statusCode: Number(status[2]), reason: status[3] ?? '', headers, length, chunked, keepAlive, size: end + 4 };
}

/**
 * Decodes a whole chunked body held in `bytes`: its content and the bytes
 * its framing took, or undefined while it is incomplete. Throws a
 * {@link FramingError} on malformed framing.
 */
export function decodeChunked(bytes: Buffer): { body: Buffer; size: number } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at, 'latin1');
    if (lineEnd < 0) return undefined;
    const sizeText = bytes.toString('latin1', at, lineEnd).split(';')[0]!.trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(sizeText)) throw new FramingError(`Bad chunk size: ${JSON.stringify(sizeText.slice(0, 20))}.`);
    const size = parseInt(sizeText, 16);
    at = lineEnd + 2;
    if (size === 0) {
      // Trailer fields, if any, then the closing blank line.
      const close = bytes.subarray(at, at + 2).toString('latin1') === '\r\n' ? at - 2 : bytes.indexOf('\r\n\r\n', at - 2, 'latin1');
      return close < 0 ? undefined : { body: Buffer.concat(parts), size: close + 4 };
    }
    if (bytes.length < at + size + 2) return undefined;
    if (bytes.toString('latin1', at + size, at + size + 2) !== '\r\n') throw new FramingError('A chunk did not end with CRLF.');
    parts.push(bytes.subarray(at, at + size));
    at += size + 2;
  }
}

/** The largest body read whole. */
const MAX_WHOLE_BODY = MiB;

/** A (small) body read whole, framed by Content-Length, chunked, or by the connection's end. */
export class WholeBody {
  readonly #head: ResponseHead;
  readonly #parts: Buffer[] = [];
  #bytes = 0;
  /** True when bytes arrived beyond the body's framing: the connection cannot be kept. */
  surplus = false;

  constructor(head: ResponseHead) {
    this.#head = head;
  }

  /** Adds bytes (copied); returns the body once it is complete. Throws a {@link FramingError} past 1 MiB or on bad chunking. */
  add(view: Buffer): Buffer | undefined {
    this.#parts.push(Buffer.from(view));
    this.#bytes += view.byteLength;
    if (this.#bytes > MAX_WHOLE_BODY) throw new FramingError('The error response body is larger than 1 MiB.');
    const { chunked, length } = this.#head;
    let body: Buffer | undefined;
    let framed = this.#bytes;
    if (chunked) {
      const decoded = decodeChunked(Buffer.concat(this.#parts));
      body = decoded?.body;
      framed = decoded?.size ?? framed;
    } else if (length !== undefined && this.#bytes >= length) {
      body = Buffer.concat(this.#parts).subarray(0, length);
      framed = length;
    }
    this.surplus = framed < this.#bytes;
    return body;
  }

  /** The connection ended: the body, when its end is the connection's (no length, not chunked). */
  end(): Buffer | undefined {
    const { chunked, length } = this.#head;
    return chunked || length !== undefined ? undefined : Buffer.concat(this.#parts);
  }
}
