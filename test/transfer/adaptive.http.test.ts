/**
 * The adaptive concurrency over real HTTP, with the real SDK, against the
 * local endpoint's emulated link, scaled down 16 times from the bench's
 * `latency=50ms,connection=8MB/s,total=125MB/s`: one connection carries
 * 0.5 MB/s and the link 8 MB/s, so 16 requests fill it.
 */
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { adaptivePool } from '../../src/transfer/adaptive-pool.js';
import { DEFAULT_INITIAL_CONCURRENCY } from '../../src/transfer/concurrency.js';
import { downloadJobOutput, type DownloadProgress } from '../../src/transfer/download.js';
import { MiB } from '../../src/transfer/tree-hash.js';
import { uploadArchive, type UploadProgress } from '../../src/transfer/upload.js';
import { startHarness, testBytes, type Harness } from './harness.js';

const LINK_MBPS = 8;
const data = testBytes(24 * MiB, 12);
let h: Harness;
let dir: string;
let file: string;

beforeAll(async () => {
  h = await startHarness({ link: `latency=50ms,connection=0.5MB/s,total=${LINK_MBPS}MB/s` }, 'adaptive');
  dir = mkdtempSync(join(tmpdir(), 'adaptive-'));
  file = join(dir, 'body.bin');
  writeFileSync(file, data);
});
afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => h.env.server.setFaults(undefined));

