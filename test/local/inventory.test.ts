import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import {
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultCommand,
  DescribeJobCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InvalidParameterValueException,
  ResourceNotFoundException,
  UploadArchiveCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { treeHash } from '../../src/transfer/tree-hash.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { bytes, rejection } from './util.js';

const DAY = 24 * 3600_000;

async function inventory(client: GlacierClient, vaultName: string, params: Record<string, unknown> = {}) {
  const job = await client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval', ...params } }));
  const desc = await client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: job.jobId }));
  const out = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId }));
  return { desc, out, text: await out.body!.transformToString() };
}

describe('inventory retrieval (live mode)', () => {
  let t: TestEndpoint;
  const vaultName = 'inv';
  const archives: Array<{ id: string; data: Buffer; description: string }> = [];
  beforeAll(async () => {
    t = await startTestEndpoint();
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const descriptions = ['plain', 'with, comma', 'with "quotes"', '', 'last'];
    for (const description of descriptions) {
      const data = bytes(100 + archives.length);
      const out = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: data, archiveDescription: description }));
      archives.push({ id: out.archiveId!, data, description });
      t.server.clock.advance(1000);
    }
  });
  afterAll(async () => t.close());

  it('returns AWS JSON: VaultARN, InventoryDate and the ArchiveList fields', async () => {
    const { desc, out, text } = await inventory(t.client, vaultName);
    expect(desc).toMatchObject({ Action: 'InventoryRetrieval', Completed: true, InventorySizeInBytes: Buffer.byteLength(text) });
    expect(desc.InventoryRetrievalParameters).toMatchObject({ Format: 'JSON' });
    expect(desc.ArchiveId).toBeUndefined();
    expect(out.contentType).toBe('application/json');
    const doc = JSON.parse(text) as { VaultARN: string; InventoryDate: string; ArchiveList: Array<Record<string, unknown>> };
    expect(doc.VaultARN).toBe('arn:aws:glacier:us-east-1:123456789012:vaults/inv');
    expect(doc.InventoryDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(doc.ArchiveList).toHaveLength(5);
    expect(doc.ArchiveList[1]).toEqual({
      ArchiveId: archives[1]!.id,
      ArchiveDescription: 'with, comma',
      CreationDate: expect.stringMatching(/Z$/),
      Size: archives[1]!.data.length,
      SHA256TreeHash: treeHash(archives[1]!.data),
    });
  });

  it('returns CSV with the AWS header, quoting descriptions so commas and quotes survive', async () => {
    const { out, text } = await inventory(t.client, vaultName, { Format: 'CSV' });
    expect(out.contentType).toBe('text/csv');
    expect(text.split('\n')[0]).toBe('ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash');
    const rows = parse(text, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.ArchiveDescription)).toEqual(archives.map((a) => a.description));
    expect(rows.map((r) => r.ArchiveId)).toEqual(archives.map((a) => a.id));
    expect(rows[0]!.Size).toBe(String(archives[0]!.data.length));
  });

  it('filters by StartDate (inclusive) and EndDate (exclusive)', async () => {
    const all = JSON.parse((await inventory(t.client, vaultName)).text).ArchiveList as Array<{ CreationDate: string; ArchiveId: string }>;
    const { desc, text } = await inventory(t.client, vaultName, {
      InventoryRetrievalParameters: { StartDate: all[1]!.CreationDate, EndDate: all[3]!.CreationDate },
    });
    expect((JSON.parse(text).ArchiveList as Array<{ ArchiveId: string }>).map((a) => a.ArchiveId)).toEqual([all[1]!.ArchiveId, all[2]!.ArchiveId]);
    expect(desc.InventoryRetrievalParameters).toMatchObject({ StartDate: all[1]!.CreationDate, EndDate: all[3]!.CreationDate });
  });

  it('pages with Limit and the Marker reported by DescribeJob', async () => {
    const seen: string[] = [];
    let marker: string | undefined;
    let jobs = 0;
    do {
      const { desc, text } = await inventory(t.client, vaultName, { InventoryRetrievalParameters: { Limit: '2', ...(marker ? { Marker: marker } : {}) } });
      jobs++;
      seen.push(...(JSON.parse(text).ArchiveList as Array<{ ArchiveId: string }>).map((a) => a.ArchiveId));
      expect(desc.InventoryRetrievalParameters!.Limit).toBe('2');
      marker = desc.InventoryRetrievalParameters!.Marker;
    } while (marker);
    expect(jobs).toBe(3);
    expect(seen).toEqual(archives.map((a) => a.id));
  });

  it('refuses bad parameters', async () => {
    for (const params of [
      { Format: 'XML' },
      { InventoryRetrievalParameters: { Limit: '0' } },
      { InventoryRetrievalParameters: { StartDate: 'yesterday' } },
      { InventoryRetrievalParameters: { Marker: '!!' } },
      { ArchiveId: archives[0]!.id },
    ]) {
      const err = await rejection(t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval', ...params } })));
      expect(err, JSON.stringify(params)).toBeInstanceOf(InvalidParameterValueException);
    }
  });
});

describe("inventory in 'daily' mode", () => {
  let t: TestEndpoint;
  beforeAll(async () => {
    t = await startTestEndpoint({ inventory: 'daily' });
  });
  afterAll(async () => t.close());

  it('lags a day behind writes, like AWS, and refuses to delete a recently written vault', async () => {
    const vaultName = 'daily';
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const { archiveId } = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: bytes(500) }));
    const fresh = await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }));
    expect(fresh.NumberOfArchives).toBe(0);
    expect(fresh.LastInventoryDate).toBeUndefined();
    expect(await rejection(t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval' } })))).toBeInstanceOf(
      ResourceNotFoundException,
    );
    t.server.clock.advance(DAY + 1000);
    const later = await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }));
    expect(later.NumberOfArchives).toBe(1);
    expect(later.SizeInBytes).toBe(500);
    expect(later.LastInventoryDate).toEqual(expect.any(String));
    const { text } = await inventory(t.client, vaultName);
    expect(JSON.parse(text).ArchiveList).toHaveLength(1);

    await t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName, archiveId }));
    const err = await rejection(t.client.send(new DeleteVaultCommand({ accountId: '-', vaultName })));
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.message).toMatch(/^Vault not empty or recently written to/);
    t.server.clock.advance(DAY + 1000);
    expect((await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }))).NumberOfArchives).toBe(0);
    const ok = await t.client.send(new DeleteVaultCommand({ accountId: '-', vaultName }));
    expect(ok.$metadata.httpStatusCode).toBe(204);
  });
});
