/**
 * Failed jobs and refused Expedited retrievals as the resource layer reports
 * them, over HTTP against the local endpoint's `fail` and `capacity` faults.
 */
import { InsufficientCapacityException } from '@aws-sdk/client-glacier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobFailedError, resource, type Archive, type Vault } from '../../src/index.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

let endpoint: TestEndpoint;
let vault: Vault;
let archive: Archive;

beforeAll(async () => {
  endpoint = await startTestEndpoint();
  const glacier = resource({ client: endpoint.newClient({ maxAttempts: 1 }) });
  vault = await glacier.createVault({ vaultName: 'job-failure' });
  archive = await vault.uploadArchive({ body: new Uint8Array(5000).fill(7), archiveDescription: 'fails to come back' });
});
afterAll(async () => endpoint.close());

describe('job failures over HTTP', () => {
  it('job.waitUntilCompleted() throws JobFailedError carrying the StatusMessage', async () => {
    endpoint.server.setFaults('InitiateJob:1#1:fail:Archive retrieval failed: storage error');
    const job = await archive.initiateArchiveRetrieval();
    endpoint.server.setFaults(undefined);
    const err = await job.waitUntilCompleted({ pollInterval: 5 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(JobFailedError);
    expect((err as JobFailedError).jobId).toBe(job.id);
    expect((err as JobFailedError).statusMessage).toBe('Archive retrieval failed: storage error');
    expect((err as JobFailedError).message).toContain('Archive retrieval failed: storage error');
    await job.load();
    expect(job.statusCode).toBe('Failed');
    expect(job.completed).toBe(true);
  });

  it("archive.initiateArchiveRetrieval({ tier: 'Expedited' }) rejects with the SDK's InsufficientCapacityException", async () => {
    endpoint.server.setFaults('InitiateJob:1#1:capacity');
    const err = await archive.initiateArchiveRetrieval({ tier: 'Expedited' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InsufficientCapacityException);
    expect((err as Error).message).toMatch(/capacity/i);
    // The rule fired once; the retry is accepted.
    const job = await archive.initiateArchiveRetrieval({ tier: 'Expedited' });
    endpoint.server.setFaults(undefined);
    await job.waitUntilCompleted({ pollInterval: 5 });
    expect(job.statusCode).toBe('Succeeded');
  });
});
