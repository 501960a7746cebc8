/**
 * The endpoint at scale: a data directory seeded with 100,000 synthetic
 * archives is served like any other vault (counts, streamed inventories and
 * their ranges, retrievals with tree hashes, ranged output, deletes, new
 * uploads), and restarts with all of it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeleteArchiveCommand,
  DescribeJobCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  GlacierClient,
  InitiateJobCommand,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';
import { startLocalGlacier, type LocalGlacier } from '../../src/local/index.js';
import { seedVault } from '../../src/local/seed.js';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';
import { bytes } from './util.js';

const N = 100_000;
const V = { accountId: '-', vaultName: 'big' };

interface Entry {
  ArchiveId: string;
  ArchiveDescription: string;
  CreationDate: string;
  Size: number;
  SHA256TreeHash: string;
}

let root: string;
let dataDir: string;
let g: LocalGlacier;
let client: GlacierClient;

async function start(): Promise<void> {
  g = await startLocalGlacier({ dataDir, jobDelay: 0 });
  client = new GlacierClient({ region: 'us-east-1', endpoint: g.endpoint, credentials: TEST_CREDENTIALS });
}

async function stopEndpoint(): Promise<void> {
  client.destroy();
  await g.close();
}

async function output(jobId: string, range?: string): Promise<{ data: Buffer; checksum: string | undefined; contentRange: string | undefined }> {
  const out = await client.send(new GetJobOutputCommand({ ...V, jobId, ...(range ? { range } : {}) }));
  return { data: Buffer.from(await out.body!.transformToByteArray()), checksum: out.checksum, contentRange: out.contentRange };
}

async function inventory(params: Record<string, string> = {}, format = 'JSON'): Promise<{ jobId: string; text: string; marker: string | undefined }> {
  const job = await client.send(new InitiateJobCommand({ ...V, jobParameters: { Type: 'inventory-retrieval', Format: format, InventoryRetrievalParameters: params } }));
  const desc = await client.send(new DescribeJobCommand({ ...V, jobId: job.jobId }));
  return { jobId: job.jobId!, text: (await output(job.jobId!)).data.toString('utf8'), marker: desc.InventoryRetrievalParameters?.Marker };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glacier-scale-'));
  dataDir = join(root, 'data');
  const report = await seedVault({ dataDir, vault: 'big', archives: N, size: { min: 1, max: 3 * MiB }, descriptions: 'mixed', seed: 7 });
  expect(report.archives).toBe(N);
  await start();
}, 120_000);

afterAll(async () => {
  await stopEndpoint();
  await rm(root, { recursive: true, force: true });
});

describe(`a vault of ${N} synthetic archives`, () => {
  let entries: Entry[];

  it('counts them, and streams an inventory listing each once, in creation order', async () => {
    const vault = await client.send(new DescribeVaultCommand(V));
    expect(vault.NumberOfArchives).toBe(N);
    const { text } = await inventory();
    entries = (JSON.parse(text) as { ArchiveList: Entry[] }).ArchiveList;
    expect(entries).toHaveLength(N);
    expect(new Set(entries.map((e) => e.ArchiveId)).size).toBe(N);
    expect(entries.reduce((s, e) => s + e.Size, 0)).toBe(vault.SizeInBytes);
    for (let i = 1; i < entries.length; i++) expect(entries[i - 1]!.CreationDate <= entries[i]!.CreationDate).toBe(true);
    expect(new Set(entries.map((e) => e.SHA256TreeHash)).size).toBe(N);
  });

  it('serves a range of the inventory output', async () => {
    const { jobId, text } = await inventory();
    const whole = Buffer.from(text, 'utf8');
    const part = await output(jobId, `bytes=${MiB}-${2 * MiB - 1}`);
    expect(part.data.equals(whole.subarray(MiB, 2 * MiB))).toBe(true);
    expect(part.contentRange).toBe(`bytes ${MiB}-${2 * MiB - 1}/${whole.length}`);
    expect(part.checksum).toBeUndefined(); // as AWS: tree hashes come with archive retrievals only
  });

  it('pages the inventory with Limit and Marker, in CSV too', async () => {
    const first = await inventory({ Limit: '3' }, 'CSV');
    const lines = first.text.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(first.marker).toBeTruthy();
    const second = await inventory({ Limit: '2', Marker: first.marker! }, 'CSV');
    const ids = [...lines.slice(1), ...second.text.trim().split('\n').slice(1)].map((l) => l.split(',')[0]);
    expect(ids).toEqual(entries.slice(0, 5).map((e) => e.ArchiveId));
  });

  it('retrieves synthetic archives whole and by range, with right tree hashes', async () => {
    const multi = entries.find((e) => e.Size > 2 * MiB)!;
    const small = entries.find((e) => e.Size < 1000)!;
    for (const e of [multi, small]) {
      const job = await client.send(new InitiateJobCommand({ ...V, jobParameters: { Type: 'archive-retrieval', ArchiveId: e.ArchiveId } }));
      const got = await output(job.jobId!);
      expect(got.data.length).toBe(e.Size);
      expect(treeHash(got.data)).toBe(e.SHA256TreeHash);
      expect(got.checksum).toBe(e.SHA256TreeHash);
    }
    const ranged = await client.send(new InitiateJobCommand({ ...V, jobParameters: { Type: 'archive-retrieval', ArchiveId: multi.ArchiveId, RetrievalByteRange: `${MiB}-${2 * MiB - 1}` } }));
    const desc = await client.send(new DescribeJobCommand({ ...V, jobId: ranged.jobId }));
    const piece = await output(ranged.jobId!);
    expect(piece.data.length).toBe(MiB);
    expect(desc.SHA256TreeHash).toBe(treeHash(piece.data));
    const whole = await client.send(new InitiateJobCommand({ ...V, jobParameters: { Type: 'archive-retrieval', ArchiveId: multi.ArchiveId } }));
    const sub = await output(whole.jobId!, `bytes=${MiB}-${2 * MiB - 1}`);
    expect(sub.data.equals(piece.data)).toBe(true);
    expect(sub.checksum).toBe(treeHash(piece.data));
  });

  it('deletes synthetic archives, takes new uploads, and keeps all of it across a restart', async () => {
    const gone = entries.slice(10, 20).map((e) => e.ArchiveId);
    for (const archiveId of gone) await client.send(new DeleteArchiveCommand({ ...V, archiveId }));
    const data = bytes(300_000);
    const added = await client.send(new UploadArchiveCommand({ ...V, body: data }));
    await stopEndpoint();
    await start();
    expect((await client.send(new DescribeVaultCommand(V))).NumberOfArchives).toBe(N - gone.length + 1);
    const after = (JSON.parse((await inventory()).text) as { ArchiveList: Entry[] }).ArchiveList;
    const ids = new Set(after.map((e) => e.ArchiveId));
    expect(after).toHaveLength(N - gone.length + 1);
    for (const id of gone) expect(ids.has(id)).toBe(false);
    expect(after.find((e) => e.ArchiveId === added.archiveId)?.SHA256TreeHash).toBe(treeHash(data));
  });
});
