import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateVaultCommand,
  DeleteArchiveCommand,
  DescribeJobCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InvalidParameterValueException,
  ListJobsCommand,
  MissingParameterValueException,
  paginateListJobs,
  ResourceNotFoundException,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { bytes, rawRequest, rejection } from './util.js';

const HOUR = 3600_000;

describe('archive retrieval jobs', () => {
  let t: TestEndpoint;
  const vaultName = 'jobs';
  const data = bytes(5 * MiB + 1000);
  let archiveId: string;
  beforeAll(async () => {
    t = await startTestEndpoint({ jobDelay: { Expedited: 60, Standard: 3600, Bulk: 7200 } });
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    archiveId = (await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: data, archiveDescription: 'five MiB' }))).archiveId!;
  });
  afterAll(async () => t.close());

  const start = (params: Record<string, unknown> = {}) =>
    t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, ...params } }));

  it('answers 202 with Location and a job id, and completes after the tier delay on the clock', async () => {
    const job = await start({ Tier: 'Expedited', Description: 'quick' });
    expect(job.$metadata.httpStatusCode).toBe(202);
    expect(job.jobId).toMatch(/^[A-Za-z0-9_-]{80,}$/);
    expect(job.location).toBe(`/123456789012/vaults/jobs/jobs/${job.jobId}`);
    const pending = await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: job.jobId }));
    expect(pending).toMatchObject({ Completed: false, StatusCode: 'InProgress', Tier: 'Expedited', JobDescription: 'quick', Action: 'ArchiveRetrieval' });
    expect(pending.CompletionDate).toBeUndefined();
    const early = await rejection(t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId })));
    expect(early).toBeInstanceOf(InvalidParameterValueException);
    expect(early.message).toMatch(/^The job is not currently available for download/);
    t.server.clock.advance(61_000);
    const done = await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: job.jobId }));
    expect(done).toMatchObject({
      Completed: true,
      StatusCode: 'Succeeded',
      StatusMessage: 'Succeeded',
      ArchiveId: archiveId,
      ArchiveSizeInBytes: data.length,
      ArchiveSHA256TreeHash: treeHash(data),
      SHA256TreeHash: treeHash(data),
      RetrievalByteRange: `0-${data.length - 1}`,
      VaultARN: 'arn:aws:glacier:us-east-1:123456789012:vaults/jobs',
    });
    expect(done.CompletionDate).toMatch(/\.\d{3}Z$/);
    expect(done.InventorySizeInBytes).toBeUndefined();
  });

  it('defaults to the Standard tier; Bulk takes longer', async () => {
    const standard = await start();
    const bulk = await start({ Tier: 'Bulk' });
    expect((await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: standard.jobId }))).Tier).toBe('Standard');
    t.server.clock.advance(HOUR + 1000);
    expect((await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: standard.jobId }))).Completed).toBe(true);
    expect((await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: bulk.jobId }))).Completed).toBe(false);
    t.server.clock.advance(HOUR);
    expect((await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: bulk.jobId }))).Completed).toBe(true);
  });

  it('serves the whole output with its tree hash, and ranges as 206 with Content-Range', async () => {
    const job = await start({ Tier: 'Expedited' });
    t.server.clock.advance(61_000);
    const whole = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId }));
    expect(whole.status).toBe(200);
    expect(whole.checksum).toBe(treeHash(data));
    expect(whole.acceptRanges).toBe('bytes');
    expect(whole.contentType).toBe('application/octet-stream');
    expect(whole.archiveDescription).toBe('five MiB');
    expect(Buffer.from(await whole.body!.transformToByteArray()).equals(data)).toBe(true);

    const aligned = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId, range: `bytes=${2 * MiB}-${4 * MiB - 1}` }));
    expect(aligned.status).toBe(206);
    expect(aligned.contentRange).toBe(`bytes ${2 * MiB}-${4 * MiB - 1}/${data.length}`);
    expect(aligned.checksum).toBe(treeHash(data.subarray(2 * MiB, 4 * MiB)));
    expect(Buffer.from(await aligned.body!.transformToByteArray()).equals(data.subarray(2 * MiB, 4 * MiB))).toBe(true);

    const tail = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId, range: `bytes=${4 * MiB}-${data.length - 1}` }));
    expect(tail.checksum).toBe(treeHash(data.subarray(4 * MiB)));
    await tail.body!.transformToByteArray();

    const unaligned = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId, range: 'bytes=100-199' }));
    expect(unaligned.status).toBe(206);
    expect(unaligned.checksum).toBeUndefined();
    expect(Buffer.from(await unaligned.body!.transformToByteArray()).equals(data.subarray(100, 200))).toBe(true);

    const notNode = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId, range: `bytes=${MiB}-${3 * MiB - 1}` }));
    expect(notNode.checksum).toBeUndefined();
    await notNode.body!.transformToByteArray();

    const raw = await rawRequest(t.endpoint, 'GET', `/-/vaults/jobs/jobs/${job.jobId}/output`, { headers: { range: `bytes=${data.length}-${data.length + 10}` } });
    expect(raw.status).toBe(416);
    expect(raw.headers['content-range']).toBe(`bytes */${data.length}`);
    const len = await rawRequest(t.endpoint, 'GET', `/-/vaults/jobs/jobs/${job.jobId}/output`, { headers: { range: 'bytes=0-9' } });
    expect(len.headers['content-length']).toBe('10');
  });

  it('retrieves a megabyte-aligned RetrievalByteRange and refuses an unaligned one', async () => {
    const job = await start({ Tier: 'Expedited', RetrievalByteRange: `${MiB}-${3 * MiB - 1}` });
    t.server.clock.advance(61_000);
    const desc = await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: job.jobId }));
    expect(desc.RetrievalByteRange).toBe(`${MiB}-${3 * MiB - 1}`);
    expect(desc.SHA256TreeHash).toBeUndefined(); // 1-3 MiB is not a node of the tree
    expect(desc.ArchiveSHA256TreeHash).toBe(treeHash(data));
    const out = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId }));
    expect(Buffer.from(await out.body!.transformToByteArray()).equals(data.subarray(MiB, 3 * MiB))).toBe(true);

    const node = await start({ Tier: 'Expedited', RetrievalByteRange: `${4 * MiB}-${data.length - 1}` });
    t.server.clock.advance(61_000);
    const nodeDesc = await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: node.jobId }));
    expect(nodeDesc.SHA256TreeHash).toBe(treeHash(data.subarray(4 * MiB)));

    for (const range of ['1-1048575', `0-${MiB}`, `0-${data.length}`, 'abc']) {
      const err = await rejection(start({ RetrievalByteRange: range }));
      expect(err, range).toBeInstanceOf(InvalidParameterValueException);
    }
  });

  it('validates job parameters and refuses select jobs clearly', async () => {
    expect(await rejection(start({ Tier: 'Fast' }))).toBeInstanceOf(InvalidParameterValueException);
    expect(await rejection(t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval' } })))).toBeInstanceOf(
      MissingParameterValueException,
    );
    expect(
      await rejection(t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: 'nope' } }))),
    ).toBeInstanceOf(ResourceNotFoundException);
    const select = await rejection(t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'select', ArchiveId: archiveId } })));
    expect(select).toBeInstanceOf(InvalidParameterValueException);
    expect(select.message).toMatch(/Select jobs .* not supported by this endpoint/);
    expect(await rejection(t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'bogus' } })))).toBeInstanceOf(
      InvalidParameterValueException,
    );
    expect(await rejection(start({ SNSTopic: 'not-an-arn' }))).toBeInstanceOf(InvalidParameterValueException);
  });

  it('keeps output 24 h after completion, then answers 404', async () => {
    const job = await start({ Tier: 'Expedited' });
    t.server.clock.advance(61_000 + 23 * HOUR);
    const out = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId, range: 'bytes=0-0' }));
    await out.body!.transformToByteArray();
    t.server.clock.advance(HOUR);
    expect(await rejection(t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId })))).toBeInstanceOf(ResourceNotFoundException);
    expect(await rejection(t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: job.jobId })))).toBeInstanceOf(ResourceNotFoundException);
  });

  it('still serves an archive deleted after its retrieval started', async () => {
    const small = bytes(3000);
    const { archiveId: id } = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: small }));
    const job = await t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: id, Tier: 'Expedited' } }));
    await t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName, archiveId: id }));
    t.server.clock.advance(61_000);
    const out = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId }));
    expect(Buffer.from(await out.body!.transformToByteArray()).equals(small)).toBe(true);
  });
});

