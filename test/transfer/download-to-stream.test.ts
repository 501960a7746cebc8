import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadJobOutput } from '../../src/transfer/download.js';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { uploadArchive } from '../../src/transfer/upload.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { CreateVaultCommand, InitiateJobCommand } from '@aws-sdk/client-glacier';

/**
 * A Writable target may keep the chunks it is given after their write callback
 * (a PassThrough read later, a consumer collecting chunks, an S3 upload body).
 * The downloader must never reuse such a buffer for a later chunk.
 */
describe('download to a caller-owned stream', () => {
  let ep: TestEndpoint;
  let jobId: string;
  const data = randomBytes(9 * MiB + 321);
  const vaultName = 'stream-ownership';

  beforeAll(async () => {
    ep = await startTestEndpoint();
    await ep.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const target = { client: ep.client, accountId: '-', vaultName };
    const archive = await uploadArchive(target, { body: data, partSize: MiB });
    const job = await ep.client.send(
      new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archive.archiveId } }),
    );
    jobId = job.jobId!;
  });
  afterAll(() => ep.close());

  it('delivers the exact bytes to a PassThrough read only after the download', async () => {
    const pass = new PassThrough({ highWaterMark: 64 * MiB });
    const collected = buffer(pass);
    const result = await downloadJobOutput({ client: ep.client, accountId: '-', vaultName, jobId }, pass, { chunkSize: MiB, concurrency: 3 });
    const bytes = await collected;
    expect(result.bytes).toBe(data.length);
    expect(bytes.length).toBe(data.length);
    expect(treeHash(bytes)).toBe(treeHash(data));
    expect(bytes.equals(data)).toBe(true);
  });

  it('never overwrites a chunk a Writable kept after its callback', async () => {
    const kept: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        kept.push(chunk);
        callback();
      },
    });
    await downloadJobOutput({ client: ep.client, accountId: '-', vaultName, jobId }, sink, { chunkSize: MiB, concurrency: 4 });
    expect(Buffer.concat(kept).equals(data)).toBe(true);
  });
});
