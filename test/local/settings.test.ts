import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortVaultLockCommand,
  AddTagsToVaultCommand,
  CompleteVaultLockCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultAccessPolicyCommand,
  DeleteVaultCommand,
  DeleteVaultNotificationsCommand,
  DescribeJobCommand,
  GetDataRetrievalPolicyCommand,
  GetVaultAccessPolicyCommand,
  GetVaultLockCommand,
  GetVaultNotificationsCommand,
  InitiateJobCommand,
  InitiateVaultLockCommand,
  InvalidParameterValueException,
  LimitExceededException,
  ListProvisionedCapacityCommand,
  ListTagsForVaultCommand,
  PolicyEnforcedException,
  PurchaseProvisionedCapacityCommand,
  RemoveTagsFromVaultCommand,
  ResourceNotFoundException,
  SetDataRetrievalPolicyCommand,
  SetVaultAccessPolicyCommand,
  SetVaultNotificationsCommand,
  UploadArchiveCommand,
  GlacierServiceException,
} from '@aws-sdk/client-glacier';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { bytes, rejection } from './util.js';

const DAY = 24 * 3600_000;
let t: TestEndpoint;
beforeAll(async () => {
  t = await startTestEndpoint();
});
afterAll(async () => t.close());

const denyPolicy = (action: string, condition?: Record<string, unknown>) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'deny', Principal: '*', Effect: 'Deny', Action: action, Resource: 'arn:aws:glacier:us-east-1:123456789012:vaults/*', ...(condition ? { Condition: condition } : {}) }],
  });

describe('notifications', () => {
  it('sets, gets and deletes a configuration; validates the topic and events', async () => {
    const vaultName = 'notify';
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    expect(await rejection(t.client.send(new GetVaultNotificationsCommand({ accountId: '-', vaultName })))).toBeInstanceOf(ResourceNotFoundException);
    const config = { SNSTopic: 'arn:aws:sns:us-east-1:123456789012:done', Events: ['ArchiveRetrievalCompleted', 'InventoryRetrievalCompleted'] };
    const set = await t.client.send(new SetVaultNotificationsCommand({ accountId: '-', vaultName, vaultNotificationConfig: config }));
    expect(set.$metadata.httpStatusCode).toBe(204);
    expect((await t.client.send(new GetVaultNotificationsCommand({ accountId: '-', vaultName }))).vaultNotificationConfig).toEqual(config);
    const { archiveId } = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: bytes(10) }));
    const job = await t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }));
    const jobs = await t.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId: job.jobId }));
    expect(jobs.SNSTopic).toBe(config.SNSTopic);
    for (const bad of [
      { SNSTopic: 'topic', Events: ['ArchiveRetrievalCompleted'] },
      { SNSTopic: config.SNSTopic, Events: ['Other'] },
      { SNSTopic: config.SNSTopic, Events: [] },
    ]) {
      expect(await rejection(t.client.send(new SetVaultNotificationsCommand({ accountId: '-', vaultName, vaultNotificationConfig: bad })))).toBeInstanceOf(
        InvalidParameterValueException,
      );
    }
    await t.client.send(new DeleteVaultNotificationsCommand({ accountId: '-', vaultName }));
    expect(await rejection(t.client.send(new GetVaultNotificationsCommand({ accountId: '-', vaultName })))).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('access policy', () => {
  it('stores the policy and enforces Deny on DeleteArchive and DeleteVault', async () => {
    const vaultName = 'policy';
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    expect(await rejection(t.client.send(new GetVaultAccessPolicyCommand({ accountId: '-', vaultName })))).toBeInstanceOf(ResourceNotFoundException);
    const { archiveId } = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: bytes(10) }));
    const policy = denyPolicy('glacier:Delete*');
    await t.client.send(new SetVaultAccessPolicyCommand({ accountId: '-', vaultName, policy: { Policy: policy } }));
    expect((await t.client.send(new GetVaultAccessPolicyCommand({ accountId: '-', vaultName }))).policy?.Policy).toBe(policy);
    const denied = await rejection(t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName, archiveId })));
    expect(denied).toBeInstanceOf(GlacierServiceException);
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    await t.client.send(new DeleteVaultAccessPolicyCommand({ accountId: '-', vaultName }));
    await t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName, archiveId }));
    await t.client.send(new SetVaultAccessPolicyCommand({ accountId: '-', vaultName, policy: { Policy: denyPolicy('glacier:DeleteVault') } }));
    expect((await rejection(t.client.send(new DeleteVaultCommand({ accountId: '-', vaultName })))).name).toBe('AccessDeniedException');
    await t.client.send(new DeleteVaultAccessPolicyCommand({ accountId: '-', vaultName }));
    await t.client.send(new DeleteVaultCommand({ accountId: '-', vaultName }));
  });

  it('refuses documents that are not policies', async () => {
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'policy-bad' }));
    for (const Policy of ['not json', '{}', JSON.stringify({ Statement: [{ Effect: 'Maybe', Action: '*' }] }), `{"Statement":[],"x":"${'a'.repeat(21000)}"}`]) {
      const err = await rejection(t.client.send(new SetVaultAccessPolicyCommand({ accountId: '-', vaultName: 'policy-bad', policy: { Policy } })));
      expect(err).toBeInstanceOf(InvalidParameterValueException);
    }
  });
});

