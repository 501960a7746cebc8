/**
 * The `fail` and `capacity` fault kinds: jobs that complete Failed, and
 * Expedited retrievals refused for lack of capacity, over HTTP with the real
 * SDK client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeJobCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InsufficientCapacityException,
  InvalidParameterValueException,
  ListJobsCommand,
  type GlacierJobDescription,
} from '@aws-sdk/client-glacier';
import { DEFAULT_JOB_FAILURE, formatFaultSpec, parseFaultSpec } from '../../src/local/index.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { bytes, rejection, vaultWithArchive } from './util.js';

let t: TestEndpoint;
const vaultName = 'job-failures';
let archiveId: string;

beforeAll(async () => {
  // Jobs take 10 s on the endpoint clock, so a test can see them in progress.
  t = await startTestEndpoint({ jobDelay: 10 });
  archiveId = await vaultWithArchive(t.client, vaultName, bytes(3000));
});
afterAll(async () => t.close());

function retrieval(Tier?: string) {
  return new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, ...(Tier ? { Tier } : {}) } });
}

async function jobIds(filter: { statuscode?: string; completed?: string }): Promise<string[]> {
  const out = await t.client.send(new ListJobsCommand({ accountId: '-', vaultName, ...filter }));
  return (out.JobList ?? []).map((j: GlacierJobDescription) => j.JobId!);
}

describe('fault SPEC for fail and capacity', () => {
  it('parses fail with a message (colons allowed) or none, and capacity without ARG', () => {
    const rules = parseFaultSpec('InitiateJob:1#1:fail:Retrieval failed: try again,InitiateJob:0.5:fail,*:1:capacity');
    expect(rules).toEqual([
      { operation: 'InitiateJob', rate: 1, times: 1, kind: 'fail', arg: 'Retrieval failed: try again' },
      { operation: 'InitiateJob', rate: 0.5, kind: 'fail' },
      { operation: '*', rate: 1, kind: 'capacity' },
    ]);
    expect(parseFaultSpec(formatFaultSpec(rules))).toEqual(rules);
  });

  it('refuses capacity with an ARG and fail with an empty message', () => {
    for (const bad of ['InitiateJob:1:capacity:x', 'InitiateJob:1:fail: ', 'InitiateJob:1:capacity:a:b']) {
      expect(() => parseFaultSpec(bad), bad).toThrow(SyntaxError);
    }
  });
});

describe('fail', () => {
  let failedId: string;
  let okId: string;

  beforeAll(async () => {
    t.server.setFaults('InitiateJob:1#1:fail:Archive retrieval failed: disk error');
    const failed = await t.client.send(retrieval());
    okId = (await t.client.send(retrieval())).jobId!;
    t.server.setFaults(undefined);
    expect(failed.$metadata.httpStatusCode).toBe(202);
    failedId = failed.jobId!;
  });

  it('creates the job normally; it is InProgress until its usual delay has passed', async () => {
    const job = await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: failedId }));
    expect(job).toMatchObject({ JobId: failedId, Completed: false, StatusCode: 'InProgress', Action: 'ArchiveRetrieval' });
    expect(await jobIds({ statuscode: 'Failed' })).not.toContain(failedId);
    expect(await jobIds({ statuscode: 'InProgress' })).toEqual(expect.arrayContaining([failedId, okId]));
    expect(await rejection(t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: failedId })))).toBeInstanceOf(
      InvalidParameterValueException,
    );
  });

  it('completes with Completed true, StatusCode Failed, the StatusMessage and every usual field', async () => {
    t.server.clock.advance(11_000);
    const job = await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: failedId }));
    expect(job).toMatchObject({
      JobId: failedId,
      Action: 'ArchiveRetrieval',
      ArchiveId: archiveId,
      ArchiveSizeInBytes: 3000,
      Completed: true,
      StatusCode: 'Failed',
      StatusMessage: 'Archive retrieval failed: disk error',
      Tier: 'Standard',
      RetrievalByteRange: '0-2999',
    });
    expect(job.CreationDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(job.CompletionDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(job.VaultARN).toMatch(new RegExp(`:vaults/${vaultName}$`));
    expect(job.ArchiveSHA256TreeHash).toMatch(/^[0-9a-f]{64}$/);
    const ok = await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: okId }));
    expect(ok).toMatchObject({ Completed: true, StatusCode: 'Succeeded', StatusMessage: 'Succeeded' });
  });

  it('ListJobs: statuscode=Failed and completed=true include it; Succeeded and completed=false do not', async () => {
    expect(await jobIds({ statuscode: 'Failed' })).toEqual([failedId]);
    expect(await jobIds({ completed: 'true' })).toEqual(expect.arrayContaining([failedId, okId]));
    expect(await jobIds({ statuscode: 'Succeeded' })).not.toContain(failedId);
    expect(await jobIds({ statuscode: 'Succeeded' })).toContain(okId);
    expect(await jobIds({ completed: 'false' })).not.toContain(failedId);
    const listed = (await t.client.send(new ListJobsCommand({ accountId: '-', vaultName, statuscode: 'Failed' }))).JobList![0]!;
    expect(listed).toMatchObject({ Completed: true, StatusCode: 'Failed', StatusMessage: 'Archive retrieval failed: disk error' });
  });

  it('GetJobOutput on the failed job: 400 InvalidParameterValueException; the other job downloads', async () => {
    const err = await rejection(t.newClient({ maxAttempts: 1 }).send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: failedId })));
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(err.message).toMatch(/not currently available for download/);
    const out = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: okId }));
    expect((await out.body!.transformToByteArray()).length).toBe(3000);
  });

  it('without ARG the StatusMessage is the default; inventory jobs can fail too, with no InventorySizeInBytes', async () => {
    t.server.setFaults('InitiateJob:1#1:fail');
    const { jobId } = await t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval' } }));
    t.server.setFaults(undefined);
    t.server.clock.advance(11_000);
    const job = await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId }));
    expect(job).toMatchObject({ Action: 'InventoryRetrieval', Completed: true, StatusCode: 'Failed', StatusMessage: DEFAULT_JOB_FAILURE });
    expect(job.InventorySizeInBytes).toBeUndefined();
    expect(job.InventoryRetrievalParameters?.Format).toBe('JSON');
  });

  it('only InitiateJob is affected by a * rule', async () => {
    t.server.setFaults('*:1:fail');
    const out = await t.client.send(new ListJobsCommand({ accountId: '-', vaultName }));
    t.server.setFaults(undefined);
    expect(out.$metadata.httpStatusCode).toBe(200);
  });
});

describe('capacity', () => {
  it('refuses an Expedited archive retrieval with 400 InsufficientCapacityException and creates no job', async () => {
    const before = await jobIds({});
    t.server.setFaults('InitiateJob:1:capacity');
    const err = await rejection(t.newClient({ maxAttempts: 1 }).send(retrieval('Expedited')));
    t.server.setFaults(undefined);
    expect(err).toBeInstanceOf(InsufficientCapacityException);
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(err.message).toMatch(/not enough capacity/);
    expect(await jobIds({})).toEqual(before);
  });

  it('lets Standard and Bulk retrievals and inventories through, without using up #N', async () => {
    t.server.setFaults('InitiateJob:1#1:capacity');
    const standard = await t.client.send(retrieval('Standard'));
    const bulk = await t.client.send(retrieval('Bulk'));
    const plain = await t.client.send(retrieval());
    const inventory = await t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval' } }));
    for (const out of [standard, bulk, plain, inventory]) expect(out.$metadata.httpStatusCode).toBe(202);
    const refused = await rejection(t.newClient({ maxAttempts: 1 }).send(retrieval('Expedited')));
    expect(refused).toBeInstanceOf(InsufficientCapacityException);
    const expedited = await t.client.send(retrieval('Expedited'));
    t.server.setFaults(undefined);
    expect(expedited.$metadata.httpStatusCode).toBe(202);
  });

  it('a rule for another operation never fires', async () => {
    t.server.setFaults('*:1:capacity');
    const out = await t.client.send(new ListJobsCommand({ accountId: '-', vaultName }));
    const expeditedErr = await rejection(t.newClient({ maxAttempts: 1 }).send(retrieval('Expedited')));
    t.server.setFaults(undefined);
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(expeditedErr).toBeInstanceOf(InsufficientCapacityException);
  });
});
