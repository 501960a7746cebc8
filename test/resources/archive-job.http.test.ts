/**
 * Archive and Job members over HTTP against the local endpoint, with the
 * real SDK client.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ResourceNotFoundException } from '@aws-sdk/client-glacier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Archive, Job, ResourceNotLoadedError, ValidationError, Vault, resource, treeHash, type ServiceResource } from '../../src/index.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

const MiB = 1024 * 1024;
let endpoint: TestEndpoint;
let glacier: ServiceResource;
let vault: Vault;
let dir: string;
const content = new Uint8Array(2 * MiB + 100).map((_, i) => (i * 7) % 256);

beforeAll(async () => {
  endpoint = await startTestEndpoint();
  glacier = resource({ client: endpoint.client });
  vault = await glacier.createVault({ vaultName: 'archive-job' });
  dir = mkdtempSync(join(tmpdir(), 'glacier-resources-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await endpoint.close();
});

async function readAll(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

class Collect extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }
}

describe('Archive over HTTP', () => {
  it('initiateArchiveRetrieval sends tier, range, description and SNS topic without losing Type or ArchiveId', async () => {
    const archive = await vault.uploadArchive({ body: content, archiveDescription: 'two megabytes and a bit' });
    const job = await archive.initiateArchiveRetrieval({
      tier: 'Bulk',
      range: { start: MiB, end: 2 * MiB - 1 },
      description: 'second megabyte',
      snsTopic: 'arn:aws:sns:us-east-1:123456789012:restores',
    });
    expect(job).toBeInstanceOf(Job);
    await job.load();
    expect(job.action).toBe('ArchiveRetrieval');
    expect(job.archiveId).toBe(archive.id);
    expect(job.tier).toBe('Bulk');
    expect(job.retrievalByteRange).toBe(`${MiB}-${2 * MiB - 1}`);
    expect(job.jobDescription).toBe('second megabyte');
    expect(job.snsTopic).toBe('arn:aws:sns:us-east-1:123456789012:restores');
    expect(job.archiveSizeInBytes).toBe(content.length);
    expect(job.archiveSha256TreeHash).toBe(treeHash(content));
    expect(job.sha256TreeHash).toBe(treeHash(content.subarray(MiB, 2 * MiB)));
    const output = await job.getOutput();
    expect((await readAll(output.body)).equals(Buffer.from(content.subarray(MiB, 2 * MiB)))).toBe(true);
    expect(output.checksum).toBe(treeHash(content.subarray(MiB, 2 * MiB)));
  });

  it('a range may end at the last byte, whether or not the archive size is known here', async () => {
    const archive = await vault.uploadArchive({ body: content });
    const job = await archive.initiateArchiveRetrieval({ range: `${2 * MiB}-${content.length - 1}` });
    const output = await job.getOutput();
    expect((await readAll(output.body)).length).toBe(100);
    // An Archive known only by its id: the range is sent, and Glacier checks its end.
    const byId = glacier.Archive('-', 'archive-job', archive.id);
    const last = await byId.initiateArchiveRetrieval({ range: `${2 * MiB}-${content.length - 1}` });
    expect((await readAll((await last.getOutput()).body)).length).toBe(100);
    await expect(byId.initiateArchiveRetrieval({ range: `${2 * MiB}-${content.length - 2}` })).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });

  it('download retrieves, waits and downloads to a file in one call', async () => {
    const archive = await vault.uploadArchive({ body: content });
    const path = join(dir, 'restored.bin');
    const polls: string[] = [];
    const result = await archive.download(path, { tier: 'Expedited', pollInterval: 5, onPoll: (j) => polls.push(String(j.statusCode)), chunkSize: MiB });
    expect(readFileSync(path).equals(Buffer.from(content))).toBe(true);
    expect(result.bytes).toBe(content.length);
    expect(result.treeHash).toBe(treeHash(content));
    expect(result.job).toBeInstanceOf(Job);
    expect(result.job.statusCode).toBe('Succeeded');
    expect(result.job.tier).toBe('Expedited');
    expect(polls.at(-1)).toBe('Succeeded');
    expect(result.reused).toBe(false);
    await expect(archive.download(path, { tire: 'Bulk' } as object)).rejects.toThrow(/no option 'tire'/);
  });

  it('download again reuses the retrieval job of the same archive and range', async () => {
    const archive = await vault.uploadArchive({ body: content });
    const path = join(dir, 'again.bin');
    const first = await archive.download(path, { pollInterval: 5 });
    const second = await archive.download(path, { pollInterval: 5 });
    expect(second.reused).toBe(true);
    expect(second.job.id).toBe(first.job.id);
    expect(readFileSync(path).equals(Buffer.from(content))).toBe(true);
    const fresh = await archive.download(path, { pollInterval: 5, reuseJob: false });
    expect(fresh.reused).toBe(false);
    expect(fresh.job.id).not.toBe(first.job.id);
    const ranged = await archive.download(join(dir, 'first-mib.bin'), { pollInterval: 5, range: { start: 0, end: MiB - 1 } });
    expect(ranged.reused).toBe(false);
    expect(ranged.bytes).toBe(MiB);
    const mine = (await vault.jobs.toArray()).filter((j) => j.archiveId === archive.id);
    expect(mine).toHaveLength(3);
  });

  it('download waits on a retrieval already in progress at the same tier', async () => {
    const slow = await startTestEndpoint({ jobDelay: 3600 });
    try {
      const g = resource({ client: slow.client });
      const v = await g.createVault({ vaultName: 'in-progress' });
      const archive = await v.uploadArchive({ body: 'wait for me' });
      const started = await archive.initiateArchiveRetrieval({ tier: 'Bulk' });
      const sink = new Collect();
      const result = await archive.download(sink, {
        tier: 'Bulk',
        pollInterval: 5,
        onPoll: (j) => {
          if (j.statusCode === 'InProgress') slow.server.clock.advance(3601_000);
        },
      });
      expect(result.reused).toBe(true);
      expect(result.job.id).toBe(started.id);
      expect(Buffer.concat(sink.chunks).toString()).toBe('wait for me');
      const other = await archive.initiateArchiveRetrieval({ tier: 'Bulk' });
      const expedited = await archive.download(new Collect(), {
        tier: 'Expedited',
        pollInterval: 5,
        reuseJob: true,
        onPoll: (j) => {
          if (j.statusCode === 'InProgress') slow.server.clock.advance(3601_000);
        },
      });
      expect(expedited.reused).toBe(true);
      expect(expedited.job.id).toBe(started.id); // the Succeeded one wins over any in progress
      expect(expedited.job.id).not.toBe(other.id);
    } finally {
      await slow.close();
    }
  });

  it('delete removes the archive (idempotently) and keeps its known data', async () => {
    const archive = await vault.uploadArchive({ body: 'short-lived' });
    const size = archive.size;
    await archive.delete();
    await archive.delete();
    expect(archive.size).toBe(size);
    await expect(archive.initiateArchiveRetrieval()).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(archive.initiateArchiveRetrieval()).rejects.toThrow(/^glacier\.Archive\(accountId='-', vaultName='archive-job', id='/);
  });

  it('Vault() and attributes without data', () => {
    const archive = glacier.Archive('-', 'archive-job', 'A1');
    expect(archive.Vault().equals(vault)).toBe(true);
    expect(() => archive.checksum).toThrow(ResourceNotLoadedError);
  });
});

describe('Job over HTTP', () => {
  it('load/reload and every attribute of an inventory job; getOutput; inventory(); archives()', async () => {
    const v = await glacier.createVault({ vaultName: 'inventoried' });
    const a = await v.uploadArchive({ body: 'first', archiveDescription: 'one' });
    const b = await v.uploadArchive({ body: 'second!', archiveDescription: 'two' });
    const job = await v.initiateInventoryRetrieval({ format: 'JSON', limit: 10, description: 'full list' });
    expect(() => job.statusCode).toThrow('await job.load()');
    expect(await job.reload()).toBe(job);
    expect(job.jobId).toBe(job.id);
    expect(job.action).toBe('InventoryRetrieval');
    expect(job.completed).toBe(true);
    expect(job.statusCode).toBe('Succeeded');
    expect(job.statusMessage).toBe('Succeeded');
    expect(job.completionDate).toMatch(/^\d{4}-/);
    expect(job.creationDate).toMatch(/^\d{4}-/);
    expect(job.inventoryRetrievalParameters).toMatchObject({ Format: 'JSON', Limit: '10' });
    expect(job.inventorySizeInBytes).toBeGreaterThan(0);
    expect(job.jobDescription).toBe('full list');
    expect(job.vaultArn).toBe('arn:aws:glacier:us-east-1:123456789012:vaults/inventoried');
    expect(job.archiveId).toBeUndefined();
    expect(job.archiveSizeInBytes).toBeUndefined();
    expect(job.archiveSha256TreeHash).toBeUndefined();
    expect(job.retrievalByteRange).toBeUndefined();
    expect(job.snsTopic).toBeUndefined();
    expect(job.tier).toBeUndefined();
    expect(job.jobOutputPath).toBeUndefined();
    expect(job.outputLocation).toBeUndefined();
    expect(job.selectParameters).toBeUndefined();
    expect(job.sha256TreeHash === undefined || /^[0-9a-f]{64}$/.test(job.sha256TreeHash)).toBe(true);

    const raw = JSON.parse((await readAll((await job.getOutput()).body)).toString('utf8')) as { ArchiveList: { ArchiveId: string }[] };
    expect(raw.ArchiveList.map((x) => x.ArchiveId).sort()).toEqual([a.id, b.id].sort());
    const firstBytes = await readAll((await job.getOutput({ range: 'bytes=0-9' })).body);
    expect(firstBytes.length).toBe(10);

    const reader = job.inventory();
    const records = [];
    for await (const record of reader) records.push(record);
    expect(records.map((r) => r.archiveDescription).sort()).toEqual(['one', 'two']);
    expect(reader.vaultArn).toBe('arn:aws:glacier:us-east-1:123456789012:vaults/inventoried');

    const archives: Archive[] = [];
    for await (const archive of job.archives()) archives.push(archive);
    const second = archives.find((x) => x.id === b.id);
    expect(second).toBeInstanceOf(Archive);
    expect(second?.size).toBe(7);
    expect(second?.checksum).toBe(b.checksum);
    expect(second?.description).toBe('two');
    expect(second?.creationDate).toMatch(/^\d{4}-/);
    expect(second?.equals(b)).toBe(true);
    expect(job.Vault().equals(v)).toBe(true);
  });

  it('reads a CSV inventory in the format the job asked for', async () => {
    const v = await glacier.createVault({ vaultName: 'csv-inventory' });
    await v.uploadArchive({ body: 'csv me', archiveDescription: 'with, a comma' });
    const job = await v.initiateInventoryRetrieval({ format: 'CSV' });
    expect(job.meta.data).toBeUndefined();
    const archives: Archive[] = [];
    for await (const archive of job.archives()) archives.push(archive);
    expect(archives.map((x) => x.description)).toEqual(['with, a comma']);
  });

  it('download writes the output to a stream, verified', async () => {
    const archive = await vault.uploadArchive({ body: content });
    const job = await archive.initiateArchiveRetrieval();
    const sink = new Collect();
    const result = await job.download(sink, { chunkSize: MiB, concurrency: 2 });
    expect(Buffer.concat(sink.chunks).equals(Buffer.from(content))).toBe(true);
    expect(result.treeHash).toBe(treeHash(content));
  });

  it('waitUntilCompleted polls until the endpoint finishes the job', async () => {
    const slow = await startTestEndpoint({ jobDelay: 3600 });
    try {
      const g = resource({ client: slow.client });
      const v = await g.createVault({ vaultName: 'slow' });
      const archive = await v.uploadArchive({ body: 'patience' });
      const job = await archive.initiateArchiveRetrieval({ tier: 'Standard' });
      const seen: string[] = [];
      await job.waitUntilCompleted({
        pollInterval: 5,
        onPoll: (j) => {
          seen.push(String(j.statusCode));
          if (seen.length === 2) slow.server.clock.advance(3601_000);
        },
      });
      expect(seen).toEqual(['InProgress', 'InProgress', 'Succeeded']);
      expect(job.completed).toBe(true);
      const output = await readAll((await job.getOutput()).body);
      expect(output.toString()).toBe('patience');
      await expect(job.waitUntilCompleted({ pollInterval: 5 })).resolves.toBe(job);

      const pending = await archive.initiateArchiveRetrieval();
      await expect(pending.waitUntilCompleted({ pollInterval: 5, maxWaitTime: 30 })).rejects.toThrow(/still InProgress/);
      const early = await pending.getOutput().catch((e: unknown) => e);
      expect((early as Error).name).toBe('InvalidParameterValueException');
      expect((early as Error).message).toMatch(/wait for it with job\.waitUntilCompleted\(\).*not currently available for download/);

      slow.server.clock.advance(48 * 3600_000);
      const expired = await job.getOutput().catch((e: unknown) => e);
      expect(expired).toBeInstanceOf(ResourceNotFoundException);
      expect((expired as Error).message).toMatch(/Glacier keeps a job for at least 24 hours/);
    } finally {
      await slow.close();
    }
  });

  it('validates getOutput ranges', async () => {
    const job = glacier.Job('-', 'archive-job', 'J');
    await expect(job.getOutput({ range: 'bytes=9-1' })).rejects.toBeInstanceOf(ValidationError);
    await expect(job.getOutput({ range: 'first-ten' })).rejects.toThrow(/bytes=start-end/);
  });
});

describe('retrieval refusals over HTTP', () => {
  it("names the account's data retrieval policy when it refuses a retrieval", async () => {
    const strict = await startTestEndpoint();
    try {
      const g = resource({ client: strict.client });
      const v = await g.createVault({ vaultName: 'policy-bound' });
      const archive = await v.uploadArchive({ body: content });
      await g.Account('-').setDataRetrievalPolicy({ Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: 1024 }] });
      const error = await archive.initiateArchiveRetrieval({ tier: 'Standard' }).catch((e: unknown) => e);
      expect((error as Error).name).toBe('PolicyEnforcedException');
      expect((error as Error).message).toMatch(/^glacier\.Archive\(.*\): the account's data retrieval policy refused this retrieval/);
    } finally {
      await strict.close();
    }
  });
});
