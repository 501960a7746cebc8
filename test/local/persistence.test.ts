import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  AddTagsToVaultCommand,
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DescribeJobCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  GlacierClient,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  ListJobsCommand,
  ListPartsCommand,
  ListTagsForVaultCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { startLocalGlacier } from '../../src/local/index.js';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';
import { startChild } from './child.js';
import { bytes } from './util.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glacier-local-test-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

function clientFor(endpoint: string): GlacierClient {
  return new GlacierClient({ region: 'us-east-1', endpoint, credentials: TEST_CREDENTIALS });
}

async function download(client: GlacierClient, vaultName: string, archiveId: string): Promise<{ data: Buffer; checksum: string | undefined }> {
  const job = await client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }));
  const out = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId }));
  return { data: Buffer.from(await out.body!.transformToByteArray()), checksum: out.checksum };
}

/** Every name in the data directory: only fixed names and random hex keys, never a vault name or id. */
async function dataDirNames(dir: string): Promise<string[]> {
  const top = await readdir(dir);
  const blobs = await readdir(join(dir, 'blobs'));
  return [...top, ...blobs.map((b) => `blobs/${b}`)];
}

describe('persistence', () => {
  it('keeps vaults, archives, uploads, jobs and settings across a restart', async () => {
    const dataDir = join(root, 'restart');
    const single = bytes(300_000);
    const multi = bytes(2 * MiB + 99);
    let g = await startLocalGlacier({ dataDir, jobDelay: 0 });
    let client = clientFor(g.endpoint);
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'keep' }));
    const a = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'keep', body: single, archiveDescription: 'single' }));
    const { uploadId } = await client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'keep', partSize: String(MiB) }));
    for (let s = 0; s < multi.length; s += MiB) {
      const piece = multi.subarray(s, Math.min(s + MiB, multi.length));
      await client.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: 'keep', uploadId, range: `bytes ${s}-${s + piece.length - 1}/*`, body: piece }));
    }
    const m = await client.send(new CompleteMultipartUploadCommand({ accountId: '-', vaultName: 'keep', uploadId, archiveSize: String(multi.length), checksum: treeHash(multi) }));
    const open = await client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'keep', partSize: String(MiB) }));
    await client.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: 'keep', uploadId: open.uploadId, range: 'bytes 0-9/*', body: bytes(10) }));
    await client.send(new AddTagsToVaultCommand({ accountId: '-', vaultName: 'keep', Tags: { owner: 'me' } }));
    const job = await client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'keep', jobParameters: { Type: 'inventory-retrieval' } }));
    client.destroy();
    await g.close();

    g = await startLocalGlacier({ dataDir, jobDelay: 0 });
    client = clientFor(g.endpoint);
    try {
      const vault = await client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'keep' }));
      expect(vault.NumberOfArchives).toBe(2);
      expect(vault.SizeInBytes).toBe(single.length + multi.length);
      expect((await download(client, 'keep', a.archiveId!)).data.equals(single)).toBe(true);
      const got = await download(client, 'keep', m.archiveId!);
      expect(got.data.equals(multi)).toBe(true);
      expect(got.checksum).toBe(treeHash(multi));
      // Ranged tree hashes come from stored leaf digests (1 MiB parts keep none: their one leaf is re-hashed).
      const rjob = await client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'keep', jobParameters: { Type: 'archive-retrieval', ArchiveId: m.archiveId, RetrievalByteRange: `0-${2 * MiB - 1}` } }));
      const rdesc = await client.send(new DescribeJobCommand({ accountId: '-', vaultName: 'keep', jobId: rjob.jobId }));
      expect(rdesc.SHA256TreeHash).toBe(treeHash(multi.subarray(0, 2 * MiB)));
      const part = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'keep', jobId: rjob.jobId, range: `bytes=${MiB}-${2 * MiB - 1}` }));
      expect(part.checksum).toBe(treeHash(multi.subarray(MiB, 2 * MiB)));
      expect(Buffer.from(await part.body!.transformToByteArray()).equals(multi.subarray(MiB, 2 * MiB))).toBe(true);
      expect((await client.send(new ListPartsCommand({ accountId: '-', vaultName: 'keep', uploadId: open.uploadId }))).Parts).toHaveLength(1);
      expect((await client.send(new ListTagsForVaultCommand({ accountId: '-', vaultName: 'keep' }))).Tags).toEqual({ owner: 'me' });
      const desc = await client.send(new DescribeJobCommand({ accountId: '-', vaultName: 'keep', jobId: job.jobId }));
      expect(desc.Action).toBe('InventoryRetrieval');
      const inv = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'keep', jobId: job.jobId }));
      expect(JSON.parse(await inv.body!.transformToString()).ArchiveList).toHaveLength(2);
      for (const name of await dataDirNames(dataDir)) {
        expect(name).toMatch(/^(metadata\.sqlite(-wal)?|blobs|tmp|blobs\/[0-9a-f]{32}(\.leaves)?)$/);
      }
    } finally {
      client.destroy();
      await g.close();
    }
  });
});

