/**
 * The receive path of ranged GetJobOutput requests (job-output-receiver.ts):
 * real SDK clients against the local endpoint over loopback HTTP, with its
 * fault injection, and a bare HTTP server for framings Glacier does not use.
 */
import { GetJobOutputCommand, GlacierClient, ResourceNotFoundException } from '@aws-sdk/client-glacier';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createRawServer, type AddressInfo, type Server as RawServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TreeHashMismatchError } from '../../src/errors.js';
import { downloadJobOutput } from '../../src/transfer/download.js';
import { isReceivedBody, RECEIVE_SWITCH, receiveStats, withReceivePath } from '../../src/transfer/job-output-receiver.js';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { uploadArchive } from '../../src/transfer/upload.js';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';
import { startHarness, testBytes, type Harness } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'receive-'));
const data = testBytes(6 * MiB + 777, 5);
let h: Harness;
let jobId: string;

beforeAll(async () => {
  h = await startHarness({}, 'receive');
  const { archiveId } = await uploadArchive(h.target, { body: data });
  jobId = await h.retrieve(archiveId);
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  h.env.server.setFaults(undefined);
});
afterEach(() => {
  delete process.env[RECEIVE_SWITCH];
});

/** A client of its own (so its own connection pool), already used once, as a download uses it. */
async function freshClient(overrides: ConstructorParameters<typeof GlacierClient>[0] = {}): Promise<GlacierClient> {
  const client = h.env.newClient(overrides);
  await downloadJobOutput({ client, accountId: '-', vaultName: 'receive', jobId }, join(dir, 'warm.bin'), { chunkSize: 8 * MiB });
  return client;
}

const fast = { retry: { minDelay: 1, maxDelay: 5 } };

describe('the receive path', () => {
  it('downloads over kept connections: a few connections for many chunks', async () => {
    const client = h.env.newClient();
    const path = join(dir, 'kept.bin');
    const result = await downloadJobOutput({ client, accountId: '-', vaultName: 'receive', jobId }, path, { chunkSize: MiB, concurrency: 2 });
    expect(result.treeHash).toBe(treeHash(data));
    expect(readFileSync(path).equals(data)).toBe(true);
    const stats = receiveStats(client);
    // 7 ranged requests, 2 at a time: each connection serves several.
    expect(stats.opened).toBeGreaterThanOrEqual(1);
    expect(stats.opened).toBeLessThanOrEqual(2);
    expect(stats.idle).toBe(stats.opened);
  });

  it('lets the SDK turn error responses into its typed errors, with their HTTP status', async () => {
    const client = await freshClient();
    const opened = receiveStats(client).opened;
    const controller = new AbortController();
    const command = withReceivePath(new GetJobOutputCommand({ accountId: '-', vaultName: 'receive', jobId: 'no-such-job' }), client, controller.signal);
    const error = await client.send(command).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    // The error came over a kept connection, which stays kept.
    expect(receiveStats(client)).toEqual({ opened, idle: opened });
  });

  it('hands a 2xx body over as a Readable too, copying its pieces', async () => {
    const client = await freshClient();
    const command = withReceivePath(new GetJobOutputCommand({ accountId: '-', vaultName: 'receive', jobId, range: `bytes=0-${2 * MiB - 1}` }), client, new AbortController().signal);
    const out = await client.send(command);
    expect(isReceivedBody(out.body)).toBe(true);
    const bytes = await out.body!.transformToByteArray();
    expect(Buffer.from(bytes).equals(data.subarray(0, 2 * MiB))).toBe(true);
    expect(out.checksum).toBe(treeHash(data.subarray(0, 2 * MiB)));
  });

  it('retries a body cut short, on a new connection, to success', async () => {
    const client = await freshClient();
    const opened = receiveStats(client).opened;
    h.env.server.setFaults('GetJobOutput:1#1:drop');
    const failures: string[] = [];
    const path = join(dir, 'cut.bin');
    const source = { client, accountId: '-', vaultName: 'receive', jobId };
    await downloadJobOutput(source, path, { chunkSize: 2 * MiB, concurrency: 1, retry: { ...fast.retry, onFailedAttempt: ({ error }) => failures.push(error.name) } });
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(failures).toEqual(['IncompleteBodyError']);
    expect(receiveStats(client).opened).toBe(opened + 1);
  });

  it('catches a corrupted body with the tree hash and fetches it again', async () => {
    const client = await freshClient();
    h.env.server.setFaults('GetJobOutput:1#1:corrupt');
    const failures: unknown[] = [];
    const path = join(dir, 'corrupt.bin');
    const source = { client, accountId: '-', vaultName: 'receive', jobId };
    const result = await downloadJobOutput(source, path, { chunkSize: 2 * MiB, ...fast, retry: { ...fast.retry, onFailedAttempt: ({ error }) => failures.push(error) } });
    expect(result.treeHash).toBe(treeHash(data));
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toBeInstanceOf(TreeHashMismatchError);
  });

  it('closes the connection of a body aborted midway: none is kept', async () => {
    const client = h.env.newClient();
    await client.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'receive', jobId, range: 'bytes=0-1048575' })).then((o) => o.body?.transformToByteArray());
    const controller = new AbortController();
    const command = withReceivePath(new GetJobOutputCommand({ accountId: '-', vaultName: 'receive', jobId }), client, controller.signal);
    const out = await client.send(command, { abortSignal: controller.signal });
    expect(isReceivedBody(out.body)).toBe(true);
    let pieces = 0;
    const received = isReceivedBody(out.body)
      ? out.body.receive({
          piece: () => {
            if (++pieces === 1) controller.abort();
          },
        })
      : Promise.resolve();
    await expect(received).rejects.toMatchObject({ name: 'AbortError' });
    expect(receiveStats(client)).toEqual({ opened: 1, idle: 0 });
  });

  it('is not used with a request handler of the caller’s own', async () => {
    class CountingHandler extends NodeHttpHandler {
      calls = 0;
      override handle(...args: Parameters<NodeHttpHandler['handle']>) {
        this.calls++;
        return super.handle(...args);
      }
    }
    const requestHandler = new CountingHandler();
    const client = await freshClient({ requestHandler });
    expect(receiveStats(client).opened).toBe(0);
    // DescribeJob and the 1 chunk, through the caller's handler.
    expect(requestHandler.calls).toBe(2);
  });

  it('is switched off by GLACIER_RESOURCE_RECEIVE=sdk', async () => {
    process.env[RECEIVE_SWITCH] = 'sdk';
    const client = await freshClient();
    expect(receiveStats(client).opened).toBe(0);
    delete process.env[RECEIVE_SWITCH];
    await downloadJobOutput({ client, accountId: '-', vaultName: 'receive', jobId }, join(dir, 'on.bin'), { chunkSize: 8 * MiB });
    expect(receiveStats(client).opened).toBe(1);
  });
});

