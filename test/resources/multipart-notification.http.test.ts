/**
 * MultipartUpload and Notification members over HTTP against the local
 * endpoint, with the real SDK client.
 */
import { ResourceNotFoundException } from '@aws-sdk/client-glacier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Archive,
  ResourceNotLoadedError,
  ValidationError,
  combineTreeHashes,
  resource,
  treeHash,
  type PolledJob,
  type ServiceResource,
  type Vault,
} from '../../src/index.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

const MiB = 1024 * 1024;
let endpoint: TestEndpoint;
let glacier: ServiceResource;
let vault: Vault;

beforeAll(async () => {
  endpoint = await startTestEndpoint();
  glacier = resource({ client: endpoint.client });
  vault = await glacier.createVault({ vaultName: 'multipart' });
});
afterAll(() => endpoint.close());

describe('MultipartUpload over HTTP', () => {
  it('uploadPart, parts() paginated (filling the attributes), complete → Archive', async () => {
    const data = new Uint8Array(3 * MiB + 5).map((_, i) => (i * 13) % 256);
    const upload = await vault.initiateMultipartUpload({ partSize: MiB, archiveDescription: 'by hand' });
    expect(() => upload.partSizeInBytes).toThrow(/vault\.multipartUploads/);
    const hashes: string[] = [];
    for (let start = 0, i = 0; start < data.length; start += MiB, i++) {
      const part = data.subarray(start, Math.min(start + MiB, data.length));
      const range = i % 2 === 0 ? `bytes ${start}-${start + part.length - 1}/*` : { start, end: start + part.length - 1 };
      const { checksum } = await upload.uploadPart({ range, body: part });
      expect(checksum).toBe(treeHash(part));
      hashes.push(treeHash(part));
    }
    const pages: number[] = [];
    for await (const page of upload.parts().pageSize(2).pages()) pages.push(page.length);
    expect(pages).toEqual([2, 2]);
    const parts = await upload.parts().toArray();
    expect(parts.map((p) => p.RangeInBytes)).toEqual([`0-${MiB - 1}`, `${MiB}-${2 * MiB - 1}`, `${2 * MiB}-${3 * MiB - 1}`, `${3 * MiB}-${3 * MiB + 4}`]);
    expect(parts.map((p) => p.SHA256TreeHash)).toEqual(hashes);
    expect(await upload.parts().limit(1).toArray()).toHaveLength(1);
    expect(upload.partSizeInBytes).toBe(MiB);
    expect(upload.archiveDescription).toBe('by hand');
    expect(upload.creationDate).toMatch(/^\d{4}-/);
    expect(upload.vaultArn).toBe('arn:aws:glacier:us-east-1:123456789012:vaults/multipart');
    expect(upload.multipartUploadId).toBe(upload.id);

    const checksum = combineTreeHashes(hashes);
    const archive = await upload.complete({ archiveSize: data.length, checksum });
    expect(archive).toBeInstanceOf(Archive);
    expect(archive.checksum).toBe(treeHash(data));
    expect(archive.size).toBe(data.length);
    expect(archive.description).toBe('by hand');
    expect(archive.location).toBe(`/123456789012/vaults/multipart/archives/${archive.id}`);
    expect(() => upload.partSizeInBytes).toThrow(ResourceNotLoadedError);
    const job = await archive.initiateArchiveRetrieval();
    const waited: PolledJob = await job.waitUntilCompleted({ pollInterval: 5 });
    expect(waited.statusCode).toBe('Succeeded');
    expect(job.archiveSha256TreeHash).toBe(treeHash(data));
  });

  it('abort discards the upload; listed uploads arrive loaded', async () => {
    const upload = await vault.initiateMultipartUpload({ partSize: 2 * MiB });
    const listed = (await vault.multipartUploads.toArray()).find((u) => u.equals(upload));
    expect(listed?.partSizeInBytes).toBe(2 * MiB);
    await upload.abort();
    expect((await vault.multipartUploads.toArray()).some((u) => u.equals(upload))).toBe(false);
    await expect(upload.parts().toArray()).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(upload.parts().toArray()).rejects.toThrow(/^glacier\.MultipartUpload\(.*\)\.parts\(\): /);
    expect(upload.Vault().equals(vault)).toBe(true);
  });

  it('validates parts and completion before any request', async () => {
    const upload = glacier.MultipartUpload('-', 'multipart', 'U1');
    await expect(upload.uploadPart({ range: 'bytes 0-9/*', body: new Uint8Array(5) })).rejects.toThrow(/5 bytes long/);
    await expect(upload.uploadPart({ range: '0-9', body: new Uint8Array(10) })).rejects.toThrow(/bytes start-end\/\*/);
    await expect(upload.complete({ archiveSize: 10, checksum: 'nothex' })).rejects.toBeInstanceOf(ValidationError);
    await expect(upload.complete({ archiveSize: 0, checksum: 'a'.repeat(64) })).rejects.toThrow(/archiveSize/);
  });
});

describe('Notification over HTTP', () => {
  it('set, load/reload with snsTopic and events, delete', async () => {
    const notification = vault.Notification();
    const topic = 'arn:aws:sns:us-east-1:123456789012:glacier-events';
    await notification.set({ snsTopic: topic, events: ['ArchiveRetrievalCompleted', 'InventoryRetrievalCompleted'] });
    expect(() => notification.snsTopic).toThrow('await notification.load()');
    expect(await notification.load()).toBe(notification);
    expect(notification.snsTopic).toBe(topic);
    expect(notification.events).toEqual(['ArchiveRetrievalCompleted', 'InventoryRetrievalCompleted']);
    await notification.set({ snsTopic: topic, events: ['InventoryRetrievalCompleted'] });
    await notification.reload();
    expect(notification.events).toEqual(['InventoryRetrievalCompleted']);
    await notification.delete();
    expect(() => notification.events).toThrow(ResourceNotLoadedError);
    await expect(notification.load()).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(notification.Vault().equals(vault)).toBe(true);
  });

  it('validates the configuration', async () => {
    const notification = vault.Notification();
    await expect(notification.set({ snsTopic: '', events: ['ArchiveRetrievalCompleted'] })).rejects.toBeInstanceOf(ValidationError);
    await expect(notification.set({ snsTopic: 'arn:x', events: [] })).rejects.toThrow(/non-empty list/);
    await expect(notification.set({ snsTopic: 'arn:x', events: ['JobDone' as 'ArchiveRetrievalCompleted'] })).rejects.toThrow(ValidationError);
  });
});