/** Bytes this process has read through read(2) and its kin, files and sockets alike (Linux). */
const bytesRead = () => Number(/rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

/** The concurrency of each event that reports an acknowledged part, in order. */
const perPart = (events: readonly UploadProgress[]) => events.filter((e) => e.part !== undefined).map((e) => e.concurrency);

describe('adaptive concurrency on an emulated link (0.5 MB/s a connection, 8 MB/s in all, 50 ms latency)', () => {
  it('an upload converges: 16 parts in flight within its first 10 parts, and the link filled', async () => {
    const events: UploadProgress[] = [];
    const t0 = performance.now();
    const archive = await uploadArchive(h.target, { body: createReadStream(file), partSize: MiB, multipartThreshold: MiB, onProgress: (p) => events.push({ ...p }) });
    const seconds = (performance.now() - t0) / 1000;
    expect(archive.size).toBe(data.length);
    const limits = perPart(events);
    console.log(`upload: ${(data.length / 1e6 / seconds).toFixed(2)} MB/s, concurrency by part ${limits.join(' ')}`);
    expect(limits.slice(0, 10).some((c) => c >= 16)).toBe(true);
    expect(limits.at(-1)).toBeGreaterThanOrEqual(16);
    // 24 MiB at 8 MB/s is 3.1 s; the ramp, the last parts' tail and a busy machine (tests run in parallel) cost some of it.
    expect(data.length / 1e6 / seconds).toBeGreaterThan(0.4 * LINK_MBPS);
  });

  it('a download converges the same way', async () => {
    const archive = await uploadArchive(h.target, { body: data, partSize: MiB, multipartThreshold: MiB, concurrency: 16 });
    const jobId = await h.retrieve(archive.archiveId);
    const events: DownloadProgress[] = [];
    const t0 = performance.now();
    const result = await downloadJobOutput({ ...h.target, jobId }, join(dir, 'down.bin'), { chunkSize: MiB, onProgress: (p) => events.push({ ...p }) });
    const seconds = (performance.now() - t0) / 1000;
    expect(result.verified).toBe(true);
    const most = Math.max(...events.map((e) => e.concurrency));
    console.log(`download: ${(data.length / 1e6 / seconds).toFixed(2)} MB/s, highest concurrency ${most}`);
    expect(most).toBeGreaterThanOrEqual(16);
    expect(data.length / 1e6 / seconds).toBeGreaterThan(0.4 * LINK_MBPS);
  });

  it('backs off on injected throttling: the limit halves, and the upload still completes', async () => {
    h.env.server.setFaults('UploadMultipartPart:0.25#6:throttle');
    const events: UploadProgress[] = [];
    // A fresh client: how soon the throttling lands must not depend on the kept connections earlier tests left.
    const archive = await uploadArchive({ ...h.target, client: h.env.newClient() }, {
      body: data.subarray(0, 12 * MiB),
      partSize: MiB,
      multipartThreshold: MiB,
      retry: { minDelay: 50, maxDelay: 200 },
      onProgress: (p) => events.push({ ...p }),
    });
    expect(archive.size).toBe(12 * MiB);
    const limits = perPart(events);
    console.log(`throttled upload: concurrency by part ${limits.join(' ')}`);
    expect(Math.min(...limits)).toBeLessThanOrEqual(DEFAULT_INITIAL_CONCURRENCY / 2);
  });

  it('stays within maxMemory: a stream of unknown length holds at most maxMemory / partSize parts', async () => {
    const events: UploadProgress[] = [];
    const archive = await uploadArchive(h.target, {
      body: Readable.from(
        (function* () {
          for (let i = 0; i < 12; i++) yield data.subarray(i * MiB, (i + 1) * MiB);
        })(),
      ),
      partSize: MiB,
      multipartThreshold: MiB,
      maxMemory: 4 * MiB,
      onProgress: (p) => events.push({ ...p }),
    });
    expect(archive.size).toBe(12 * MiB);
    expect(Math.max(...events.map((e) => e.concurrency))).toBeLessThanOrEqual(4);
  });

  it.runIf(existsSync('/proc/self/io'))('stays within maxMemory for a file by re-reading parts past it from the file: concurrency rises, buffers do not', async () => {
    /** Bytes this process has read (files and sockets alike) while `upload` ran, and the highest concurrency it reported. */
    const measure = async (maxMemory: number | undefined) => {
      const events: UploadProgress[] = [];
      const before = bytesRead();
      const archive = await uploadArchive(h.target, {
        body: createReadStream(file),
        partSize: MiB,
        multipartThreshold: MiB,
        ...(maxMemory ? { maxMemory } : {}),
        onProgress: (p) => events.push({ ...p }),
      });
      expect(archive.size).toBe(data.length);
      return { read: bytesRead() - before, most: Math.max(...events.map((e) => e.concurrency)) };
    };
    const held = await measure(undefined);
    const budget = await measure(2 * MiB);
    console.log(`file upload: read ${(held.read / MiB).toFixed(1)} MiB holding parts, ${(budget.read / MiB).toFixed(1)} MiB with a 2 MiB budget; highest concurrency ${held.most} and ${budget.most}`);
    expect(budget.most).toBeGreaterThanOrEqual(16);
    // Past the first two parts, every part was read twice from the file: once to hash it, once to send it.
    expect(budget.read - held.read).toBeGreaterThan(0.6 * data.length);
  });

  it('a download to a Writable holds at most maxMemory / chunkSize chunks', async () => {
    const archive = await uploadArchive(h.target, { body: data.subarray(0, 8 * MiB), partSize: MiB, multipartThreshold: MiB, concurrency: 16 });
    const jobId = await h.retrieve(archive.archiveId);
    const events: DownloadProgress[] = [];
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    await downloadJobOutput({ ...h.target, jobId }, sink, { chunkSize: MiB, maxMemory: 3 * MiB, onProgress: (p) => events.push({ ...p }) });
    expect(Math.max(...events.map((e) => e.concurrency))).toBeLessThanOrEqual(3);
  });

  it('bulk deletes adapt too: 200 DeleteArchive calls through adaptivePool beat a sequential loop by far', async () => {
    const { DeleteArchiveCommand, UploadArchiveCommand } = await import('@aws-sdk/client-glacier');
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const out = await h.env.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'adaptive', body: `archive ${i}` }));
      ids.push(out.archiveId!);
    }
    const del = (id: string) => h.env.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'adaptive', archiveId: id }));
    const t0 = performance.now();
    for (const id of ids.slice(0, 20)) await del(id);
    const sequentialPerSecond = 20 / ((performance.now() - t0) / 1000);
    const limits: number[] = [];
    const t1 = performance.now();
    await adaptivePool(ids.slice(20), async (id) => void (await del(id)), { onConcurrency: (n) => limits.push(n) });
    const pooledPerSecond = 180 / ((performance.now() - t1) / 1000);
    console.log(`deletes: ${sequentialPerSecond.toFixed(0)}/s sequential, ${pooledPerSecond.toFixed(0)}/s adaptive (limits ${limits.join(' ')})`);
    expect(pooledPerSecond).toBeGreaterThan(4 * sequentialPerSecond);
  });
});
