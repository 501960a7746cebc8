import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DownloadError, ValidationError } from '../../src/errors.js';
import { downloadJobOutput, type DownloadProgress } from '../../src/transfer/download.js';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { DEFAULT_INITIAL_CONCURRENCY } from '../../src/transfer/concurrency.js';
import { uploadArchive } from '../../src/transfer/upload.js';
import { checkDownloadProgress, startHarness, testBytes, type Harness } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'download-'));
const data = testBytes(5 * MiB + 4321, 3);
let h: Harness;
let archiveId: string;
let jobId: string;

beforeAll(async () => {
  h = await startHarness();
  archiveId = (await uploadArchive(h.target, { body: data })).archiveId;
  jobId = await h.retrieve(archiveId);
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  h.sent.length = 0;
  h.env.server.setFaults(undefined);
});

const source = () => ({ ...h.target, jobId });

class Collect extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.chunks.push(Buffer.from(chunk));
    setTimeout(cb, 1);
  }
  get bytes() {
    return Buffer.concat(this.chunks);
  }
}

describe('downloadJobOutput to a file', () => {
  it('fetches aligned ranges concurrently, verifies them and renames the .partial', async () => {
    const path = join(dir, 'whole.bin');
    const events: DownloadProgress[] = [];
    const result = await downloadJobOutput(source(), path, { chunkSize: MiB, concurrency: 3, onProgress: (p) => events.push(p) });
    expect(result).toEqual({ bytes: data.length, treeHash: treeHash(data), verified: true, path });
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(existsSync(`${path}.partial`)).toBe(false);
    expect(existsSync(`${path}.partial.json`)).toBe(false);
    expect(h.count('GetJobOutput')).toBe(6);
    expect(events.at(-1)).toEqual({ loaded: data.length, completed: data.length, total: data.length, concurrency: 3 });
    checkDownloadProgress(events, data.length, 6, false);
  });

  it('downloads ranged retrievals, saying whether Glacier gave checksums to verify them', async () => {
    const rangedJob = await h.retrieve(archiveId, `${MiB}-${3 * MiB - 1}`);
    const path = join(dir, 'ranged.bin');
    const result = await downloadJobOutput({ ...h.target, jobId: rangedJob }, path, { chunkSize: MiB });
    expect(result.bytes).toBe(2 * MiB);
    expect(result.treeHash).toBe(treeHash(data.subarray(MiB, 3 * MiB)));
    // 1-3 MiB of a 5 MiB archive is not tree-hash aligned: Glacier sends no checksum to check against.
    expect(result.verified).toBe(false);
    const alignedJob = await h.retrieve(archiveId, `${2 * MiB}-${4 * MiB - 1}`);
    const aligned = await downloadJobOutput({ ...h.target, jobId: alignedJob }, join(dir, 'aligned.bin'), { chunkSize: MiB });
    expect(aligned).toMatchObject({ bytes: 2 * MiB, treeHash: treeHash(data.subarray(2 * MiB, 4 * MiB)), verified: true });
    expect(readFileSync(path).equals(data.subarray(MiB, 3 * MiB))).toBe(true);
  });

  it('resumes from a .partial file, re-verifying what it holds and fetching only the rest', async () => {
    const path = join(dir, 'resumed.bin');
    const controller = new AbortController();
    const first = await downloadJobOutput(source(), path, {
      chunkSize: MiB,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.loaded >= 3 * MiB) controller.abort(new Error('interrupted'));
      },
    }).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(DownloadError);
    expect(existsSync(`${path}.partial`)).toBe(true);
    expect(existsSync(`${path}.partial.json`)).toBe(true);
    expect(existsSync(path)).toBe(false);
    const record = readFileSync(`${path}.partial.json`, 'utf8').trim().split('\n');
    expect(JSON.parse(record[0]!)).toMatchObject({ jobId, size: data.length, chunkSize: MiB });
    expect(record.slice(1)).toEqual([0, 1, 2].map((i) => `${i} ${treeHash(data.subarray(i * MiB, (i + 1) * MiB))}`));
    // A line torn by a crash is ignored.
    writeFileSync(`${path}.partial.json`, `${record.join('\n')}\n3 abc`);

    // Damage one verified chunk on disk: it must be fetched again, not trusted.
    const partial = readFileSync(`${path}.partial`);
    partial.writeUInt8(partial.readUInt8(MiB + 10) ^ 0xff, MiB + 10);
    writeFileSync(`${path}.partial`, partial);

    h.sent.length = 0;
    const events: DownloadProgress[] = [];
    const result = await downloadJobOutput(source(), path, { chunkSize: MiB, onProgress: (p) => events.push(p) });
    expect(result.treeHash).toBe(treeHash(data));
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(h.count('GetJobOutput')).toBe(4); // chunks 1 (damaged), 3, 4, 5
    // What the earlier run left and still verifies is reported as resumed, not as fetched now.
    expect(events[0]).toEqual({ loaded: 2 * MiB, completed: 2 * MiB, total: data.length, resumed: 2 * MiB, concurrency: expect.any(Number) });
    expect(events.at(-1)).toEqual({ loaded: data.length, completed: data.length, total: data.length, resumed: 2 * MiB, concurrency: expect.any(Number) });
    expect(result.resumed).toBe(2 * MiB);
  });

  it('resumes an intact .partial, fetching only the chunks it lacks', async () => {
    const path = join(dir, 'intact.bin');
    const controller = new AbortController();
    await downloadJobOutput(source(), path, {
      chunkSize: MiB,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.loaded >= 4 * MiB) controller.abort();
      },
    }).catch(() => undefined);
    h.sent.length = 0;
    const result = await downloadJobOutput(source(), path, { chunkSize: MiB });
    expect(result).toMatchObject({ treeHash: treeHash(data), verified: true });
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(h.count('GetJobOutput')).toBe(2);
  });

  it('ignores a record left by another job', async () => {
    const path = join(dir, 'other.bin');
    writeFileSync(`${path}.partial`, Buffer.alloc(100));
    writeFileSync(
      `${path}.partial.json`,
      `${JSON.stringify({ version: 2, jobId: 'another', size: 100, chunkSize: MiB, treeHash: null })}\n0 ${'a'.repeat(64)}\n`,
    );
    const result = await downloadJobOutput(source(), path, { chunkSize: MiB });
    expect(result.treeHash).toBe(treeHash(data));
    expect(h.count('GetJobOutput')).toBe(6);
  });
});

