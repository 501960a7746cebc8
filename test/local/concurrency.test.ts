import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { Agent } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { bytes, rawRequest } from './util.js';

let root: string;
let t: TestEndpoint;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glacier-local-conc-'));
  t = await startTestEndpoint({ inMemory: false, dataDir: join(root, 'data') });
  await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'shared' }));
});
afterAll(async () => {
  await t.close();
  await rm(root, { recursive: true, force: true });
});

async function uploadMultipart(client: GlacierClient, vaultName: string, data: Buffer): Promise<string> {
  const { uploadId } = await client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(MiB) }));
  const sends: Array<Promise<unknown>> = [];
  for (let s = 0; s < data.length; s += MiB) {
    const piece = data.subarray(s, Math.min(s + MiB, data.length));
    sends.push(client.send(new UploadMultipartPartCommand({ accountId: '-', vaultName, uploadId, range: `bytes ${s}-${s + piece.length - 1}/*`, body: piece })));
  }
  await Promise.all(sends);
  const out = await client.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName, uploadId, archiveSize: String(data.length), checksum: treeHash(data) }));
  return out.archiveId!;
}

describe('256 concurrent connections', () => {
  it('are all served at once, each upload listed once with its own bytes (disk mode)', async () => {
    const client = t.newClient({ requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }) }) });
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'wide' }));
    const sent = await Promise.all(
      Array.from({ length: 256 }, async (_, i) => {
        const data = bytes(1000 + i);
        const out = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'wide', body: data, archiveDescription: `connection ${i}` }));
        expect(out.checksum).toBe(treeHash(data));
        return { id: out.archiveId!, hash: treeHash(data), description: `connection ${i}` };
      }),
    );
    const job = await client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'wide', jobParameters: { Type: 'inventory-retrieval' } }));
    const out = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'wide', jobId: job.jobId }));
    const list = (JSON.parse(await out.body!.transformToString()) as { ArchiveList: Array<{ ArchiveId: string; ArchiveDescription: string; SHA256TreeHash: string }> }).ArchiveList;
    expect(list).toHaveLength(256);
    const byId = new Map(list.map((a) => [a.ArchiveId, a]));
    for (const s of sent) {
      expect(byId.get(s.id)?.SHA256TreeHash).toBe(s.hash);
      expect(byId.get(s.id)?.ArchiveDescription).toBe(s.description);
    }
  });
});

describe('32 concurrent clients', () => {
  it('upload and download at once with no cross-talk (disk mode)', async () => {
    const results = await Promise.all(
      Array.from({ length: 32 }, async (_, i) => {
        const client = t.newClient();
        const vaultName = i % 2 === 0 ? 'shared' : `own-${i}`;
        if (vaultName !== 'shared') await client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
        const data = i % 4 === 0 ? bytes(MiB + 4096 + i) : bytes(64 * 1024 + i * 257);
        const archiveId = i % 4 === 0 ? await uploadMultipart(client, vaultName, data) : (await client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: data, archiveDescription: `client ${i}` }))).archiveId!;
        const job = await client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }));
        const whole = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId }));
        const body = Buffer.from(await whole.body!.transformToByteArray());
        const ranged = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId, range: `bytes=100-${data.length - 1}` }));
        const tail = Buffer.from(await ranged.body!.transformToByteArray());
        return { i, archiveId, ok: body.equals(data) && tail.equals(data.subarray(100)), checksum: whole.checksum === treeHash(data) };
      }),
    );
    expect(results.every((r) => r.ok && r.checksum)).toBe(true);
    expect(new Set(results.map((r) => r.archiveId)).size).toBe(32);
    expect((await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'shared' }))).NumberOfArchives).toBe(16);
    expect(await readdir(join(root, 'data', 'tmp'))).toEqual([]);
  });
});

describe('names and ids cannot escape the data directory', () => {
  it('treats path tricks as plain names or ids, and never creates files from them', async () => {
    const attempts: Array<[string, string]> = [
      ['PUT', '/-/vaults/..%2F..%2Fescape'],
      ['PUT', '/-/vaults/%2E%2E'],
      ['GET', '/-/vaults/shared/jobs/..%2F..%2Fmetadata.json/output'],
      ['DELETE', '/-/vaults/shared/archives/..%2F..%2Fmetadata.json'],
      ['GET', '/-/vaults/shared/multipart-uploads/..%2Fblobs'],
      ['DELETE', '/-/vaults/shared/multipart-uploads/%2Fetc%2Fpasswd'],
      ['GET', '/-/vaults/..%5C..%5Cwin'],
      ['GET', '/-/vaults/shared/jobs/%00'],
      ['GET', '/-/vaults/%E0%A4%A'],
    ];
    for (const [method, path] of attempts) {
      const res = await rawRequest(t.endpoint, method, path);
      expect([201, 400, 404], `${method} ${path}`).toContain(res.status);
      expect(res.headers['x-amzn-requestid']).toBeDefined();
    }
    const bad = await rawRequest(t.endpoint, 'PUT', '/-/vaults/..%2F..%2Fescape');
    expect(bad.json().code).toBe('InvalidParameterValueException');
    const top = await readdir(join(root, 'data'));
    expect(top.filter((n) => n !== 'metadata.sqlite-wal').sort()).toEqual(['blobs', 'metadata.sqlite', 'tmp']);
    for (const name of await readdir(join(root, 'data', 'blobs'))) expect(name).toMatch(/^[0-9a-f]{32}(\.leaves)?$/);
    expect((await readdir(root)).sort()).toEqual(['data']);
  });
});
