/**
 * Request context and response helpers shared by the operation handlers.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalidParameter } from './errors.js';
import type { FaultRule } from './faults.js';

/** The labels of an operation's path. */
export interface PathParams {
  /** `-` or a 12-digit account id. */
  accountId: string;
  /** The vault name label. */
  vaultName?: string;
  /** The archive id label. */
  archiveId?: string;
  /** The multipart upload id label. */
  uploadId?: string;
  /** The job id label. */
  jobId?: string;
  /** The vault-lock id label. */
  lockId?: string;
}

/** Everything a handler gets about one request. */
export interface RequestContext {
  /** The request. */
  readonly req: IncomingMessage;
  /** The response. */
  readonly res: ServerResponse;
  /** The API operation name, e.g. `UploadArchive`. */
  readonly operation: string;
  /** The path labels. */
  readonly params: PathParams;
  /** The decoded query. */
  readonly query: URLSearchParams;
  /** The request body, read before the handler ran; undefined for streamed uploads. */
  readonly body: Buffer | undefined;
  /** A fault the handler applies itself (`drop` and `corrupt` on GetJobOutput). */
  readonly fault: FaultRule | undefined;
}

/** Sends a JSON body with a status and extra headers. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': text.length });
  res.end(text);
}

/** Sends a response with no body. */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': 0 });
  res.end();
}

/** Parses the request's JSON body as an object; an empty body is `{}`. */
export function jsonBody(ctx: RequestContext): Record<string, unknown> {
  const body = ctx.body;
  if (!body || body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalidParameter('The request body is not valid JSON.');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidParameter('The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}

/** A single request header as a string, or undefined. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Parses the `limit` query parameter: a whole number from 1 to 1000, else 400. */
export function parseLimit(query: URLSearchParams, defaultLimit: number): number {
  const text = query.get('limit');
  if (text === null) return defaultLimit;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1000) {
    throw invalidParameter(`Invalid limit: ${text}. The limit must be a whole number from 1 to 1000.`);
  }
  return Number(text);
}

/** Encodes a sort key as an opaque marker. */
export function encodeMarker(sortKey: string): string {
  return Buffer.from(sortKey, 'utf8').toString('base64url');
}

/**
 * Decodes the marker of a listing ordered by (creation time, id), made by
 * {@link encodeMarker} from `sortableNumber(created)|id`: the position at
 * which the next page starts. No marker is the start.
 */
export function listMarker(marker: string | null): { created: number; id: string } {
  if (marker === null) return { created: Number.MIN_SAFE_INTEGER, id: '' };
  const text = /^[A-Za-z0-9_-]+$/.test(marker) ? Buffer.from(marker, 'base64url').toString('utf8') : '';
  const bar = text.indexOf('|');
  if (bar !== 16 || !/^\d{16}$/.test(text.slice(0, bar))) throw invalidParameter(`Invalid marker: ${marker}`);
  return { created: Number(text.slice(0, bar)), id: text.slice(bar + 1) };
}

/** A fixed-width decimal string, so numbers sort as text. */
export function sortableNumber(n: number): string {
  return n.toString().padStart(16, '0');
}

/** True for printable ASCII (0x20-0x7E). */
export function isPrintableAscii(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s);
}

/** Validates an archive or job description: printable ASCII, at most 1024 characters. */
export function checkDescription(description: string | undefined, what = 'archive description'): string {
  const d = description ?? '';
  if (d.length > 1024 || !isPrintableAscii(d)) {
    throw invalidParameter(`Invalid ${what}: it must be at most 1024 printable ASCII characters.`);
  }
  return d;
}
