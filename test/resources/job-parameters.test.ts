import { InitiateJobCommand, InsufficientCapacityException, NoLongerSupportedException } from '@aws-sdk/client-glacier';
import { beforeEach, describe, expect, it } from 'vitest';
import { NO_LONGER_SUPPORTED_EXPLANATION, ValidationError, resource } from '../../src/index.js';
import { archiveRetrievalParameters, inventoryRetrievalParameters } from '../../src/resources/job-parameters.js';
import { mockedGlacier, serviceError } from './mock-client.js';

describe('retrieval job parameters', () => {
  it('deep-merges raw jobParameters and never drops Type or ArchiveId (boto3 does)', () => {
    expect(archiveRetrievalParameters('A1', { jobParameters: { Tier: 'Bulk' } })).toEqual({
      Type: 'archive-retrieval',
      ArchiveId: 'A1',
      Tier: 'Bulk',
    });
    expect(
      archiveRetrievalParameters('A1', {
        tier: 'Expedited',
        range: { start: 0, end: 1048575 },
        description: 'restore',
        snsTopic: 'arn:aws:sns:us-east-1:123456789012:t',
        jobParameters: { Tier: 'Bulk', Description: 'raw' },
      }),
    ).toEqual({
      Type: 'archive-retrieval',
      ArchiveId: 'A1',
      Tier: 'Expedited',
      RetrievalByteRange: '0-1048575',
      Description: 'restore',
      SNSTopic: 'arn:aws:sns:us-east-1:123456789012:t',
    });
    expect(
      inventoryRetrievalParameters({
        format: 'csv',
        limit: 100,
        jobParameters: { InventoryRetrievalParameters: { StartDate: '2024-01-01T00:00:00Z', Marker: 'M' } },
        endDate: new Date('2025-01-01T00:00:00.000Z'),
      }),
    ).toEqual({
      Type: 'inventory-retrieval',
      Format: 'CSV',
      InventoryRetrievalParameters: { StartDate: '2024-01-01T00:00:00Z', EndDate: '2025-01-01T00:00:00Z', Limit: '100', Marker: 'M' },
    });
    expect(inventoryRetrievalParameters(undefined)).toEqual({ Type: 'inventory-retrieval' });
  });

  it('accepts a range ending at the last byte when the size is known, and leaves an unaligned end to Glacier when it is not', () => {
    expect(archiveRetrievalParameters('A1', { range: '1048576-1500000' }, 1_500_001).RetrievalByteRange).toBe('1048576-1500000');
    expect(() => archiveRetrievalParameters('A1', { range: '1048576-1500000' }, 2_000_000)).toThrow(/megabyte aligned.*last byte \(1999999\)/);
    // The size unknown: 1500000 may be the last byte; only Glacier can tell.
    expect(archiveRetrievalParameters('A1', { range: '1048576-1500000' }).RetrievalByteRange).toBe('1048576-1500000');
    expect(() => archiveRetrievalParameters('A1', { range: '1000-1048575' })).toThrow(/megabyte aligned/);
    expect(() => archiveRetrievalParameters('A1', { range: '0-99999999999999999999' })).toThrow(/more bytes than any archive/);
  });

  it('rejects conflicting or invalid parameters', () => {
    expect(() => archiveRetrievalParameters('A1', { jobParameters: { Type: 'inventory-retrieval' } })).toThrow(/always sends Type/);
    expect(() => archiveRetrievalParameters('A1', { jobParameters: { ArchiveId: 'B2' } })).toThrow(/conflicts/);
    expect(() => archiveRetrievalParameters('A1', { tier: 'Fast' as 'Bulk' })).toThrow(/Expedited, Standard, Bulk/);
    expect(() => archiveRetrievalParameters('A1', { range: '100-200' })).toThrow(ValidationError);
    expect(() => archiveRetrievalParameters('A1', { description: 'caf\u00e9' })).toThrow(/printable ASCII/);
    expect(() => archiveRetrievalParameters('A1', { jobParameters: { Format: 'CSV' } })).toThrow(/inventory jobs/);
    expect(() => archiveRetrievalParameters('A1', { teir: 'Bulk' } as object)).toThrow(/no option 'teir'/);
    expect(() => inventoryRetrievalParameters({ format: 'XML' as 'JSON' })).toThrow(/JSON or CSV/);
    expect(() => inventoryRetrievalParameters({ limit: 0 })).toThrow(/positive integer/);
    expect(() => inventoryRetrievalParameters({ startDate: '2024-01-01' })).toThrow(/ISO-8601/);
    expect(() => inventoryRetrievalParameters({ startDate: '2025-01-01T00:00:00Z', endDate: '2024-01-01T00:00:00Z' })).toThrow(/after startDate/);
    expect(() => inventoryRetrievalParameters({ jobParameters: { Tier: 'Bulk' } })).toThrow(/archive retrievals/);
  });
});