describe('ListJobs', () => {
  let t: TestEndpoint;
  const vaultName = 'lj';
  beforeAll(async () => {
    t = await startTestEndpoint({ jobDelay: { Expedited: 10, Standard: 1000, Bulk: 1000, inventory: 10 } });
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const { archiveId } = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: bytes(10) }));
    for (let i = 0; i < 3; i++) {
      await t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited' } }));
    }
    t.server.clock.advance(11_000);
    for (let i = 0; i < 2; i++) {
      await t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }));
    }
  });
  afterAll(async () => t.close());

  it('lists every job, with filters on completed and statuscode', async () => {
    expect((await t.client.send(new ListJobsCommand({ accountId: '-', vaultName }))).JobList).toHaveLength(5);
    const done = await t.client.send(new ListJobsCommand({ accountId: '-', vaultName, completed: 'true' }));
    expect(done.JobList!.map((j) => j.Completed)).toEqual([true, true, true]);
    expect((await t.client.send(new ListJobsCommand({ accountId: '-', vaultName, completed: 'false' }))).JobList).toHaveLength(2);
    expect((await t.client.send(new ListJobsCommand({ accountId: '-', vaultName, statuscode: 'Succeeded' }))).JobList).toHaveLength(3);
    expect((await t.client.send(new ListJobsCommand({ accountId: '-', vaultName, statuscode: 'InProgress' }))).JobList).toHaveLength(2);
    expect((await t.client.send(new ListJobsCommand({ accountId: '-', vaultName, statuscode: 'Failed' }))).JobList).toHaveLength(0);
    expect((await t.client.send(new ListJobsCommand({ accountId: '-', vaultName, statuscode: 'Succeeded', completed: 'false' }))).JobList).toHaveLength(0);
  });

  it('pages with limit and marker', async () => {
    const ids: string[] = [];
    let pages = 0;
    for await (const page of paginateListJobs({ client: t.client, pageSize: 2 }, { accountId: '-', vaultName })) {
      pages++;
      ids.push(...page.JobList!.map((j) => j.JobId!));
    }
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(5);
  });

  it('refuses bad filters and limits', async () => {
    for (const q of ['completed=yes', 'statuscode=Done', 'limit=0', 'limit=1001']) {
      const res = await rawRequest(t.endpoint, 'GET', `/-/vaults/lj/jobs?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.json().code).toBe('InvalidParameterValueException');
    }
  });
});
