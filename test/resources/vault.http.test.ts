/**
 * Vault, Account and ServiceResource members over HTTP against the local
 * endpoint, with the real SDK client.
 */
import { InvalidParameterValueException, ResourceNotFoundException } from '@aws-sdk/client-glacier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Account,
  Archive,
  Job,
  MultipartUpload,
  Notification,
  ResourceNotLoadedError,
  ServiceResource,
  ValidationError,
  Vault,
  resource,
  treeHash,
} from '../../src/index.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

let endpoint: TestEndpoint;
let glacier: ServiceResource;

beforeAll(async () => {
  endpoint = await startTestEndpoint();
  glacier = resource({ client: endpoint.client });
});
afterAll(() => endpoint.close());

describe('ServiceResource over HTTP', () => {
  it('createVault returns a Vault in the own account, and vaults lists it loaded', async () => {
    const vault = await glacier.createVault({ vaultName: 'svc-one' });
    expect(vault).toBeInstanceOf(Vault);
    expect(String(vault)).toBe("glacier.Vault(accountId='-', name='svc-one')");
    expect(vault.meta.data).toBeUndefined();
    const listed = (await glacier.vaults.toArray()).find((v) => v.name === 'svc-one');
    expect(listed?.vaultArn).toBe('arn:aws:glacier:us-east-1:123456789012:vaults/svc-one');
    expect(listed?.numberOfArchives).toBe(0);
    expect(listed?.equals(vault)).toBe(true);
  });

  it('makes every sub-resource without a request', () => {
    expect(glacier.Account('-')).toBeInstanceOf(Account);
    expect(glacier.Vault('-', 'svc-one')).toBeInstanceOf(Vault);
    expect(glacier.Archive('-', 'svc-one', 'a')).toBeInstanceOf(Archive);
    expect(glacier.Job('-', 'svc-one', 'j')).toBeInstanceOf(Job);
    expect(glacier.MultipartUpload('-', 'svc-one', 'u')).toBeInstanceOf(MultipartUpload);
    expect(glacier.Notification('-', 'svc-one')).toBeInstanceOf(Notification);
    expect(glacier.getAvailableSubresources()).toEqual(['Account', 'Archive', 'Job', 'MultipartUpload', 'Notification', 'Vault']);
    expect(glacier.meta.client).toBe(endpoint.client);
  });
});

describe('Account over HTTP', () => {
  it('createVault, vaults and Vault(name) in the account, by id or by -', async () => {
    const account = glacier.Account('123456789012');
    const vault = await account.createVault({ vaultName: 'acct-one' });
    expect(String(vault)).toBe("glacier.Vault(accountId='123456789012', name='acct-one')");
    const names = (await account.vaults.toArray()).map((v) => v.name);
    expect(names).toContain('acct-one');
    expect((await glacier.Account('-').vaults.toArray()).map((v) => v.name)).toEqual(names);
    const loaded = await account.Vault('acct-one').load();
    expect(loaded.vaultName).toBe('acct-one');
  });

  it('gets and sets the data retrieval policy', async () => {
    const account = glacier.Account('-');
    await account.setDataRetrievalPolicy({ Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: 10_737_418_240 }] });
    expect(await account.getDataRetrievalPolicy()).toEqual({ Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: 10_737_418_240 }] });
    await account.setDataRetrievalPolicy({ Rules: [{ Strategy: 'FreeTier' }] });
    expect((await account.getDataRetrievalPolicy()).Rules?.[0]?.Strategy).toBe('FreeTier');
    await expect(account.setDataRetrievalPolicy({ Rules: [{ Strategy: 'BytesPerHour' }] })).rejects.toBeInstanceOf(ValidationError);
    await expect(account.setDataRetrievalPolicy({ Rules: [] })).rejects.toThrow(/exactly one rule/);
  });

  it('purchases and lists provisioned capacity', async () => {
    const account = glacier.Account('-');
    const before = await account.listProvisionedCapacity();
    const capacityId = await account.purchaseProvisionedCapacity();
    expect(capacityId).toMatch(/\S/);
    const after = await account.listProvisionedCapacity();
    expect(after).toHaveLength(before.length + 1);
    expect(after.map((u) => u.CapacityId)).toContain(capacityId);
    expect(after.find((u) => u.CapacityId === capacityId)?.ExpirationDate).toBeDefined();
  });
});

