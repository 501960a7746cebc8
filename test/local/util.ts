/**
 * Helpers for the local endpoint's tests: signed raw HTTP requests (to look
 * at exact status codes, headers and bodies) and small upload shortcuts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { CreateVaultCommand, UploadArchiveCommand, type GlacierClient } from '@aws-sdk/client-glacier';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';

/** A raw HTTP response. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): Record<string, unknown>;
}

/** Options of {@link rawRequest}. */
export interface RawOptions {
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Sign with these credentials (default the test pair); `false` sends no Authorization. */
  credentials?: { accessKeyId: string; secretAccessKey: string } | false;
  region?: string;
  /** Service of the credential scope (default `glacier`). */
  service?: string;
  /** Signing time (default now). */
  signingDate?: Date;
}

/** Sends one SigV4-signed request (path may hold a query) and collects the response. */
export async function rawRequest(endpoint: string, method: string, pathAndQuery: string, options: RawOptions = {}): Promise<RawResponse> {
  const url = new URL(endpoint);
  const [path, search] = pathAndQuery.split('?') as [string, string | undefined];
  const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-glacier-version': '2012-06-01',
    'x-amz-content-sha256': createHash('sha256').update(body ?? Buffer.alloc(0)).digest('hex'),
    ...(body ? { 'content-length': String(body.length) } : {}),
    ...options.headers,
  };
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(search ?? '')) query[k] = v;
  if (options.credentials !== false) {
    const signer = new SignatureV4({
      credentials: options.credentials ?? TEST_CREDENTIALS,
      region: options.region ?? 'us-east-1',
      service: options.service ?? 'glacier',
      sha256: Hash.bind(null, 'sha256'),
    });
    const signed = await signer.sign(
      { method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path, query, headers, body },
      options.signingDate ? { signingDate: options.signingDate } : {},
    );
    Object.assign(headers, signed.headers);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path: pathAndQuery, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const data = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data, json: () => JSON.parse(data.toString('utf8')) as Record<string, unknown> });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Random bytes of a given size. */
export function bytes(size: number): Buffer {
  return randomBytes(size);
}

/** Creates a vault and uploads one archive; returns its id. */
export async function vaultWithArchive(client: GlacierClient, vaultName: string, data: Buffer, archiveDescription = 'test archive'): Promise<string> {
  await client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  const out = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: data, archiveDescription }));
  return out.archiveId!;
}

/** Resolves with the error a promise rejects with (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; requestId?: string }; code?: string; type?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('Expected the promise to reject, but it resolved.');
}
