/**
 * The endpoint stays up and answers in AWS's shape whatever a client sends:
 * an oversized or never-ending body, an unauthenticated one, an upload that
 * declares more than 4 GiB. Tested over raw TCP, so nothing smooths it over.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVaultCommand, ListVaultsCommand, GlacierClient } from '@aws-sdk/client-glacier';
import { startLocalGlacier, type LocalGlacier } from '../../src/local/index.js';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';

let g: LocalGlacier;
let client: GlacierClient;
const logLines: string[] = [];

beforeAll(async () => {
  g = await startLocalGlacier({ inMemory: true, bodyTimeout: 300, log: (l) => logLines.push(l) });
  client = new GlacierClient({ region: 'us-east-1', endpoint: g.endpoint, credentials: TEST_CREDENTIALS });
  await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'v1' }));
});
afterAll(async () => {
  client.destroy();
  await g.close();
});

/** Opens a TCP connection to the endpoint, writes `head` (and `body` if given), and collects what comes back until the server closes or `waitMs` passes. */
function exchange(head: string, body?: Buffer | string, waitMs = 10_000): Promise<{ text: string; closed: boolean; socket: Socket }> {
  const url = new URL(g.endpoint);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let text = '';
    let settled = false;
    const done = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ text, closed, socket });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
    socket.write(head);
    if (body !== undefined) socket.write(body);
  });
}

async function stillServing(): Promise<void> {
  expect((await client.send(new ListVaultsCommand({ accountId: '-' }))).VaultList?.map((v) => v.VaultName)).toContain('v1');
}

describe('oversized and unauthenticated bodies', () => {
  it('a 1.1 MB body to a non-upload operation gets 413 in AWS shape, the connection closes, the server stays up', async () => {
    const body = Buffer.alloc(1_100_000);
    const r = await exchange(`PUT /-/vaults/v1/access-policy HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`, body);
    expect(r.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.text).toMatch(/connection: close/i);
    expect(r.text).toMatch(/"code":"RequestEntityTooLargeException"/);
    expect(r.closed).toBe(true);
    await stillServing();
  });

  it('the same as a chunked body (no Content-Length): 413, closed, server up', async () => {
    const chunk = Buffer.alloc(256 * 1024);
    const head = 'PUT /-/vaults/v1/access-policy HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
    const body = Buffer.concat(Array.from({ length: 5 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])));
    const r = await exchange(head, body);
    expect(r.text).toMatch(/^HTTP\/1\.1 (413|403) /);
    await stillServing();
  });

  it('a signed-looking request with a bad signature and a large declared body is refused before the body is read', async () => {
    const head =
      'PUT /-/vaults/v1/access-policy HTTP/1.1\r\nHost: x\r\nContent-Length: 900000\r\nx-amz-glacier-version: 2012-06-01\r\n' +
      `x-amz-content-sha256: ${'0'.repeat(64)}\r\nx-amz-date: 20261205T000000Z\r\n` +
      'Authorization: AWS4-HMAC-SHA256 Credential=test/20261205/us-east-1/glacier/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=' +
      `${'0'.repeat(64)}\r\n\r\n`;
    const r = await exchange(head, undefined, 5000);
    expect(r.text).toMatch(/^HTTP\/1\.1 403 /); // answered without any of the 900,000 bytes
    await stillServing();
  });
});

describe('bodies that never arrive', () => {
  it('answers 408 RequestTimeoutException and closes when a body stops arriving (bodyTimeout)', async () => {
    const r = await exchange('PUT /-/vaults/v1/access-policy HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n', '{"Pol', 10_000);
    expect(r.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.text).toMatch(/RequestTimeoutException/);
    expect(r.closed).toBe(true);
    await stillServing();
  });

  it('an upload body that stops arriving gets 408 too, and leaves nothing', async () => {
    const head =
      `POST /-/vaults/v1/archives HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nx-amz-glacier-version: 2012-06-01\r\n` +
      `x-amz-content-sha256: ${'0'.repeat(64)}\r\nx-amz-sha256-tree-hash: ${'0'.repeat(64)}\r\n\r\n`;
    const noAuth = await startLocalGlacier({ inMemory: true, auth: false, bodyTimeout: 300 });
    try {
      const c = new GlacierClient({ region: 'us-east-1', endpoint: noAuth.endpoint, credentials: TEST_CREDENTIALS });
      await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'v1' }));
      const url = new URL(noAuth.endpoint);
      const r = await new Promise<string>((resolve) => {
        const socket = connect(Number(url.port), url.hostname);
        let text = '';
        socket.on('data', (d: Buffer) => (text += d.toString()));
        socket.on('close', () => resolve(text));
        socket.write(head);
        socket.write(Buffer.alloc(100));
      });
      expect(r).toMatch(/^HTTP\/1\.1 408 /);
      expect((await c.send(new ListVaultsCommand({ accountId: '-' }))).VaultList?.[0]?.NumberOfArchives).toBe(0);
      c.destroy();
    } finally {
      await noAuth.close();
    }
  });
});

describe('uploads declared over 4 GiB', () => {
  it('are refused at once with 400 and Connection: close, without reading the body', async () => {
    const noAuth = await startLocalGlacier({ inMemory: true, auth: false });
    try {
      const c = new GlacierClient({ region: 'us-east-1', endpoint: noAuth.endpoint, credentials: TEST_CREDENTIALS });
      await c.send(new CreateVaultCommand({ accountId: '-', vaultName: 'big' }));
      c.destroy();
      const url = new URL(noAuth.endpoint);
      const head =
        `POST /-/vaults/big/archives HTTP/1.1\r\nHost: x\r\nContent-Length: ${5 * 1024 ** 3}\r\nx-amz-glacier-version: 2012-06-01\r\n` +
        `x-amz-content-sha256: ${'0'.repeat(64)}\r\nx-amz-sha256-tree-hash: ${'0'.repeat(64)}\r\n\r\n`;
      const text = await new Promise<string>((resolve) => {
        const socket = connect(Number(url.port), url.hostname);
        let t = '';
        socket.on('data', (d: Buffer) => (t += d.toString()));
        socket.on('close', () => resolve(t));
        socket.write(head); // and not one byte of the 5 GiB
      });
      expect(text).toMatch(/^HTTP\/1\.1 400 /);
      expect(text).toMatch(/connection: close/i);
      expect(text).toMatch(/Invalid Content-Length/);
    } finally {
      await noAuth.close();
    }
  });
});

describe('the request log', () => {
  it('says "aborted" for a request whose client went away, not 200', async () => {
    logLines.length = 0;
    const url = new URL(g.endpoint);
    await new Promise<void>((resolve) => {
      const socket = connect(Number(url.port), url.hostname, () => {
        socket.write('PUT /-/vaults/v1/access-policy HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"Po');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 100);
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    const line = logLines.find((l) => l.startsWith('PUT /-/vaults/v1/access-policy'));
    expect(line).toBeDefined();
    expect(line).toMatch(/ aborted /);
    expect(line).not.toMatch(/ 200 /);
  });
});