describe('actions send the merged parameters (injected client)', () => {
  const { client, mock } = mockedGlacier();
  const glacier = resource({ client });
  beforeEach(() => mock.reset());

  it('archive.initiateArchiveRetrieval and vault.initiateInventoryRetrieval', async () => {
    mock.on(InitiateJobCommand).resolves({ jobId: 'J9', location: '/-/vaults/v/jobs/J9' });
    const job = await glacier.Archive('-', 'v', 'A1').initiateArchiveRetrieval({ tier: 'Bulk', jobParameters: { Description: 'd' } });
    expect(String(job)).toBe("glacier.Job(accountId='-', vaultName='v', id='J9')");
    expect(job.meta.data).toBeUndefined();
    await glacier.Vault('-', 'v').initiateInventoryRetrieval({ format: 'CSV' });
    const inputs = mock.commandCalls(InitiateJobCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toEqual({
      accountId: '-',
      vaultName: 'v',
      jobParameters: { Type: 'archive-retrieval', ArchiveId: 'A1', Tier: 'Bulk', Description: 'd' },
    });
    expect(inputs[1]).toEqual({ accountId: '-', vaultName: 'v', jobParameters: { Type: 'inventory-retrieval', Format: 'CSV' } });
  });

  it('passes a signal to InitiateJob and keeps it out of the job parameters', async () => {
    mock.on(InitiateJobCommand).resolves({ jobId: 'J1' });
    const controller = new AbortController();
    await glacier.Vault('-', 'v').initiateInventoryRetrieval({ signal: controller.signal });
    await glacier.Archive('-', 'v', 'A1').initiateArchiveRetrieval({ tier: 'Bulk', signal: controller.signal });
    const calls = mock.commandCalls(InitiateJobCommand);
    expect(calls.map((c) => (c.args as unknown[])[1])).toEqual([{ abortSignal: controller.signal }, { abortSignal: controller.signal }]);
    expect(calls[1]?.args[0].input.jobParameters).toEqual({ Type: 'archive-retrieval', ArchiveId: 'A1', Tier: 'Bulk' });
  });

  it('suggests what to do when Expedited capacity runs out', async () => {
    mock.on(InitiateJobCommand).rejects(serviceError(InsufficientCapacityException, 'Insufficient capacity for expedited retrieval.', 503));
    const error = await glacier.Archive('-', 'v', 'A1').initiateArchiveRetrieval({ tier: 'Expedited' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientCapacityException);
    expect((error as Error).message).toMatch(/Standard or Bulk tier.*purchaseProvisionedCapacity/);
  });

  it("explains NoLongerSupportedException with Glacier's closure to new accounts", async () => {
    mock
      .on(InitiateJobCommand)
      .rejects(serviceError(NoLongerSupportedException, 'This API is no longer supported for new accounts. Please use Amazon S3 Glacier storage classes instead.'));
    const error = await glacier.Vault('-', 'v').initiateInventoryRetrieval().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoLongerSupportedException);
    const message = (error as Error).message;
    expect(message.startsWith("glacier.Vault(accountId='-', name='v'): ")).toBe(true);
    expect(message).toContain(NO_LONGER_SUPPORTED_EXPLANATION);
    expect(message).toContain('15 December 2025');
    expect(message).toContain('keep working');
    expect(message).toContain('S3 Glacier storage class');
    expect(message).toContain('(Glacier said: This API is no longer supported for new accounts.');
    const { inspect } = await import('node:util');
    expect(inspect(error)).toContain('15 December 2025');
  });
});
