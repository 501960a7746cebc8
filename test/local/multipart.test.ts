import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DescribeVaultCommand,
  InitiateJobCommand,
  GetJobOutputCommand,
  InitiateMultipartUploadCommand,
  InvalidParameterValueException,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  MissingParameterValueException,
  paginateListParts,
  ResourceNotFoundException,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { bytes, rawRequest, rejection } from './util.js';

let t: TestEndpoint;
const vaultName = 'mp';
beforeAll(async () => {
  t = await startTestEndpoint();
  await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
});
afterAll(async () => t.close());

async function initiate(partSize = MiB, archiveDescription = 'multipart'): Promise<string> {
  const out = await t.client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(partSize), archiveDescription }));
  return out.uploadId!;
}

function part(uploadId: string, data: Buffer, start: number, checksum?: string) {
  return t.client.send(
    new UploadMultipartPartCommand({ accountId: '-', vaultName, uploadId, range: `bytes ${start}-${start + data.length - 1}/*`, body: data, ...(checksum ? { checksum } : {}) }),
  );
}

describe('InitiateMultipartUpload', () => {
  it('answers 201 with Location and an opaque upload id', async () => {
    const out = await t.client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(MiB) }));
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.uploadId).toMatch(/^[A-Za-z0-9_-]{80,}$/);
    expect(out.location).toBe(`/123456789012/vaults/mp/multipart-uploads/${out.uploadId}`);
  });

  it('accepts part sizes of 1 MiB x 2^n up to 4 GiB and nothing else', async () => {
    for (const size of [MiB, 2 * MiB, 64 * MiB, 4096 * MiB]) await initiate(size);
    for (const size of [0, MiB - 1, 3 * MiB, 8192 * MiB, 1.5 * MiB]) {
      const err = await rejection(t.client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(size) })));
      expect(err, String(size)).toBeInstanceOf(InvalidParameterValueException);
    }
    const missing = await rawRequest(t.endpoint, 'POST', '/-/vaults/mp/multipart-uploads');
    expect(missing.status).toBe(400);
    expect(missing.json().code).toBe('MissingParameterValueException');
  });
});

