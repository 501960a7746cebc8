/**
 * Progress over a slow link (a proxy carrying 4 MB/s each way): a 20 MiB
 * upload, in one request or in parts, and a 20 MiB download report progress
 * at least once a second, with `loaded` growing as the bytes go, and end
 * exactly at the total.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resource, type GlacierClient } from '../../src/index.js';
import { downloadJobOutput } from '../../src/transfer/download.js';
import { MiB } from '../../src/transfer/tree-hash.js';
import { uploadArchive, type UploadArchiveOptions } from '../../src/transfer/upload.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { startSlowLink, type SlowLink } from '../helpers/slow-link.js';
import { testBytes } from './harness.js';

const RATE = 4_000_000;
const data = testBytes(20 * MiB, 5);

let ep: TestEndpoint;
let link: SlowLink;
let slow: GlacierClient;
let dir: string;
beforeAll(async () => {
  ep = await startTestEndpoint();
  link = await startSlowLink(ep.endpoint, RATE);
  slow = ep.newClient({ endpoint: link.endpoint });
  dir = await mkdtemp(join(tmpdir(), 'slow-link-'));
  await resource({ client: ep.client }).createVault({ vaultName: 'slow' });
});
afterAll(async () => {
  await link?.close();
  await ep?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs a transfer, recording when each progress event came and its `loaded`. */
async function timed(transfer: (onProgress: (p: { loaded: number }) => void) => Promise<unknown>) {
  const started = Date.now();
  const events: Array<{ at: number; loaded: number }> = [];
  await transfer((p) => events.push({ at: Date.now() - started, loaded: p.loaded }));
  return { events, took: Date.now() - started };
}

/** At least once a second from start to end; `loaded` rising through `distinct` values or more; the last event exact. */
function expectSteadyProgress({ events, took }: Awaited<ReturnType<typeof timed>>, distinct = 6): void {
  // The link really was slow: 20 MiB at 4 MB/s is over 5 s.
  expect(took).toBeGreaterThan(4000);
  const times = [0, ...events.map((e) => e.at), took];
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  expect(Math.max(...gaps), `gaps ${gaps.join(', ')} ms`).toBeLessThanOrEqual(1000);
  const between = new Set(events.map((e) => e.loaded).filter((l) => l > 0 && l < data.length));
  expect(between.size, `loaded ${events.map((e) => `${e.at}:${e.loaded}`).join(', ')}`).toBeGreaterThanOrEqual(distinct);
  for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
  expect(events.at(-1)!.loaded).toBe(data.length);
}

describe('progress over a 4 MB/s link', () => {
  const upload = (options: Partial<UploadArchiveOptions>) =>
    timed((onProgress) => uploadArchive({ client: slow, accountId: '-', vaultName: 'slow' }, { body: data, onProgress, ...options }));

  it('a 20 MiB upload in one request reports while its body is sent', async () => {
    expectSteadyProgress(await upload({}));
  });

  it('a 20 MiB multipart upload reports while each part is sent, not only when it is acknowledged', async () => {
    // One part at a time: each loopback connection buffers megabytes (far more than
    // over a real link), which several parallel parts would fill at once. Even so a
    // part's first 5-7 MiB can go in one step, so fewer distinct values are asked for,
    // and at least two that are not part boundaries (acknowledgements alone give none).
    const result = await upload({ partSize: 8 * MiB, multipartThreshold: 8 * MiB, concurrency: 1 });
    expectSteadyProgress(result, 4);
    const sending = new Set(result.events.map((e) => e.loaded).filter((l) => l % (8 * MiB) !== 0 && l < data.length));
    expect(sending.size).toBeGreaterThanOrEqual(2);
  });

  it('a 20 MiB download reports as the bytes arrive, not only per verified chunk', async () => {
    const glacier = resource({ client: ep.client });
    const archive = await glacier.Vault('-', 'slow').uploadArchive({ body: data });
    const job = await archive.initiateArchiveRetrieval();
    await job.waitUntilCompleted();
    const target = { client: slow, accountId: '-', vaultName: 'slow', jobId: job.id };
    expectSteadyProgress(await timed((onProgress) => downloadJobOutput(target, join(dir, 'out.bin'), { onProgress })));
  });
});
