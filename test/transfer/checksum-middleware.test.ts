/**
 * The per-command middleware, checked on the wire against a minimal HTTP
 * server (the endpoint checks both hashes too; this isolates what the SDK
 * sends and proves the client's own checksum generator is never called).
 */
import { GlacierClient, UploadArchiveCommand, UploadMultipartPartCommand, type GlacierClientConfig } from '@aws-sdk/client-glacier';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withPrecomputedChecksums } from '../../src/transfer/checksum-middleware.js';
import { withoutSdkRetries } from '../../src/transfer/retry.js';
import { treeHash, uploadChecksums } from '../../src/transfer/tree-hash.js';

interface Seen {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
let endpoint: string;
const seen: Seen[] = [];
let failNext = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ headers: req.headers, body });
      if (failNext > 0) {
        failNext--;
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'ServiceUnavailableException', message: 'try later', type: 'Server' }));
        return;
      }
      res.writeHead(201, { 'x-amz-sha256-tree-hash': treeHash(body), 'x-amz-archive-id': 'A1', location: '/-/vaults/v/archives/A1' });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function client(generatorCalls: { n: number }) {
  return new GlacierClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    bodyChecksumGenerator: async () => {
      generatorCalls.n++;
      return ['', ''];
    },
  } as GlacierClientConfig);
}

describe('withPrecomputedChecksums', () => {
  it('sends the given hashes and length, and the SDK does not hash the body', async () => {
    const calls = { n: 0 };
    const c = client(calls);
    const body = randomBytes(3 * 1024 * 1024 + 5);
    const sums = uploadChecksums(body);
    seen.length = 0;
    const command = new UploadMultipartPartCommand({ accountId: '-', vaultName: 'v', uploadId: 'U', range: `bytes 0-${body.length - 1}/*`, checksum: sums.treeHash, body });
    await c.send(withPrecomputedChecksums(command, sums));
    expect(calls.n).toBe(0);
    const [req] = seen;
    expect(req?.body.equals(body)).toBe(true);
    expect(req?.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(body).digest('hex'));
    expect(req?.headers['x-amz-sha256-tree-hash']).toBe(treeHash(body));
    expect(req?.headers['content-length']).toBe(String(body.length));
    expect(req?.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/);
    c.destroy();
  });

  it('leaves the client and its other commands alone', async () => {
    const calls = { n: 0 };
    const c = client(calls);
    const body = Buffer.from('hello');
    const sums = uploadChecksums(body);
    await c.send(withPrecomputedChecksums(new UploadArchiveCommand({ accountId: '-', vaultName: 'v', body }), sums));
    expect(calls.n).toBe(0);
    await c.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'v', body })).catch(() => undefined);
    expect(calls.n).toBe(1);
    c.destroy();
  });

  it('refuses checksums of a different length than the body', async () => {
    const c = client({ n: 0 });
    const sums = uploadChecksums(Buffer.from('other'));
    await expect(c.send(withPrecomputedChecksums(new UploadArchiveCommand({ accountId: '-', vaultName: 'v', body: Buffer.from('hello!') }), sums))).rejects.toThrow(
      /6-byte body/,
    );
    c.destroy();
  });
});

describe('withoutSdkRetries', () => {
  it('makes one attempt per send, so the engine alone decides the retries', async () => {
    const c = client({ n: 0 });
    const body = Buffer.from('hello');
    const sums = uploadChecksums(body);
    seen.length = 0;
    failNext = 1;
    await expect(c.send(withoutSdkRetries(withPrecomputedChecksums(new UploadArchiveCommand({ accountId: '-', vaultName: 'v', body }), sums)))).rejects.toMatchObject({
      name: 'ServiceUnavailableException',
    });
    expect(seen).toHaveLength(1);
    failNext = 1;
    seen.length = 0;
    await c.send(withPrecomputedChecksums(new UploadArchiveCommand({ accountId: '-', vaultName: 'v', body }), sums));
    expect(seen).toHaveLength(2);
    c.destroy();
  });
});