describe('vault lock', () => {
  it('InProgress for 24 h with its policy enforced; Complete makes it Locked and immutable', async () => {
    const vaultName = 'locked';
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const { archiveId } = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: bytes(10) }));
    const policy = denyPolicy('glacier:DeleteArchive', { NumericLessThan: { 'glacier:ArchiveAgeInDays': '365' } });
    const init = await t.client.send(new InitiateVaultLockCommand({ accountId: '-', vaultName, policy: { Policy: policy } }));
    expect(init.$metadata.httpStatusCode).toBe(201);
    expect(init.lockId).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const got = await t.client.send(new GetVaultLockCommand({ accountId: '-', vaultName }));
    expect(got).toMatchObject({ State: 'InProgress', Policy: policy });
    expect(Date.parse(got.ExpirationDate!) - Date.parse(got.CreationDate!)).toBe(DAY);
    expect((await rejection(t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName, archiveId })))).name).toBe('AccessDeniedException');
    expect((await rejection(t.client.send(new InitiateVaultLockCommand({ accountId: '-', vaultName, policy: { Policy: policy } })))).name).toBe(
      'AccessDeniedException',
    );
    expect(await rejection(t.client.send(new CompleteVaultLockCommand({ accountId: '-', vaultName, lockId: 'wrong' })))).toBeInstanceOf(InvalidParameterValueException);
    await t.client.send(new CompleteVaultLockCommand({ accountId: '-', vaultName, lockId: init.lockId }));
    const locked = await t.client.send(new GetVaultLockCommand({ accountId: '-', vaultName }));
    expect(locked.State).toBe('Locked');
    expect(locked.ExpirationDate).toBeUndefined();
    await t.client.send(new CompleteVaultLockCommand({ accountId: '-', vaultName, lockId: init.lockId }));
    expect((await rejection(t.client.send(new AbortVaultLockCommand({ accountId: '-', vaultName })))).name).toBe('AccessDeniedException');
    expect((await rejection(t.client.send(new InitiateVaultLockCommand({ accountId: '-', vaultName, policy: { Policy: denyPolicy('*') } })))).name).toBe(
      'AccessDeniedException',
    );
    expect((await rejection(t.client.send(new CompleteVaultLockCommand({ accountId: '-', vaultName, lockId: 'other' })))).name).toBe('AccessDeniedException');
    expect((await t.client.send(new GetVaultLockCommand({ accountId: '-', vaultName }))).Policy).toBe(policy);
    // The condition on archive age: a year later the archive may go.
    t.server.clock.advance(366 * DAY);
    await t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName, archiveId }));
  });

  it('an InProgress lock expires after 24 h; Abort removes it', async () => {
    const vaultName = 'lock-expiry';
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const init = await t.client.send(new InitiateVaultLockCommand({ accountId: '-', vaultName, policy: { Policy: denyPolicy('glacier:DeleteVault') } }));
    t.server.clock.advance(DAY + 1000);
    expect(await rejection(t.client.send(new GetVaultLockCommand({ accountId: '-', vaultName })))).toBeInstanceOf(ResourceNotFoundException);
    expect(await rejection(t.client.send(new CompleteVaultLockCommand({ accountId: '-', vaultName, lockId: init.lockId })))).toBeInstanceOf(
      InvalidParameterValueException,
    );
    await t.client.send(new InitiateVaultLockCommand({ accountId: '-', vaultName, policy: { Policy: denyPolicy('glacier:DeleteVault') } }));
    const abort = await t.client.send(new AbortVaultLockCommand({ accountId: '-', vaultName }));
    expect(abort.$metadata.httpStatusCode).toBe(204);
    expect(await rejection(t.client.send(new GetVaultLockCommand({ accountId: '-', vaultName })))).toBeInstanceOf(ResourceNotFoundException);
    await t.client.send(new DeleteVaultCommand({ accountId: '-', vaultName }));
  });
});

