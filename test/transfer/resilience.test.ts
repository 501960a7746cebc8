/**
 * Resilience against the endpoint's fault injection: 10% of part uploads and
 * of output GETs fail in each way (plus one guaranteed fault, so every kind
 * is exercised whatever the seed). In every case the stored archive's tree
 * hash equals the file's, no multipart upload is left behind, progress ends
 * exactly at the total, and damaged chunks are caught and fetched again.
 */
import { DescribeJobCommand } from '@aws-sdk/client-glacier';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { downloadJobOutput, type DownloadProgress } from '../../src/transfer/download.js';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { uploadArchive, type UploadProgress } from '../../src/transfer/upload.js';
import { checkDownloadProgress, checkUploadProgress, startHarness, testBytes } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'resilience-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = testBytes(12 * MiB + 777, 21);
const file = join(dir, 'data.bin');
writeFileSync(file, data);
const expected = treeHash(data);
const PARTS = 13;
const retry = { retries: 8, minDelay: 1, maxDelay: 10 };

function spec(operation: string, kind: string): string {
  return `${operation}:1#1:${kind},${operation}:0.1:${kind}`;
}


/**
 * Downloads the job's output to a file under fault injection and checks it:
 * the tree hash, the bytes, exact progress, and that failed or damaged
 * chunks were fetched again.
 */
async function downloadAndVerify(h: Awaited<ReturnType<typeof startHarness>>, jobId: string, name: string): Promise<void> {
  const down: DownloadProgress[] = [];
  const path = join(dir, name);
  const result = await downloadJobOutput({ ...h.target, jobId }, path, { chunkSize: MiB, concurrency: 4, retry, onProgress: (p) => down.push(p) });
  expect(result.treeHash).toBe(expected);
  expect(readFileSync(path).equals(data)).toBe(true);
  checkDownloadProgress(down, data.length, PARTS, true);
  expect(h.count('GetJobOutput')).toBeGreaterThan(PARTS);
}

describe.each(['500', '503', 'throttle', '408', 'drop'])('with 10%% of requests failing: %s', (kind) => {
  it('uploads and downloads intact, leaving no multipart upload behind', async () => {
    const h = await startHarness({ faults: `${spec('UploadMultipartPart', kind)},${spec('GetJobOutput', kind)}`, seed: 7 });
    try {
      const up: UploadProgress[] = [];
      const archive = await uploadArchive(h.target, { body: createReadStream(file), partSize: MiB, concurrency: 4, multipartThreshold: MiB, retry, onProgress: (p) => up.push(p) });
      expect(archive.checksum).toBe(expected);
      checkUploadProgress(up, data.length, PARTS, true);
      expect(up.at(-1)).toMatchObject({ partsTotal: PARTS });
      expect(h.count('UploadMultipartPart')).toBeGreaterThan(PARTS);
      expect(await h.openUploads()).toBe(0);

      const jobId = await h.retrieve(archive.archiveId);
      const job = await h.env.client.send(new DescribeJobCommand({ accountId: '-', vaultName: 'transfer', jobId }));
      expect(job.ArchiveSHA256TreeHash).toBe(expected);

      await downloadAndVerify(h, jobId, `out-${kind}.bin`);
    } finally {
      await h.close();
    }
  });
});

describe('with 10% of output GETs corrupted', () => {
  it('catches each corrupted chunk and fetches it again', async () => {
    const h = await startHarness({ seed: 3 });
    try {
      const archive = await uploadArchive(h.target, { body: data });
      const jobId = await h.retrieve(archive.archiveId);
      h.env.server.setFaults(spec('GetJobOutput', 'corrupt'));
      h.sent.length = 0;
      await downloadAndVerify(h, jobId, 'out-corrupt.bin');
    } finally {
      await h.close();
    }
  });

  it('catches corruption in a Writable download too, writing only verified bytes', async () => {
    const h = await startHarness({ seed: 5 });
    try {
      const archive = await uploadArchive(h.target, { body: data });
      const jobId = await h.retrieve(archive.archiveId);
      h.env.server.setFaults(spec('GetJobOutput', 'corrupt'));
      const { Writable } = await import('node:stream');
      const chunks: Buffer[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _enc, cb) {
          chunks.push(Buffer.from(chunk));
          cb();
        },
      });
      const result = await downloadJobOutput({ ...h.target, jobId }, sink, { chunkSize: MiB, retry });
      expect(result.treeHash).toBe(expected);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
    } finally {
      await h.close();
    }
  });
});