describe('UploadMultipartPart', () => {
  it('checks the range: a multiple of the part size, at most one part', async () => {
    const uploadId = await initiate(MiB);
    for (const [start, size] of [
      [1, 100],
      [MiB / 2, MiB / 2],
      [0, MiB + 1],
    ] as const) {
      const err = await rejection(part(uploadId, bytes(size), start));
      expect(err, `${start}+${size}`).toBeInstanceOf(InvalidParameterValueException);
    }
    const noRange = await rejection(t.client.send(new UploadMultipartPartCommand({ accountId: '-', vaultName, uploadId, body: bytes(10) })));
    expect(noRange).toBeInstanceOf(MissingParameterValueException);
    const list = await t.client.send(new ListPartsCommand({ accountId: '-', vaultName, uploadId }));
    expect(list.Parts).toEqual([]);
  });

  it('checks the part hashes and stores nothing on mismatch', async () => {
    const uploadId = await initiate(MiB);
    const err = await rejection(part(uploadId, bytes(MiB), 0, '00'.repeat(32)));
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect((await t.client.send(new ListPartsCommand({ accountId: '-', vaultName, uploadId }))).Parts).toEqual([]);
  });

  it('answers 204 with the part tree hash; re-sending a range replaces it', async () => {
    const uploadId = await initiate(MiB);
    const first = bytes(MiB);
    const out = await part(uploadId, first, 0);
    expect(out.$metadata.httpStatusCode).toBe(204);
    expect(out.checksum).toBe(treeHash(first));
    const second = bytes(MiB);
    await part(uploadId, second, 0);
    const list = await t.client.send(new ListPartsCommand({ accountId: '-', vaultName, uploadId }));
    expect(list.Parts).toEqual([{ RangeInBytes: `0-${MiB - 1}`, SHA256TreeHash: treeHash(second) }]);
  });

  it('answers 404 for an unknown upload id', async () => {
    const err = await rejection(t.client.send(new UploadMultipartPartCommand({ accountId: '-', vaultName, uploadId: 'nope', range: 'bytes 0-9/*', body: bytes(10) })));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('ListParts and ListMultipartUploads', () => {
  it('ListParts returns the upload fields and pages', async () => {
    const uploadId = await initiate(MiB, 'paged parts');
    const data = bytes(5 * MiB);
    for (let i = 0; i < 5; i++) await part(uploadId, data.subarray(i * MiB, (i + 1) * MiB), i * MiB);
    const first = await t.client.send(new ListPartsCommand({ accountId: '-', vaultName, uploadId, limit: 2 }));
    expect(first.MultipartUploadId).toBe(uploadId);
    expect(first.ArchiveDescription).toBe('paged parts');
    expect(first.PartSizeInBytes).toBe(MiB);
    expect(first.VaultARN).toBe('arn:aws:glacier:us-east-1:123456789012:vaults/mp');
    expect(first.CreationDate).toMatch(/\.\d{3}Z$/);
    expect(first.Parts).toHaveLength(2);
    expect(first.Marker).toEqual(expect.any(String));
    const ranges: string[] = [];
    for await (const page of paginateListParts({ client: t.client, pageSize: 2 }, { accountId: '-', vaultName, uploadId })) {
      ranges.push(...page.Parts!.map((p) => p.RangeInBytes!));
    }
    expect(ranges).toEqual([0, 1, 2, 3, 4].map((i) => `${i * MiB}-${(i + 1) * MiB - 1}`));
  });

  it('ListMultipartUploads lists uploads of the vault and pages', async () => {
    const fresh = await startTestEndpoint();
    try {
      await fresh.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'u' }));
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await fresh.client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'u', partSize: String(2 * MiB), archiveDescription: `d${i}` }))).uploadId!);
      }
      const page1 = await fresh.client.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: 'u', limit: 2 }));
      expect(page1.UploadsList).toHaveLength(2);
      expect(page1.UploadsList![0]).toMatchObject({ PartSizeInBytes: 2 * MiB, VaultARN: 'arn:aws:glacier:us-east-1:123456789012:vaults/u' });
      const page2 = await fresh.client.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: 'u', limit: 2, marker: page1.Marker }));
      expect(page2.UploadsList).toHaveLength(1);
      expect(page2.Marker).toBeUndefined();
      expect([...page1.UploadsList!, ...page2.UploadsList!].map((u) => u.MultipartUploadId).sort()).toEqual([...ids].sort());
      const all = await fresh.client.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: 'u' }));
      expect(all.UploadsList).toHaveLength(3);
    } finally {
      await fresh.close();
    }
  });
});