describe('tags', () => {
  it('adds, lists and removes tags, at most 10 per vault', async () => {
    const vaultName = 'tags';
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    expect((await t.client.send(new ListTagsForVaultCommand({ accountId: '-', vaultName }))).Tags).toEqual({});
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, `v${i}`]));
    await t.client.send(new AddTagsToVaultCommand({ accountId: '-', vaultName, Tags: ten }));
    expect((await t.client.send(new ListTagsForVaultCommand({ accountId: '-', vaultName }))).Tags).toEqual(ten);
    await t.client.send(new AddTagsToVaultCommand({ accountId: '-', vaultName, Tags: { k0: 'changed' } }));
    // LimitExceededException is retried by the SDK as throttling: one attempt is enough here.
    const once = t.newClient({ maxAttempts: 1 });
    expect(await rejection(once.send(new AddTagsToVaultCommand({ accountId: '-', vaultName, Tags: { eleventh: 'x' } })))).toBeInstanceOf(LimitExceededException);
    await t.client.send(new RemoveTagsFromVaultCommand({ accountId: '-', vaultName, TagKeys: ['k1', 'k2', 'absent'] }));
    const tags = (await t.client.send(new ListTagsForVaultCommand({ accountId: '-', vaultName }))).Tags!;
    expect(Object.keys(tags)).toHaveLength(8);
    expect(tags.k0).toBe('changed');
    expect(await rejection(t.client.send(new AddTagsToVaultCommand({ accountId: '-', vaultName, Tags: { ['k'.repeat(129)]: 'x' } })))).toBeInstanceOf(
      InvalidParameterValueException,
    );
  });
});

describe('data retrieval policy and provisioned capacity', () => {
  it('gets and sets the policy, and enforces BytesPerHour on Standard retrievals', async () => {
    const fresh = await startTestEndpoint();
    try {
      const initial = await fresh.client.send(new GetDataRetrievalPolicyCommand({ accountId: '-' }));
      expect(initial.Policy?.Rules).toEqual([{ Strategy: 'FreeTier' }]);
      await fresh.client.send(new SetDataRetrievalPolicyCommand({ accountId: '-', Policy: { Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: 1000 }] } }));
      expect((await fresh.client.send(new GetDataRetrievalPolicyCommand({ accountId: '-' }))).Policy?.Rules).toEqual([{ Strategy: 'BytesPerHour', BytesPerHour: 1000 }]);
      await fresh.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'r' }));
      const { archiveId } = await fresh.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'r', body: bytes(600) }));
      await fresh.client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'r', jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }));
      const err = await rejection(fresh.client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'r', jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } })));
      expect(err).toBeInstanceOf(PolicyEnforcedException);
      await fresh.client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'r', jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Bulk' } }));
      for (const Rules of [[{ Strategy: 'Sometimes' }], [{ Strategy: 'BytesPerHour' }], [{ Strategy: 'None', BytesPerHour: 5 }]]) {
        expect(await rejection(fresh.client.send(new SetDataRetrievalPolicyCommand({ accountId: '-', Policy: { Rules } })))).toBeInstanceOf(InvalidParameterValueException);
      }
      await fresh.client.send(new SetDataRetrievalPolicyCommand({ accountId: '-', Policy: { Rules: [{ Strategy: 'None' }] } }));
      await fresh.client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'r', jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }));
    } finally {
      await fresh.close();
    }
  });

  it('purchases at most two capacity units and lists them', async () => {
    const fresh = await startTestEndpoint();
    try {
      expect((await fresh.client.send(new ListProvisionedCapacityCommand({ accountId: '-' }))).ProvisionedCapacityList).toEqual([]);
      const a = await fresh.client.send(new PurchaseProvisionedCapacityCommand({ accountId: '-' }));
      expect(a.$metadata.httpStatusCode).toBe(201);
      expect(a.capacityId).toMatch(/^[A-Za-z0-9_-]{16,}$/);
      await fresh.client.send(new PurchaseProvisionedCapacityCommand({ accountId: '-' }));
      expect(await rejection(fresh.newClient({ maxAttempts: 1 }).send(new PurchaseProvisionedCapacityCommand({ accountId: '-' })))).toBeInstanceOf(LimitExceededException);
      const list = (await fresh.client.send(new ListProvisionedCapacityCommand({ accountId: '-' }))).ProvisionedCapacityList!;
      expect(list).toHaveLength(2);
      expect(list[0]).toMatchObject({ CapacityId: a.capacityId, StartDate: expect.stringMatching(/Z$/), ExpirationDate: expect.stringMatching(/Z$/) });
    } finally {
      await fresh.close();
    }
  });
});
