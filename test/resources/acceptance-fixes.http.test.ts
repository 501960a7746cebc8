/**
 * Regressions found by acceptance testing, over HTTP against the local
 * endpoint: archive data given to `vault.Archive(id, data)`, a client without
 * a Region, the job waiter's timeout message, collection arguments, raw
 * jobParameters members the SDK would silently drop, and misspelt transfer
 * options.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError, WaitTimeoutError, resource, treeHash, type ServiceResource, type Vault } from '../../src/index.js';
import { TEST_CREDENTIALS, startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

let endpoint: TestEndpoint;
let glacier: ServiceResource;
let vault: Vault;

beforeAll(async () => {
  endpoint = await startTestEndpoint();
  glacier = resource({ client: endpoint.client });
  vault = await glacier.createVault({ vaultName: 'acceptance' });
});
afterAll(() => endpoint.close());

describe('vault.Archive(id, data)', () => {
  it('takes the records job.inventory() yields, whole or in part', async () => {
    const uploaded = await vault.uploadArchive({ body: 'inventory me', archiveDescription: 'note.txt' });
    const job = await vault.initiateInventoryRetrieval();
    await job.waitUntilCompleted({ pollInterval: 5 });
    const records = [];
    for await (const record of job.inventory()) records.push(record);
    const record = records.find((r) => r.archiveId === uploaded.id);
    expect(record).toBeDefined();

    const whole = vault.Archive(uploaded.id, record);
    expect([whole.size, whole.description, whole.checksum]).toEqual([12, 'note.txt', treeHash(Buffer.from('inventory me'))]);

    // A record kept elsewhere (a database, a CSV of one's own) often has only some members.
    const partial = vault.Archive(uploaded.id, { size: 12, archiveDescription: 'note.txt' });
    expect(partial.size).toBe(12);
    expect(partial.description).toBe('note.txt');
    expect(partial.checksum).toBeUndefined();

    // The size it carries lets a range end at the archive's last byte.
    const ranged = await partial.initiateArchiveRetrieval({ range: '0-11' });
    await ranged.load();
    expect(ranged.retrievalByteRange).toBe('0-11');
  });

  it('refuses members it does not know, a mix of both spellings, and values of the wrong type, before any request', () => {
    expect(() => vault.Archive('A1', { sizeInBytes: 5 } as never)).toThrow(ValidationError);
    expect(() => vault.Archive('A1', { sizeInBytes: 5 } as never)).toThrow(/'sizeInBytes'.*not archive data/);
    expect(() => vault.Archive('A1', { size: 5, ArchiveDescription: 'x' } as never)).toThrow(/'size'.*not a mix/);
    expect(() => vault.Archive('A1', { size: '5' } as never)).toThrow(/size must be a whole number of bytes/);
    expect(() => vault.Archive('A1', { Size: -1 })).toThrow(ValidationError);
    expect(() => vault.Archive('A1', { archiveId: 'B2', size: 5 } as never)).toThrow(/about archive B2/);
    expect(() => vault.Archive('A1', [] as never)).toThrow(ValidationError);
    // Glacier's own member names, and nothing at all, are still accepted.
    expect(vault.Archive('A1', { Size: 5, Location: '/x' }).size).toBe(5);
    expect(vault.Archive('A1', {}).size).toBeUndefined();
  });
});

describe('a client without a Region', () => {
  const saved: Record<string, string | undefined> = {};
  const names = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE'];
  beforeAll(() => {
    for (const name of names) saved[name] = process.env[name];
    for (const name of names) delete process.env[name];
    process.env.AWS_CONFIG_FILE = 'no-such-aws-config-file';
    process.env.AWS_SHARED_CREDENTIALS_FILE = 'no-such-aws-credentials-file';
  });
  afterAll(() => {
    for (const name of names) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('says how to set one, naming the resource, on a load, a collection and an upload', async () => {
    const noRegion = resource({ endpoint: endpoint.endpoint, credentials: TEST_CREDENTIALS });
    const vaultError = (await noRegion.Vault('-', 'acceptance').load().catch((e: unknown) => e)) as Error;
    expect(vaultError.message).toMatch(/^glacier\.Vault\(accountId='-', name='acceptance'\): no AWS Region is configured/);
    expect(vaultError.message).toMatch(/resource\(\{ region: .* AWS_REGION/);

    const listError = (await noRegion.vaults.toArray().catch((e: unknown) => e)) as Error;
    expect(listError.message).toMatch(/vaults: no AWS Region is configured/);

    const uploadError = (await noRegion.Vault('-', 'acceptance').uploadArchive({ body: 'x' }).catch((e: unknown) => e)) as Error;
    expect(uploadError.message).toMatch(/no AWS Region is configured/);
  });
});

describe('job.waitUntilCompleted()', () => {
  it('reports a short timeout in milliseconds, not as 0 s', async () => {
    const slow = await startTestEndpoint({ jobDelay: 3600 });
    try {
      const slowVault = await resource({ client: slow.client }).createVault({ vaultName: 'slow' });
      const job = await slowVault.initiateInventoryRetrieval();
      const error = (await job.waitUntilCompleted({ pollInterval: 10, maxWaitTime: 100 }).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(WaitTimeoutError);
      expect(error.message).toMatch(/was still InProgress after \d+ ms \(\d+ DescribeJob calls\)/);
      expect(error.message).not.toMatch(/after 0 s/);
    } finally {
      await slow.close();
    }
  });
});

describe('collection arguments', () => {
  it('filter() without parameters lists everything, as all() and boto3 do', async () => {
    const viaFilter = (await glacier.vaults.filter().toArray()).map(String);
    const viaAll = (await glacier.vaults.all().toArray()).map(String);
    expect(viaFilter).toEqual(viaAll);
    expect(viaFilter).toContain("glacier.Vault(accountId='-', name='acceptance')");
  });

  it('a bad limit(n) or pageSize(n) names the method and the value, before any request', () => {
    expect(() => glacier.vaults.limit(Infinity)).toThrow(/^limit\(n\) takes the most items to yield: an integer of at least 0, got Infinity\.$/);
    expect(() => glacier.vaults.limit(-1)).toThrow(/^limit\(n\) .* got -1\.$/);
    expect(() => vault.jobs.pageSize(0)).toThrow(/^pageSize\(n\) takes the items to ask for per request: an integer of at least 1, got 0\.$/);
    expect(() => vault.jobs.pageSize(Number.NaN)).toThrow(/got NaN/);
    expect(() => vault.jobs.pageSize('2' as never)).toThrow(/got "2"/);
    expect(() => vault.jobs.filter([] as never)).toThrow(ValidationError);
  });
});

describe('raw jobParameters', () => {
  it('refuses members the SDK would silently leave out, before any request', async () => {
    const archive = await vault.uploadArchive({ body: 'raw job parameters' });
    const before = (await vault.jobs.toArray()).length;
    // A lower-case tier would otherwise start a Standard retrieval, a misspelt range a whole-archive one.
    await expect(archive.initiateArchiveRetrieval({ jobParameters: { tier: 'Bulk' } as never })).rejects.toThrow(/'tier'.*silently leave out.*Tier/);
    await expect(archive.initiateArchiveRetrieval({ jobParameters: { Range: '0-1048575' } as never })).rejects.toThrow(ValidationError);
    await expect(archive.initiateArchiveRetrieval({ jobParameters: { OutputLocation: {} } })).rejects.toThrow(/select jobs/);
    await expect(
      vault.initiateInventoryRetrieval({ jobParameters: { InventoryRetrievalParameters: { limit: '5' } as never } }),
    ).rejects.toThrow(/InventoryRetrievalParameters has 'limit'/);
    await expect(vault.initiateInventoryRetrieval({ jobParameters: { InventoryRetrievalParameters: 'x' as never } })).rejects.toThrow(ValidationError);
    expect((await vault.jobs.toArray()).length).toBe(before);

    // Glacier's own member names still go through, merged with the typed options.
    const job = await archive.initiateArchiveRetrieval({ jobParameters: { Tier: 'Bulk', Description: 'raw', SNSTopic: undefined } });
    await job.load();
    expect([job.tier, job.jobDescription, job.archiveId]).toEqual(['Bulk', 'raw', archive.id]);
    const inventory = await vault.initiateInventoryRetrieval({ jobParameters: { Format: 'CSV', InventoryRetrievalParameters: { Limit: '5' } } });
    await inventory.load();
    expect(inventory.inventoryRetrievalParameters).toMatchObject({ Format: 'CSV', Limit: '5' });
  });
});

describe('transfer options', () => {
  it('vault.uploadArchive() refuses a misspelt option instead of uploading without it', async () => {
    const before = (await vault.jobs.toArray()).length;
    const uploads = async () => (await vault.multipartUploads.toArray()).length;
    const uploadsBefore = await uploads();
    await expect(vault.uploadArchive({ body: 'x', description: 'photos.tar' } as never)).rejects.toThrow(
      /vault\.uploadArchive\(\) has no option 'description'; it takes body, archiveDescription,/,
    );
    await expect(vault.uploadArchive({ body: Buffer.alloc(3 << 20), multipartThreshold: 1 << 20, partsize: 1 << 20 } as never)).rejects.toThrow(ValidationError);
    expect(await uploads()).toBe(uploadsBefore);
    expect((await vault.jobs.toArray()).length).toBe(before);
    const archive = await vault.uploadArchive({ body: 'x', archiveDescription: 'photos.tar', partSize: undefined });
    expect(archive.description).toBe('photos.tar');
  });

  it('job.download() refuses a misspelt option, and archive.download() takes every download option', async () => {
    const archive = await vault.uploadArchive({ body: 'download options', archiveDescription: 'd' });
    const job = await archive.initiateArchiveRetrieval();
    await job.waitUntilCompleted({ pollInterval: 5 });
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(Buffer.from(chunk));
        callback();
      },
    });
    await expect(job.download(sink, { chunksize: 1 << 20 } as never)).rejects.toThrow(/job\.download\(\) has no option 'chunksize'/);
    const result = await archive.download(sink, { stallTimeout: 60_000, pollInterval: 5 });
    expect(result.reused).toBe(true);
    expect(Buffer.concat(chunks).toString()).toBe('download options');
  });
});
