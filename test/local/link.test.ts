import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVaultCommand, DescribeVaultCommand, GetJobOutputCommand, GlacierClient, InitiateJobCommand, ListVaultsCommand, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { parseLinkSpec, startLocalGlacier } from '../../src/local/index.js';
import { MiB } from '../../src/transfer/tree-hash.js';
import { startTestEndpoint, TEST_CREDENTIALS, type TestEndpoint } from '../helpers/endpoint.js';
import { CLI_SOURCE, startChild } from './child.js';
import { bytes, rejection } from './util.js';

const vaultName = 'link';

/** Runs `fn` and returns how many seconds it took. */
async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** MB/s (10^6 bytes) of `size` bytes in `s` seconds. */
const rate = (size: number, s: number) => size / 1e6 / s;

/** Asserts that a measured rate is at most the cap + 10% and, as a busy machine may be slower, at least half of it. */
function expectNearCap(measured: number, capMBps: number): void {
  console.log(`MEASURED ${measured.toFixed(3)} MB/s (cap ${capMBps})`);
  expect(measured).toBeLessThanOrEqual(capMBps * 1.1);
  expect(measured).toBeGreaterThanOrEqual(capMBps * 0.5);
}

describe('link SPEC', () => {
  it('parses every part, with decimal and binary units, in any order', () => {
    expect(parseLinkSpec('latency=50ms,connection=8MB/s,total=125MB/s')).toEqual({ latencyMs: 50, connectionBytesPerSecond: 8e6, totalBytesPerSecond: 125e6 });
    expect(parseLinkSpec(' total = 1GB/s , latency=0.2s ')).toEqual({ latencyMs: 200, totalBytesPerSecond: 1e9 });
    expect(parseLinkSpec('connection=500KB/s')).toEqual({ connectionBytesPerSecond: 5e5 });
    expect(parseLinkSpec('connection=2kB/s')).toEqual({ connectionBytesPerSecond: 2e3 });
    expect(parseLinkSpec('connection=1.5MiB/s')).toEqual({ connectionBytesPerSecond: 1.5 * MiB });
    expect(parseLinkSpec('total=64KiB/s,connection=1GiB/s')).toEqual({ totalBytesPerSecond: 65536, connectionBytesPerSecond: 1024 ** 3 });
    expect(parseLinkSpec('latency=0ms')).toEqual({ latencyMs: 0 });
  });

  it('refuses anything else with a message that names the part and the expected form', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /Empty link spec: give latency=DURATION/],
      ['latency=50', /"latency=50": latency must be a number and ms or s/],
      ['latency=50us', /latency must be a number and ms or s/],
      ['latency=-5ms', /latency must be/],
      ['connection=8Mb/s', /"connection=8Mb\/s": connection must be a number and B\/s, KB\/s, MB\/s/],
      ['connection=8MB', /connection must be a number and B\/s/],
      ['total=fast', /total must be/],
      ['total=0MB/s', /total must be more than 0/],
      ['speed=1MB/s', /Bad link part "speed=1MB\/s": expected latency=DURATION, connection=RATE or total=RATE/],
      ['latency=5ms,,total=1MB/s', /Bad link part ""/],
      ['latency=5ms,latency=6ms', /latency is given twice/],
    ];
    for (const [spec, message] of cases) expect(() => parseLinkSpec(spec), spec).toThrow(message);
  });

  it('startLocalGlacier refuses a bad link, as a SPEC or as settings', async () => {
    await expect(startLocalGlacier({ inMemory: true, link: 'latency=fast' })).rejects.toThrow(SyntaxError);
    await expect(startLocalGlacier({ inMemory: true, link: { latencyMs: -1 } })).rejects.toThrow(/link.latencyMs must be a non-negative finite number/);
    await expect(startLocalGlacier({ inMemory: true, link: { totalBytesPerSecond: 0 } })).rejects.toThrow(/link.totalBytesPerSecond must be a positive/);
    await expect(startLocalGlacier({ inMemory: true, link: { latency: 5 } as never })).rejects.toThrow(/Unknown link setting "latency"/);
  });
});