describe('Vault over HTTP', () => {
  it('create, load/reload and every attribute', async () => {
    const vault = glacier.Vault('-', 'attrs');
    expect(() => vault.creationDate).toThrow(ResourceNotLoadedError);
    expect(await vault.create()).toBe(vault);
    expect(await vault.load()).toBe(vault);
    expect(vault.vaultArn).toBe('arn:aws:glacier:us-east-1:123456789012:vaults/attrs');
    expect(vault.vaultName).toBe('attrs');
    expect(vault.creationDate).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(vault.lastInventoryDate === undefined || typeof vault.lastInventoryDate === 'string').toBe(true);
    expect(vault.numberOfArchives).toBe(0);
    expect(vault.sizeInBytes).toBe(0);
    await vault.uploadArchive({ body: 'hello' });
    expect(() => vault.numberOfArchives).toThrow(ResourceNotLoadedError);
    await vault.reload();
    expect(vault.numberOfArchives).toBe(1);
    expect(vault.sizeInBytes).toBe(5);
  });

  it('uploadArchive returns an Archive that keeps the checksum, size, location and description', async () => {
    const vault = await glacier.createVault({ vaultName: 'uploads' });
    const body = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => i % 251);
    const archive = await vault.uploadArchive({ body, archiveDescription: 'three megabytes', multipartThreshold: 1024 * 1024, partSize: 1024 * 1024 });
    expect(archive).toBeInstanceOf(Archive);
    expect(archive.checksum).toBe(treeHash(body));
    expect(archive.size).toBe(body.length);
    expect(archive.description).toBe('three megabytes');
    expect(archive.location).toBe(`/123456789012/vaults/uploads/archives/${archive.id}`);
    expect(archive.creationDate).toBeUndefined();
    expect(archive.vaultName).toBe('uploads');
  });

  it('delete explains a vault that is not empty, and deletes an empty one', async () => {
    const vault = await glacier.createVault({ vaultName: 'to-delete' });
    const archive = await vault.uploadArchive({ body: 'x' });
    const error = await vault.delete().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidParameterValueException);
    expect((error as Error).message).toMatch(/^glacier\.Vault\(accountId='-', name='to-delete'\): Glacier deletes a vault only when/);
    await archive.delete();
    await vault.delete();
    await expect(vault.load()).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(vault.load()).rejects.toThrow(/^glacier\.Vault\(accountId='-', name='to-delete'\): /);
  });

  it('initiateInventoryRetrieval returns a Job, and initiateMultipartUpload a MultipartUpload', async () => {
    const vault = await glacier.createVault({ vaultName: 'initiates' });
    await vault.load();
    const job = await vault.initiateInventoryRetrieval({ format: 'CSV', description: 'inventory please' });
    expect(job).toBeInstanceOf(Job);
    expect(job.vaultName).toBe('initiates');
    expect(() => vault.numberOfArchives).toThrow(ResourceNotLoadedError);
    await job.load();
    expect(job.action).toBe('InventoryRetrieval');
    expect(job.jobDescription).toBe('inventory please');
    expect(job.inventoryRetrievalParameters?.Format).toBe('CSV');
    const upload = await vault.initiateMultipartUpload({ partSize: '1048576', archiveDescription: 'parts' });
    expect(upload).toBeInstanceOf(MultipartUpload);
    const [listed] = await vault.multipartUploads.toArray();
    expect(listed?.equals(upload)).toBe(true);
    expect(listed?.partSizeInBytes).toBe(1048576);
    expect(listed?.archiveDescription).toBe('parts');
    await expect(vault.initiateMultipartUpload({ partSize: 3 * 1024 * 1024 })).rejects.toThrow(/power of two/);
  });

  it('job collections list the jobs by status', async () => {
    const slow = await startTestEndpoint({ jobDelay: { inventory: 3600, Standard: 0 } });
    try {
      const g = resource({ client: slow.client });
      const vault = await g.createVault({ vaultName: 'jobs' });
      const archive = await vault.uploadArchive({ body: 'data' });
      const retrieval = await archive.initiateArchiveRetrieval();
      const inventory = await vault.initiateInventoryRetrieval();
      const ids = async (c: AsyncIterable<Job>) => {
        const out: string[] = [];
        for await (const j of c) out.push(j.id);
        return out.sort();
      };
      expect(await ids(vault.jobs)).toEqual([retrieval.id, inventory.id].sort());
      expect(await ids(vault.succeededJobs)).toEqual([retrieval.id]);
      expect(await ids(vault.completedJobs)).toEqual([retrieval.id]);
      expect(await ids(vault.jobsInProgress)).toEqual([inventory.id]);
      expect(await ids(vault.failedJobs)).toEqual([]);
      expect(await ids(vault.jobs.filter({ completed: false }))).toEqual([inventory.id]);
      const [fromList] = await vault.jobsInProgress.toArray();
      expect(fromList?.statusCode).toBe('InProgress');
      expect(fromList?.completed).toBe(false);
    } finally {
      await slow.close();
    }
  });

  it('multipartUploads and its deprecated alias multipartUplaods', async () => {
    const vault = await glacier.createVault({ vaultName: 'mpu-list' });
    const a = await vault.initiateMultipartUpload({ partSize: 1048576 });
    const b = await vault.initiateMultipartUpload({ partSize: 2097152 });
    const ids = (await vault.multipartUploads.toArray()).map((u) => u.id).sort();
    expect(ids).toEqual([a.id, b.id].sort());
    expect((await vault.multipartUplaods.toArray()).map((u) => u.id).sort()).toEqual(ids);
    expect(await vault.multipartUploads.pageSize(1).limit(1).toArray()).toHaveLength(1);
  });

  it('waitUntilExists and waitUntilNotExists', async () => {
    const vault = glacier.Vault('-', 'waited');
    const waiting = vault.waitUntilExists({ delay: 20, maxAttempts: 500 });
    await new Promise((r) => setTimeout(r, 30));
    await vault.create();
    expect((await waiting).numberOfArchives).toBe(0);
    expect(vault.vaultArn).toBe('arn:aws:glacier:us-east-1:123456789012:vaults/waited');
    await expect(glacier.Vault('-', 'never-made').waitUntilExists({ delay: 10, maxAttempts: 2 })).rejects.toThrow(/did not come to exist/);
    const gone = vault.waitUntilNotExists({ delay: 20, maxAttempts: 500 });
    await vault.delete();
    await gone;
  });

  it('a 403 from another account ends the wait at once', async () => {
    const other = glacier.Vault('999999999999', 'not-mine');
    const started = Date.now();
    const error = await other.waitUntilExists({ delay: 5000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((error as Error).name).toBe('AccessDeniedException');
    expect((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
    expect((error as Error).message).toMatch(/^glacier\.Vault\(accountId='999999999999', name='not-mine'\): /);
  });

  it('tags: addTags, listTags, removeTags', async () => {
    const vault = await glacier.createVault({ vaultName: 'tagged' });
    await vault.addTags({ owner: 'ops', tier: 'cold' });
    expect(await vault.listTags()).toEqual({ owner: 'ops', tier: 'cold' });
    await vault.removeTags(['tier']);
    expect(await vault.listTags()).toEqual({ owner: 'ops' });
    await expect(vault.addTags(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])))).rejects.toThrow(/at most 10/);
    await expect(vault.removeTags([])).rejects.toBeInstanceOf(ValidationError);
  });

  it('access policy: setAccessPolicy, getAccessPolicy, deleteAccessPolicy', async () => {
    const vault = await glacier.createVault({ vaultName: 'policed' });
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'deny-delete', Effect: 'Deny', Principal: '*', Action: 'glacier:DeleteArchive', Resource: 'arn:aws:glacier:us-east-1:123456789012:vaults/policed' }],
    };
    await vault.setAccessPolicy(policy);
    expect(JSON.parse((await vault.getAccessPolicy()) ?? '{}')).toEqual(policy);
    await vault.deleteAccessPolicy();
    await expect(vault.getAccessPolicy()).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(vault.setAccessPolicy('')).rejects.toBeInstanceOf(ValidationError);
  });

  it('vault lock: initiateLock, getLock, abortLock, completeLock', async () => {
    const vault = await glacier.createVault({ vaultName: 'locked' });
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'keep', Effect: 'Deny', Principal: '*', Action: 'glacier:DeleteArchive', Resource: 'arn:aws:glacier:us-east-1:123456789012:vaults/locked' }],
    });
    const first = await vault.initiateLock(policy);
    expect(first).toMatch(/\S/);
    expect((await vault.getLock()).State).toBe('InProgress');
    await vault.abortLock();
    await expect(vault.getLock()).rejects.toBeInstanceOf(ResourceNotFoundException);
    const lockId = await vault.initiateLock(policy);
    await vault.completeLock(lockId);
    const lock = await vault.getLock();
    expect(lock.State).toBe('Locked');
    expect(JSON.parse(lock.Policy ?? '{}')).toEqual(JSON.parse(policy));
    await expect(vault.completeLock('')).rejects.toBeInstanceOf(ValidationError);
  });

  it('Account(), Archive(id, record), Job(id), MultipartUpload(id) and Notification() sub-resources', () => {
    const vault = glacier.Vault('123456789012', 'subs');
    expect(vault.Account().equals(glacier.Account('123456789012'))).toBe(true);
    const archive = vault.Archive('A1', {
      archiveId: 'A1',
      archiveDescription: 'from inventory',
      creationDate: '2024-01-01T00:00:00Z',
      size: 10,
      sha256TreeHash: 'ab'.repeat(32),
    });
    expect([archive.size, archive.description, archive.checksum, archive.creationDate, archive.location]).toEqual([
      10,
      'from inventory',
      'ab'.repeat(32),
      '2024-01-01T00:00:00Z',
      undefined,
    ]);
    expect(vault.Archive('A2', { Size: 3 }).size).toBe(3);
    expect(vault.Job('J').equals(glacier.Job('123456789012', 'subs', 'J'))).toBe(true);
    expect(vault.MultipartUpload('U').equals(glacier.MultipartUpload('123456789012', 'subs', 'U'))).toBe(true);
    expect(vault.Notification().equals(glacier.Notification('123456789012', 'subs'))).toBe(true);
  });
});