describe('downloadJobOutput to a Writable', () => {
  it('writes the chunks in order, honouring backpressure, and ends the stream', async () => {
    const sink = new Collect({ highWaterMark: 1024 });
    const result = await downloadJobOutput(source(), sink, { chunkSize: MiB, concurrency: 4 });
    expect(result.treeHash).toBe(treeHash(data));
    expect(result.path).toBeUndefined();
    expect(sink.bytes.equals(data)).toBe(true);
    expect(sink.writableFinished).toBe(true);
  });

  it('stops when the target stream fails', async () => {
    let writes = 0;
    const failing = new Writable({
      write(_chunk, _enc, cb) {
        writes++;
        cb(writes === 2 ? new Error('disk full') : null);
      },
    });
    failing.on('error', () => undefined);
    const error = (await downloadJobOutput(source(), failing, { chunkSize: MiB, concurrency: 2 }).catch((e: unknown) => e)) as DownloadError;
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toMatch(/disk full/);
  });

  it('leaves the stream open with end: false', async () => {
    const sink = new Collect();
    await downloadJobOutput(source(), sink, { chunkSize: 2 * MiB, end: false });
    expect(sink.writableEnded).toBe(false);
    expect(sink.bytes.equals(data)).toBe(true);
  });
});

describe('downloadJobOutput errors', () => {
  it('rejects bad options before any request', async () => {
    await expect(downloadJobOutput(source(), join(dir, 'x'), { chunkSize: 3 * MiB })).rejects.toBeInstanceOf(ValidationError);
    await expect(downloadJobOutput(source(), join(dir, 'x'), { concurrency: 0 })).rejects.toThrow(/concurrency/);
    await expect(downloadJobOutput(source(), '' as string)).rejects.toThrow(/file path or a Writable/);
    await expect(downloadJobOutput({ ...source(), jobId: '' }, join(dir, 'x'))).rejects.toThrow(/jobId/);
    expect(h.sent).toEqual([]);
  });

  it('refuses a misspelt option name, listing the valid ones, before any request', async () => {
    const error = await downloadJobOutput(source(), join(dir, 'x'), { chunksize: MiB } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).parameter).toBe('chunksize');
    expect((error as Error).message).toBe(
      "downloadJobOutput() has no option 'chunksize'; it takes chunkSize, concurrency, maxMemory, onProgress, signal, verify, retry, stallTimeout, end.",
    );
    expect(existsSync(join(dir, 'x.partial'))).toBe(false);
    expect(h.sent).toEqual([]);
  });

  it('explains an unknown or expired job', async () => {
    const error = (await downloadJobOutput({ ...source(), jobId: 'no-such-job' }, join(dir, 'y')).catch((e: unknown) => e)) as DownloadError;
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.jobId).toBe('no-such-job');
    expect(error.message).toMatch(/24 hours/);
  });

  it('refuses a job that has not finished', async () => {
    const { startHarness: start } = await import('./harness.js');
    const slow = await start({ jobDelay: 3600 });
    try {
      const id = (await uploadArchive(slow.target, { body: 'x' })).archiveId;
      const { InitiateJobCommand } = await import('@aws-sdk/client-glacier');
      const job = await slow.client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'transfer', jobParameters: { Type: 'archive-retrieval', ArchiveId: id } }));
      await expect(downloadJobOutput({ ...slow.target, jobId: job.jobId! }, join(dir, 'z'))).rejects.toThrow(/InProgress; wait/);
    } finally {
      await slow.close();
    }
  });

  it('cancels and retries a request that stalls', async () => {
    h.env.server.setFaults('GetJobOutput:1#1:slow:5000');
    const started = Date.now();
    const path = join(dir, 'stalled.bin');
    const result = await downloadJobOutput(source(), path, { chunkSize: 2 * MiB, stallTimeout: 300, retry: { minDelay: 1, maxDelay: 2 } });
    expect(result.treeHash).toBe(treeHash(data));
    expect(Date.now() - started).toBeLessThan(4500);
    expect(h.count('GetJobOutput')).toBe(4);
  });

  it('rejects a negative stallTimeout before any request', async () => {
    await expect(downloadJobOutput(source(), join(dir, 'x'), { stallTimeout: -1 })).rejects.toThrow(/stallTimeout/);
    expect(h.sent).toEqual([]);
  });

  it('gives up after the retries with the last error', async () => {
    h.env.server.setFaults('GetJobOutput:1:500');
    const error = (await downloadJobOutput(source(), join(dir, 'fail.bin'), { chunkSize: MiB, retry: { retries: 2, minDelay: 1, maxDelay: 2 } }).catch(
      (e: unknown) => e,
    )) as DownloadError;
    expect(error).toBeInstanceOf(DownloadError);
    // Each chunk in flight (the adaptive limit starts at 8) is tried at most 3 times.
    expect(h.count('GetJobOutput')).toBeLessThanOrEqual(3 * DEFAULT_INITIAL_CONCURRENCY);
    expect(existsSync(join(dir, 'fail.bin'))).toBe(false);
  });

  it('throws TreeHashMismatchError when every attempt is corrupted', async () => {
    h.env.server.setFaults('GetJobOutput:1:corrupt');
    await expect(downloadJobOutput(source(), join(dir, 'bad.bin'), { chunkSize: MiB, retry: { retries: 1, minDelay: 1, maxDelay: 2 } })).rejects.toMatchObject({
      name: 'TreeHashMismatchError',
    });
    expect(existsSync(join(dir, 'bad.bin'))).toBe(false);
  });
});