describe('the receive path against a server that frames bodies otherwise', () => {
  let server: Server;
  let endpoint: string;
  const body = testBytes(100_000, 9);

  beforeAll(async () => {
    // A chunked 200 (no Content-Length): the path hands such an origin to the SDK from then on.
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-amz-sha256-tree-hash': treeHash(body) });
      // Two writes: the body goes out chunked.
      res.write(body.subarray(0, 1000));
      res.end(body.subarray(1000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('gives a 2xx without Content-Length to the SDK, then sends that origin’s requests through the SDK', async () => {
    const client = new GlacierClient({ region: 'us-east-1', endpoint, credentials: TEST_CREDENTIALS });
    try {
      for (let i = 0; i < 2; i++) {
        const command = withReceivePath(new GetJobOutputCommand({ accountId: '-', vaultName: 'v', jobId: 'j' }), client, new AbortController().signal);
        // The first request warms the SDK's handler up; the second tries the receive path.
        const out = await client.send(command);
        expect(isReceivedBody(out.body)).toBe(false);
        expect(Buffer.from(await out.body!.transformToByteArray()).equals(body)).toBe(true);
      }
      expect(receiveStats(client).opened).toBe(1);
    } finally {
      client.destroy();
    }
  });
});

describe('the receive path against a server that breaks framing', () => {
  let server: RawServer;
  let client: GlacierClient;
  const head = (length: number) => `HTTP/1.1 200 OK\r\ncontent-length: ${length}\r\nx-amz-sha256-tree-hash: ${'0'.repeat(64)}\r\n\r\n`;

  beforeAll(async () => {
    // Job "short" announces 100,000 bytes, sends 1,000 and closes; job "long" announces 1,000 and sends 2,000;
    // job "stale" is answered on a connection's first request, and its second finds the connection closed.
    server = createRawServer((socket) => {
      let requests = 0;
      socket.on('error', () => undefined);
      socket.on('data', (request) => {
        const path = request.toString('latin1').split(' ')[1] ?? '';
        requests++;
        if (path.includes('/jobs/long/')) socket.write(Buffer.concat([Buffer.from(head(1000)), Buffer.alloc(2000, 1)]));
        else if (path.includes('/jobs/stale/') && requests === 1) socket.write(Buffer.concat([Buffer.from(head(10)), Buffer.alloc(10, 3)]));
        else if (path.includes('/jobs/stale/')) socket.destroy();
        else socket.end(Buffer.concat([Buffer.from(head(100_000)), Buffer.alloc(1000, 2)]));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = new GlacierClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials: TEST_CREDENTIALS });
    // Warms the SDK's handler up (the receive path reads its settings).
    await client.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'v', jobId: 'short' })).then((o) => o.body?.transformToByteArray()).catch(() => undefined);
  });
  afterAll(() => {
    client.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const get = (jobId: string) => client.send(withReceivePath(new GetJobOutputCommand({ accountId: '-', vaultName: 'v', jobId }), client, new AbortController().signal));

  it('fails a body the server closes early with a retried IncompleteBodyError', async () => {
    const out = await get('short');
    const received = isReceivedBody(out.body) ? out.body.receive({ piece: () => undefined }) : Promise.reject(new Error('not the receive path'));
    await expect(received).rejects.toMatchObject({ name: 'IncompleteBodyError' });
  });

  it('takes the announced length of an over-long body and does not keep its connection', async () => {
    const opened = receiveStats(client).opened;
    const out = await get('long');
    let n = 0;
    if (isReceivedBody(out.body)) await out.body.receive({ piece: (view) => void (n += view.byteLength) });
    expect(n).toBe(1000);
    expect(receiveStats(client)).toEqual({ opened: opened + 1, idle: 0 });
  });

  it('sends a request again on a new connection when the kept one turns out closed', async () => {
    const bodyOf = async (jobId: string) => {
      const out = await get(jobId);
      let n = 0;
      if (isReceivedBody(out.body)) await out.body.receive({ piece: (view) => void (n += view.byteLength) });
      return n;
    };
    const opened = receiveStats(client).opened;
    expect(await bodyOf('stale')).toBe(10);
    expect(receiveStats(client)).toEqual({ opened: opened + 1, idle: 1 });
    expect(await bodyOf('stale')).toBe(10);
    expect(receiveStats(client)).toEqual({ opened: opened + 2, idle: 1 });
  });
});