/** Sends the first `sendBytes` bytes of a correctly signed UploadArchive or part request, then leaves it hanging; returns a function that abandons it. */
async function startPartialUpload(endpoint: string, path: string, body: Buffer, sendBytes: number, extraHeaders: Record<string, string> = {}): Promise<() => void> {
  const url = new URL(endpoint);
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-glacier-version': '2012-06-01',
    'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
    'x-amz-sha256-tree-hash': treeHash(body),
    'content-length': String(body.length),
    ...extraHeaders,
  };
  const signer = new SignatureV4({ credentials: TEST_CREDENTIALS, region: 'us-east-1', service: 'glacier', sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign({ method: extraHeaders['content-range'] ? 'PUT' : 'POST', protocol: 'http:', hostname: url.hostname, path, query: {}, headers });
  const req = httpRequest({ host: url.hostname, port: url.port, method: signed.method, path, headers: signed.headers });
  req.on('error', () => undefined);
  req.write(body.subarray(0, sendBytes));
  await new Promise((r) => setTimeout(r, 400));
  return () => req.destroy();
}

describe('data directory lock', () => {
  it('refuses a second endpoint on the same data directory until the first closes', async () => {
    const dataDir = join(root, 'locked');
    const first = await startLocalGlacier({ dataDir });
    await expect(startLocalGlacier({ dataDir })).rejects.toThrow(/already used by an endpoint|in use by another/);
    await first.close();
    const second = await startLocalGlacier({ dataDir });
    await second.close();
    expect(await readdir(dataDir)).not.toContain('lock');
  });
});

describe('a client that disconnects mid-upload', () => {
  it('leaves no archive, no part and no temp file', async () => {
    const dataDir = join(root, 'disconnect');
    const g = await startLocalGlacier({ dataDir, jobDelay: 0 });
    const client = clientFor(g.endpoint);
    try {
      await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'gone' }));
      const { uploadId } = await client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'gone', partSize: String(MiB) }));
      const abandonArchive = await startPartialUpload(g.endpoint, '/-/vaults/gone/archives', bytes(2 * MiB), MiB);
      const abandonPart = await startPartialUpload(g.endpoint, `/-/vaults/gone/multipart-uploads/${uploadId}`, bytes(MiB), 1000, { 'content-range': `bytes 0-${MiB - 1}/*` });
      expect((await readdir(join(dataDir, 'tmp'))).length).toBeGreaterThan(0);
      abandonArchive();
      abandonPart();
      await new Promise((r) => setTimeout(r, 300));
      expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
      expect((await client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'gone' }))).NumberOfArchives).toBe(0);
      expect((await client.send(new ListPartsCommand({ accountId: '-', vaultName: 'gone', uploadId }))).Parts).toEqual([]);
      expect(await readdir(join(dataDir, 'blobs'))).toEqual([]);
    } finally {
      client.destroy();
      await g.close();
    }
  });
});