describe('latency', () => {
  let t: TestEndpoint;
  beforeAll(async () => {
    t = await startTestEndpoint({ link: { latencyMs: 50 } });
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  });
  afterAll(async () => t.close());

  it('holds each response back once: 20 sequential DescribeVault take at least 1 s at 50 ms', async () => {
    const s = await seconds(async () => {
      for (let i = 0; i < 20; i++) await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }));
    });
    expect(s).toBeGreaterThanOrEqual(1);
    expect(s).toBeLessThan(20 * 0.05 + 2);
  });
});

describe('connection cap (2 MB/s)', () => {
  const size = 4 * MiB;
  const data = bytes(size);
  let t: TestEndpoint;
  let archiveId: string;
  beforeAll(async () => {
    t = await startTestEndpoint({ link: 'connection=2MB/s' });
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  });
  afterAll(async () => t.close());

  it('caps a single-stream upload of 4 MiB (request body) at the rate', async () => {
    const s = await seconds(async () => {
      archiveId = (await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: data }))).archiveId!;
    });
    expectNearCap(rate(size, s), 2);
  });

  it('caps a GetJobOutput download (response body) at the rate, and the bytes arrive intact', async () => {
    const { jobId } = await t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }));
    let received: Buffer | undefined;
    const s = await seconds(async () => {
      const out = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId }));
      received = Buffer.from(await out.body!.transformToByteArray());
    });
    expect(received!.equals(data)).toBe(true);
    expectNearCap(rate(size, s), 2);
  });
});

describe('total cap (4 MB/s)', () => {
  let t: TestEndpoint;
  beforeAll(async () => {
    t = await startTestEndpoint({ link: 'total=4MB/s' });
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  });
  afterAll(async () => t.close());

  it('keeps 16 concurrent uploads together under the cap, and each of them progresses', async () => {
    const streams = 16;
    const size = 512 * 1024;
    const finished: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: streams }, async () => {
        await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: bytes(size) }));
        finished.push((performance.now() - t0) / 1000);
      }),
    );
    const s = Math.max(...finished);
    expectNearCap(rate(streams * size, s), 4);
    // Turns are shared: the first stream to finish is not far ahead of the last.
    expect(Math.min(...finished)).toBeGreaterThanOrEqual(s / 2);
  });
});

describe('closing', () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

  it('cancels every wait and timer of the link when the endpoint closes mid-transfer', async () => {
    const before = timers();
    const t = await startTestEndpoint({ link: 'latency=500ms,connection=1MB/s,total=1MB/s' });
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const client = t.newClient({ maxAttempts: 1 });
    const upload = rejection(client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: bytes(4 * MiB) })));
    const describe = rejection(client.send(new DescribeVaultCommand({ accountId: '-', vaultName })));
    await new Promise((r) => setTimeout(r, 300));
    await t.close();
    for (const err of await Promise.all([upload, describe])) expect(err.$metadata?.httpStatusCode).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(timers()).toBeLessThanOrEqual(before);
  });
});

describe('glacier-local --link', () => {
  it('applies the link to the endpoint it starts', async () => {
    const run = await startChild(['--in-memory', '--link', 'latency=100ms']);
    const client = new GlacierClient({ region: 'us-east-1', endpoint: run.endpoint, credentials: TEST_CREDENTIALS });
    const s = await seconds(async () => {
      for (let i = 0; i < 5; i++) await client.send(new ListVaultsCommand({ accountId: '-' }));
    });
    client.destroy();
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
    expect(s).toBeGreaterThanOrEqual(0.5);
  });

  it('documents --link in --help and refuses a bad SPEC with the parser message', () => {
    const help = spawnSync(process.execPath, ['--import', 'tsx', CLI_SOURCE, '--help'], { encoding: 'utf8' });
    expect(help.stdout).toMatch(/--link <spec>/);
    expect(help.stdout).toMatch(/latency=50ms,connection=8MB\/s,total=125MB\/s/);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', CLI_SOURCE, '--in-memory', '--link', 'connection=8Mb/s'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/connection must be a number and B\/s/);
  });
});
