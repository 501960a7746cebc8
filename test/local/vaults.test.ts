import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultCommand,
  DescribeVaultCommand,
  ListVaultsCommand,
  paginateListVaults,
  ResourceNotFoundException,
  InvalidParameterValueException,
  UploadArchiveCommand,
  waitUntilVaultExists,
  waitUntilVaultNotExists,
} from '@aws-sdk/client-glacier';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { bytes, rawRequest, rejection, vaultWithArchive } from './util.js';

let t: TestEndpoint;
beforeAll(async () => {
  t = await startTestEndpoint();
});
afterAll(async () => t.close());

describe('CreateVault', () => {
  it('answers 201 with a Location holding the account id and the vault name', async () => {
    const out = await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'create-1' }));
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.location).toBe('/123456789012/vaults/create-1');
    expect(out.$metadata.requestId).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('is idempotent and leaves an existing vault and its archives untouched', async () => {
    const archiveId = await vaultWithArchive(t.client, 'create-2', bytes(1000));
    const before = await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'create-2' }));
    const again = await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'create-2' }));
    expect(again.location).toBe('/123456789012/vaults/create-2');
    const after = await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'create-2' }));
    expect(after.NumberOfArchives).toBe(1);
    expect(after.CreationDate).toBe(before.CreationDate);
    await t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'create-2', archiveId }));
  });

  it('validates names: 1-255 characters of a-zA-Z0-9_.-', async () => {
    for (const bad of ['has space', 'a'.repeat(256), 'semi;colon', 'slash/']) {
      const res = await rawRequest(t.endpoint, 'PUT', `/-/vaults/${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      expect(res.json().code).toBe('InvalidParameterValueException');
    }
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: `A-z_0.9-${'x'.repeat(247)}` }));
  });
});

describe('DescribeVault', () => {
  it('returns every field, with numbers as numbers and ISO dates with milliseconds', async () => {
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'describe-1' }));
    const empty = await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'describe-1' }));
    expect(empty.VaultARN).toBe('arn:aws:glacier:us-east-1:123456789012:vaults/describe-1');
    expect(empty.VaultName).toBe('describe-1');
    expect(empty.CreationDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(empty.NumberOfArchives).toBe(0);
    expect(empty.SizeInBytes).toBe(0);
    expect(empty.LastInventoryDate).toBeUndefined();
    await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'describe-1', body: bytes(1234) }));
    await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'describe-1', body: bytes(100) }));
    const full = await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'describe-1' }));
    expect(full.NumberOfArchives).toBe(2);
    expect(full.SizeInBytes).toBe(1334);
    expect(full.LastInventoryDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const raw = await rawRequest(t.endpoint, 'GET', '/-/vaults/describe-1');
    expect(typeof raw.json().SizeInBytes).toBe('number');
    expect(raw.headers['content-type']).toBe('application/json');
  });

  it('answers 404 ResourceNotFoundException in AWS shape for a missing vault', async () => {
    const err = await rejection(t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'no-such-vault' })));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect(err.message).toBe('Vault not found for ARN: arn:aws:glacier:us-east-1:123456789012:vaults/no-such-vault');
    expect(err.$metadata?.httpStatusCode).toBe(404);
    const raw = await rawRequest(t.endpoint, 'GET', '/-/vaults/no-such-vault');
    expect(raw.status).toBe(404);
    expect(raw.json()).toEqual({ code: 'ResourceNotFoundException', message: err.message, type: 'Client' });
    expect(raw.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(raw.headers['x-amzn-requestid']).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  });

  it('accepts "-" and the configured account id, refuses other accounts', async () => {
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'acct-1' }));
    const byId = await t.client.send(new DescribeVaultCommand({ accountId: '123456789012', vaultName: 'acct-1' }));
    expect(byId.VaultName).toBe('acct-1');
    const other = await rawRequest(t.endpoint, 'GET', '/999999999999/vaults/acct-1');
    expect(other.status).toBe(403);
    expect(other.json().code).toBe('AccessDeniedException');
    const bad = await rawRequest(t.endpoint, 'GET', '/not-an-account/vaults/acct-1');
    expect(bad.status).toBe(400);
  });

  it('works with the SDK waiters', async () => {
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'waiter-1' }));
    const exists = await waitUntilVaultExists({ client: t.client, maxWaitTime: 10 }, { accountId: '-', vaultName: 'waiter-1' });
    expect(exists.state).toBe('SUCCESS');
    await t.client.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'waiter-1' }));
    const gone = await waitUntilVaultNotExists({ client: t.client, maxWaitTime: 10 }, { accountId: '-', vaultName: 'waiter-1' });
    expect(gone.state).toBe('SUCCESS');
  });
});

describe('ListVaults', () => {
  let fresh: TestEndpoint;
  beforeAll(async () => {
    fresh = await startTestEndpoint();
    for (const name of ['b', 'B', 'a', '_', '0', 'a.b', 'a-b', 'Z', 'zz', 'y', 'x', 'w']) {
      await fresh.client.send(new CreateVaultCommand({ accountId: '-', vaultName: name }));
    }
  });
  afterAll(async () => fresh.close());

  it('is ASCII-sorted and pages 10 at a time by default', async () => {
    const first = await fresh.client.send(new ListVaultsCommand({ accountId: '-' }));
    expect(first.VaultList!.map((v) => v.VaultName)).toEqual(['0', 'B', 'Z', '_', 'a', 'a-b', 'a.b', 'b', 'w', 'x']);
    expect(first.Marker).toBe('arn:aws:glacier:us-east-1:123456789012:vaults/y');
    const second = await fresh.client.send(new ListVaultsCommand({ accountId: '-', marker: first.Marker }));
    expect(second.VaultList!.map((v) => v.VaultName)).toEqual(['y', 'zz']);
    expect(second.Marker).toBeUndefined();
  });

  it('pages with limit and the SDK paginator', async () => {
    const names: string[] = [];
    let pages = 0;
    for await (const page of paginateListVaults({ client: fresh.client }, { accountId: '-', limit: 5 })) {
      pages++;
      names.push(...page.VaultList!.map((v) => v.VaultName!));
    }
    expect(pages).toBe(3);
    expect(names).toHaveLength(12);
    expect(new Set(names).size).toBe(12);
  });

  it('refuses a limit outside 1..1000 and a bad marker', async () => {
    for (const limit of ['0', '1001', 'abc', '-1']) {
      const res = await rawRequest(fresh.endpoint, 'GET', `/-/vaults?limit=${limit}`);
      expect(res.status, limit).toBe(400);
      expect(res.json().code).toBe('InvalidParameterValueException');
    }
    const ok = await rawRequest(fresh.endpoint, 'GET', '/-/vaults?limit=1000');
    expect((ok.json().VaultList as unknown[]).length).toBe(12);
    const bad = await rawRequest(fresh.endpoint, 'GET', '/-/vaults?marker=%21%21');
    expect(bad.status).toBe(400);
  });
});

describe('DeleteVault', () => {
  it('refuses a vault with archives with AWS message, then deletes it once emptied', async () => {
    const archiveId = await vaultWithArchive(t.client, 'delete-1', bytes(10));
    const err = await rejection(t.client.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'delete-1' })));
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.message).toBe('Vault not empty or recently written to: arn:aws:glacier:us-east-1:123456789012:vaults/delete-1');
    expect((await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'delete-1' }))).NumberOfArchives).toBe(1);
    await t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'delete-1', archiveId }));
    const out = await t.client.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'delete-1' }));
    expect(out.$metadata.httpStatusCode).toBe(204);
    expect(await rejection(t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'delete-1' })))).toBeInstanceOf(ResourceNotFoundException);
  });

  it('answers 404 for a missing vault', async () => {
    expect(await rejection(t.client.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'never-was' })))).toBeInstanceOf(ResourceNotFoundException);
  });
});