describe('crash safety (kill -9)', () => {
  it('never shows a partial archive or part, keeps committed data and metadata intact', async () => {
    const dataDir = join(root, 'crash');
    let run = await startChild(['--data-dir', dataDir, '--job-delay', '0']);
    let client = clientFor(run.endpoint);
    const kept = bytes(200_000);
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'crash' }));
    const a = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'crash', body: kept }));
    const { uploadId } = await client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'crash', partSize: String(MiB) }));
    const part0 = bytes(MiB);
    await client.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: 'crash', uploadId, range: `bytes 0-${MiB - 1}/*`, body: part0 }));
    const big = bytes(3 * MiB);
    await startPartialUpload(run.endpoint, '/-/vaults/crash/archives', big, 2 * MiB);
    const part1 = bytes(MiB);
    await startPartialUpload(run.endpoint, `/-/vaults/crash/multipart-uploads/${uploadId}`, part1, MiB / 2, { 'content-range': `bytes ${MiB}-${2 * MiB - 1}/*` });
    await expect(startLocalGlacier({ dataDir })).rejects.toThrow(/in use by another glacier-local endpoint/);
    const tmpBefore = await readdir(join(dataDir, 'tmp'));
    expect(tmpBefore.length).toBeGreaterThan(0); // the partial bodies are in temp files
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');
    client.destroy();

    run = await startChild(['--data-dir', dataDir, '--job-delay', '0']);
    client = clientFor(run.endpoint);
    try {
      const vault = await client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'crash' }));
      expect(vault.NumberOfArchives).toBe(1);
      expect(vault.SizeInBytes).toBe(kept.length);
      expect((await download(client, 'crash', a.archiveId!)).data.equals(kept)).toBe(true);
      const parts = await client.send(new ListPartsCommand({ accountId: '-', vaultName: 'crash', uploadId }));
      expect(parts.Parts).toEqual([{ RangeInBytes: `0-${MiB - 1}`, SHA256TreeHash: treeHash(part0) }]);
      expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
      const blobs = (await readdir(join(dataDir, 'blobs'))).filter((n) => !n.endsWith('.leaves'));
      expect(blobs).toHaveLength(2);
    } finally {
      client.destroy();
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  it('every upload acknowledged before a kill -9 amid concurrent uploads survives, with correct bytes', async () => {
    const dataDir = join(root, 'crash-busy');
    let run = await startChild(['--data-dir', dataDir, '--job-delay', '0']);
    let client = clientFor(run.endpoint);
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'busy' }));
    const acknowledged = new Map<string, Buffer>();
    let stop = false;
    const workers = Array.from({ length: 6 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        const data = bytes(50_000 + w * 1000 + i);
        try {
          const out = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'busy', body: data }));
          acknowledged.set(out.archiveId!, data);
        } catch {
          return;
        }
      }
    });
    while (acknowledged.size < 12) await new Promise((r) => setTimeout(r, 20));
    run.child.kill('SIGKILL');
    stop = true;
    await Promise.all(workers);
    await run.exited;
    client.destroy();

    run = await startChild(['--data-dir', dataDir, '--job-delay', '0']);
    client = clientFor(run.endpoint);
    try {
      const job = await client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'busy', jobParameters: { Type: 'inventory-retrieval' } }));
      const inv = JSON.parse(await (await client.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'busy', jobId: job.jobId }))).body!.transformToString()) as {
        ArchiveList: Array<{ ArchiveId: string; SHA256TreeHash: string }>;
      };
      const listed = new Set(inv.ArchiveList.map((a) => a.ArchiveId));
      for (const id of acknowledged.keys()) expect(listed.has(id)).toBe(true);
      for (const entry of inv.ArchiveList.slice(0, 4)) {
        const got = await download(client, 'busy', entry.ArchiveId);
        expect(treeHash(got.data)).toBe(entry.SHA256TreeHash);
      }
      expect((await client.send(new ListJobsCommand({ accountId: '-', vaultName: 'busy' }))).JobList!.length).toBeGreaterThan(0);
    } finally {
      client.destroy();
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
