/**
 * `timeScale`: every Glacier clock runs that much faster. The assertions are
 * on service time (the dates the endpoint reports) and on what has expired,
 * with generous real-time waits, so a busy machine cannot fail them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  CreateVaultCommand,
  DescribeJobCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  GetVaultLockCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  InitiateVaultLockCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  SetDataRetrievalPolicyCommand,
  UploadArchiveCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { bytes, rejection } from './util.js';

const HOUR = 3600_000;
const V = { accountId: '-', vaultName: 'v' };
let t: TestEndpoint | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function scaled(timeScale: number, extra: Record<string, unknown> = {}): Promise<GlacierClient> {
  // No jobDelay: with a time scale, jobs take AWS's typical times.
  t = await startTestEndpoint({ timeScale, jobDelay: undefined, ...extra });
  await t.client.send(new CreateVaultCommand(V));
  return t.client;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out');
    await sleep(50);
  }
}

describe('timeScale', () => {
  it('refuses a scale that is not a positive number', async () => {
    await expect(startTestEndpoint({ timeScale: 0 })).rejects.toThrow(/timeScale must be a positive number/);
    await expect(startTestEndpoint({ timeScale: Number.NaN })).rejects.toThrow(/timeScale must be a positive number/);
  });

  it("jobs take AWS's typical service times per tier, and their output expires 24 h after completion", async () => {
    const client = await scaled(86_400); // a day per second
    const { archiveId } = await client.send(new UploadArchiveCommand({ ...V, body: bytes(1000) }));
    const tiers = { Expedited: [60_000, 300_000], Standard: [3 * HOUR, 5 * HOUR], Bulk: [5 * HOUR, 12 * HOUR] } as const;
    const jobs = await Promise.all(
      Object.keys(tiers).map(async (Tier) => ({ Tier, ...(await client.send(new InitiateJobCommand({ ...V, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier } }))) })),
    );
    for (const job of jobs) {
      const done = await waitFor(async () => {
        const d = await client.send(new DescribeJobCommand({ ...V, jobId: job.jobId }));
        return d.Completed ? d : undefined;
      }, 10_000);
      const took = Date.parse(done.CompletionDate!) - Date.parse(done.CreationDate!);
      const [min, max] = tiers[job.Tier as keyof typeof tiers];
      expect(took).toBeGreaterThanOrEqual(min);
      expect(took).toBeLessThanOrEqual(max);
    }
    const bulk = jobs.find((j) => j.Tier === 'Bulk')!;
    expect((await (await client.send(new GetJobOutputCommand({ ...V, jobId: bulk.jobId }))).body!.transformToByteArray()).length).toBe(1000);
    // 24 h of service time is one real second: then the job is gone, as on AWS.
    await sleep(1500);
    expect((await rejection(client.send(new GetJobOutputCommand({ ...V, jobId: bulk.jobId })))).name).toBe('ResourceNotFoundException');
    expect((await rejection(client.send(new DescribeJobCommand({ ...V, jobId: bulk.jobId })))).name).toBe('ResourceNotFoundException');
  });

  it('drops a multipart upload idle for 24 h, and an InProgress vault lock after 24 h', async () => {
    const client = await scaled(86_400);
    const { uploadId } = await client.send(new InitiateMultipartUploadCommand({ ...V, partSize: String(1024 * 1024) }));
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 'glacier:DeleteArchive', Resource: '*' }] });
    await client.send(new InitiateVaultLockCommand({ ...V, policy: { Policy: policy } }));
    expect((await client.send(new ListMultipartUploadsCommand(V))).UploadsList).toHaveLength(1);
    expect((await client.send(new GetVaultLockCommand(V))).State).toBe('InProgress');
    await sleep(1500);
    expect((await client.send(new ListMultipartUploadsCommand(V))).UploadsList).toEqual([]);
    expect((await rejection(client.send(new ListPartsCommand({ ...V, uploadId })))).name).toBe('ResourceNotFoundException');
    expect((await rejection(client.send(new GetVaultLockCommand(V)))).name).toBe('ResourceNotFoundException');
  });

  it('takes the daily inventory a service day after a write', async () => {
    const client = await scaled(86_400, { inventory: 'daily' });
    await client.send(new UploadArchiveCommand({ ...V, body: bytes(2000) }));
    expect((await client.send(new DescribeVaultCommand(V))).NumberOfArchives).toBe(0);
    const vault = await waitFor(async () => {
      const d = await client.send(new DescribeVaultCommand(V));
      return d.NumberOfArchives === 1 ? d : undefined;
    }, 10_000);
    expect(vault.SizeInBytes).toBe(2000);
    expect(vault.LastInventoryDate).toBeTruthy();
  });

  it("counts the data-retrieval policy's hour in service time", async () => {
    const client = await scaled(600); // an hour is six real seconds
    const size = 5000;
    const { archiveId } = await client.send(new UploadArchiveCommand({ ...V, body: bytes(size) }));
    await client.send(new SetDataRetrievalPolicyCommand({ accountId: '-', Policy: { Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: size }] } }));
    const retrieve = () => client.send(new InitiateJobCommand({ ...V, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Standard' } }));
    await retrieve();
    expect((await rejection(retrieve())).name).toBe('PolicyEnforcedException');
    await sleep(6500);
    expect((await retrieve()).jobId).toBeTruthy();
  });

  it('an explicit jobDelay still sets job times (in service seconds)', async () => {
    const client = await scaled(3600, { jobDelay: 7200 }); // two service hours: two real seconds
    const { archiveId } = await client.send(new UploadArchiveCommand({ ...V, body: bytes(10) }));
    const job = await client.send(new InitiateJobCommand({ ...V, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }));
    const done = await waitFor(async () => {
      const d = await client.send(new DescribeJobCommand({ ...V, jobId: job.jobId }));
      return d.Completed ? d : undefined;
    }, 10_000);
    expect(Date.parse(done.CompletionDate!) - Date.parse(done.CreationDate!)).toBe(2 * HOUR);
  });
});