describe('CompleteMultipartUpload', () => {
  it('assembles the parts, sent in any order, into an archive with the right tree hash and bytes', async () => {
    const data = bytes(2 * MiB * 2 + 12345);
    const uploadId = await initiate(2 * MiB);
    const starts = [4 * MiB, 0, 2 * MiB];
    await Promise.all(starts.map((s) => part(uploadId, data.subarray(s, Math.min(s + 2 * MiB, data.length)), s)));
    const out = await t.client.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName, uploadId, archiveSize: String(data.length), checksum: treeHash(data) }));
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.checksum).toBe(treeHash(data));
    expect(out.location).toBe(`/123456789012/vaults/mp/archives/${out.archiveId}`);
    const job = await t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: out.archiveId } }));
    const body = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId }));
    expect(Buffer.from(await body.body!.transformToByteArray()).equals(data)).toBe(true);
    expect(body.checksum).toBe(treeHash(data));
    const gone = await rejection(t.client.send(new ListPartsCommand({ accountId: '-', vaultName, uploadId })));
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
  });

  it('a retried Complete returns the same archive', async () => {
    const data = bytes(1000);
    const uploadId = await initiate(MiB);
    await part(uploadId, data, 0);
    const input = { vaultName, uploadId, archiveSize: String(data.length), checksum: treeHash(data) };
    const a = await t.client.send(new CompleteMultipartUploadCommand({ accountId: '-', ...input }));
    const b = await t.client.send(new CompleteMultipartUploadCommand({ accountId: '-', ...input }));
    expect(b.archiveId).toBe(a.archiveId);
  });

  it('refuses a missing part, a wrong size, a wrong tree hash and a short middle part', async () => {
    const data = bytes(3 * MiB);
    const uploadId = await initiate(MiB);
    await part(uploadId, data.subarray(0, MiB), 0);
    await part(uploadId, data.subarray(2 * MiB), 2 * MiB);
    const missing = await rejection(t.client.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName, uploadId, archiveSize: String(3 * MiB), checksum: treeHash(data) })));
    expect(missing).toBeInstanceOf(InvalidParameterValueException);
    expect(missing.message).toMatch(/missing/);
    await part(uploadId, data.subarray(MiB, 2 * MiB), MiB);
    const size = await rejection(t.client.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName, uploadId, archiveSize: String(3 * MiB + 1), checksum: treeHash(data) })));
    expect(size).toBeInstanceOf(InvalidParameterValueException);
    const hash = await rejection(t.client.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName, uploadId, archiveSize: String(3 * MiB), checksum: 'ef'.repeat(32) })));
    expect(hash).toBeInstanceOf(InvalidParameterValueException);
    expect(hash.message).toMatch(/Checksum mismatch/);
    await part(uploadId, data.subarray(MiB, MiB + 10), MiB);
    const short = await rejection(t.client.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName, uploadId, archiveSize: String(2 * MiB + 10), checksum: treeHash(data) })));
    expect(short).toBeInstanceOf(InvalidParameterValueException);
    await part(uploadId, data.subarray(MiB, 2 * MiB), MiB);
    const ok = await t.client.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName, uploadId, archiveSize: String(3 * MiB), checksum: treeHash(data) }));
    expect(ok.checksum).toBe(treeHash(data));
  });

  it('needs x-amz-archive-size and the tree hash', async () => {
    const uploadId = await initiate(MiB);
    const res = await rawRequest(t.endpoint, 'POST', `/-/vaults/mp/multipart-uploads/${uploadId}`, { headers: { 'x-amz-sha256-tree-hash': 'ab'.repeat(32) } });
    expect(res.status).toBe(400);
    expect(res.json().code).toBe('MissingParameterValueException');
  });
});

describe('AbortMultipartUpload', () => {
  it('removes the upload and its parts; a repeated abort succeeds for an hour, a completed upload cannot be aborted', async () => {
    const before = (await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }))).NumberOfArchives;
    const uploadId = await initiate(MiB);
    await part(uploadId, bytes(100), 0);
    const out = await t.client.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName, uploadId }));
    expect(out.$metadata.httpStatusCode).toBe(204);
    expect(await rejection(t.client.send(new ListPartsCommand({ accountId: '-', vaultName, uploadId })))).toBeInstanceOf(ResourceNotFoundException);
    const again = await t.client.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName, uploadId }));
    expect(again.$metadata.httpStatusCode).toBe(204);
    t.server.clock.advance(3600_000 + 1000);
    expect(await rejection(t.client.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName, uploadId })))).toBeInstanceOf(ResourceNotFoundException);
    expect((await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }))).NumberOfArchives).toBe(before);
    const done = bytes(10);
    const completedId = await initiate(MiB);
    await part(completedId, done, 0);
    await t.client.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName, uploadId: completedId, archiveSize: '10', checksum: treeHash(done) }));
    expect(await rejection(t.client.send(new AbortMultipartUploadCommand({ accountId: '-', vaultName, uploadId: completedId })))).toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});
