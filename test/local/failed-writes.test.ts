/**
 * A metadata write that fails (a full disk, simulated by the `diskfull`
 * fault) must leave the endpoint as it was: the client gets an error, a
 * retry is served from the committed state only, and after a `kill -9` and a
 * restart every acknowledged change is there and no unacknowledged one is.
 * Also: the data directory's lock dies with its process, so an endpoint that
 * crashed as PID 1 (in a container) restarts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  AddTagsToVaultCommand,
  CompleteMultipartUploadCommand,
  CreateVaultCommand,
  DeleteArchiveCommand,
  DeleteVaultCommand,
  DescribeVaultCommand,
  GetDataRetrievalPolicyCommand,
  GetJobOutputCommand,
  GetVaultAccessPolicyCommand,
  GetVaultNotificationsCommand,
  GlacierClient,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  InitiateVaultLockCommand,
  ListJobsCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  ListProvisionedCapacityCommand,
  ListTagsForVaultCommand,
  ListVaultsCommand,
  PurchaseProvisionedCapacityCommand,
  SetDataRetrievalPolicyCommand,
  SetVaultAccessPolicyCommand,
  SetVaultNotificationsCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
  GetVaultLockCommand,
} from '@aws-sdk/client-glacier';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';
import { startChild, type ChildEndpoint } from './child.js';
import { bytes, rejection } from './util.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glacier-failed-writes-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

const V = { accountId: '-', vaultName: 'v' };

function clientFor(endpoint: string, maxAttempts = 3): GlacierClient {
  return new GlacierClient({ region: 'us-east-1', endpoint, credentials: TEST_CREDENTIALS, maxAttempts, retryStrategy: undefined });
}

async function kill9(run: ChildEndpoint): Promise<void> {
  run.child.kill('SIGKILL');
  expect((await run.exited).signal).toBe('SIGKILL');
}

async function stop(run: ChildEndpoint): Promise<void> {
  run.child.kill('SIGTERM');
  await run.exited;
}

async function inventoryIds(client: GlacierClient, vaultName: string): Promise<string[]> {
  const job = await client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval' } }));
  const out = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId: job.jobId }));
  const doc = JSON.parse(await out.body!.transformToString()) as { ArchiveList: Array<{ ArchiveId: string }> };
  return doc.ArchiveList.map((a) => a.ArchiveId).sort();
}

describe('a metadata write that fails (full disk)', () => {
  it('CompleteMultipartUpload: a retry after the failed write completes for real, and the archive survives kill -9', async () => {
    const dataDir = join(root, 'complete-retry');
    let run = await startChild(['--data-dir', dataDir, '--job-delay', '0', '--faults', 'CompleteMultipartUpload:1#1:diskfull']);
    let client = clientFor(run.endpoint);
    const data = bytes(2 * MiB);
    await client.send(new CreateVaultCommand(V));
    const { uploadId } = await client.send(new InitiateMultipartUploadCommand({ ...V, partSize: String(MiB) }));
    for (const start of [0, MiB]) {
      await client.send(new UploadMultipartPartCommand({ ...V, uploadId, range: `bytes ${start}-${start + MiB - 1}/*`, body: data.subarray(start, start + MiB) }));
    }
    // The first attempt's write fails (500); the SDK retries, and the retry is served from committed state.
    const done = await client.send(new CompleteMultipartUploadCommand({ ...V, uploadId, archiveSize: String(data.length), checksum: treeHash(data) }));
    expect(done.$metadata.attempts).toBe(2);
    await kill9(run);
    client.destroy();

    run = await startChild(['--data-dir', dataDir, '--job-delay', '0']);
    client = clientFor(run.endpoint);
    try {
      expect((await client.send(new DescribeVaultCommand(V))).NumberOfArchives).toBe(1);
      expect(await inventoryIds(client, 'v')).toEqual([done.archiveId]);
      expect((await client.send(new ListMultipartUploadsCommand(V))).UploadsList).toEqual([]);
      const job = await client.send(new InitiateJobCommand({ ...V, jobParameters: { Type: 'archive-retrieval', ArchiveId: done.archiveId } }));
      const out = await client.send(new GetJobOutputCommand({ ...V, jobId: job.jobId }));
      expect(Buffer.from(await out.body!.transformToByteArray()).equals(data)).toBe(true);
    } finally {
      client.destroy();
      await stop(run);
    }
  });

  it('when every write fails: no archive appears, no archive goes, no duplicate, no temporary file, before and after kill -9', async () => {
    const dataDir = join(root, 'always-full');
    let run = await startChild(['--data-dir', dataDir, '--job-delay', '0']);
    let client = clientFor(run.endpoint);
    const kept = bytes(100_000);
    await client.send(new CreateVaultCommand(V));
    const a = await client.send(new UploadArchiveCommand({ ...V, body: kept }));
    const { uploadId } = await client.send(new InitiateMultipartUploadCommand({ ...V, partSize: String(MiB) }));
    const part = bytes(MiB);
    await client.send(new UploadMultipartPartCommand({ ...V, uploadId, range: `bytes 0-${MiB - 1}/*`, body: part }));
    await stop(run);
    client.destroy();

    run = await startChild(['--data-dir', dataDir, '--job-delay', '0', '--faults', '*:1:diskfull']);
    client = clientFor(run.endpoint);
    const failed = async (p: Promise<unknown>) => expect((await rejection(p)).$metadata?.httpStatusCode).toBe(500);
    await failed(client.send(new CompleteMultipartUploadCommand({ ...V, uploadId, archiveSize: String(MiB), checksum: treeHash(part) })));
    await failed(client.send(new DeleteArchiveCommand({ ...V, archiveId: a.archiveId })));
    await failed(client.send(new UploadArchiveCommand({ ...V, body: bytes(5000) })));
    // Retried (3 attempts each) and refused: nothing of them is visible, and a repeated delete still finds the archive.
    expect((await client.send(new DescribeVaultCommand(V))).NumberOfArchives).toBe(1);
    expect((await client.send(new ListPartsCommand({ ...V, uploadId }))).Parts).toHaveLength(1);
    expect(await readdir(join(dataDir, 'tmp'))).toEqual([]);
    const blobs = (await readdir(join(dataDir, 'blobs'))).filter((n) => !n.endsWith('.leaves'));
    expect(blobs).toHaveLength(2); // the kept archive and the part: the refused upload's body is gone
    await kill9(run);
    client.destroy();

    run = await startChild(['--data-dir', dataDir, '--job-delay', '0']);
    client = clientFor(run.endpoint);
    try {
      expect(await inventoryIds(client, 'v')).toEqual([a.archiveId]);
      const parts = await client.send(new ListPartsCommand({ ...V, uploadId }));
      expect(parts.Parts).toEqual([{ RangeInBytes: `0-${MiB - 1}`, SHA256TreeHash: treeHash(part) }]);
    } finally {
      client.destroy();
      await stop(run);
    }
  });

  it('at every kind of metadata change: the failed attempt leaves nothing, the acknowledged retry is kept across kill -9', async () => {
    const dataDir = join(root, 'every-change');
    const ops = [
      'CreateVault',
      'UploadArchive',
      'InitiateMultipartUpload',
      'UploadMultipartPart',
      'CompleteMultipartUpload',
      'AbortMultipartUpload',
      'DeleteArchive',
      'InitiateJob',
      'SetVaultAccessPolicy',
      'AddTagsToVault',
      'SetVaultNotifications',
      'InitiateVaultLock',
      'SetDataRetrievalPolicy',
      'PurchaseProvisionedCapacity',
      'DeleteVault',
    ];
    // The first request of each kind fails its write once.
    const faults = ops.map((op) => `${op}:1#1:diskfull`).join(',');
    let run = await startChild(['--data-dir', dataDir, '--job-delay', '0', '--faults', faults]);
    let client = clientFor(run.endpoint, 1);
    const twice = async <T>(send: () => Promise<T>, check: () => Promise<void>): Promise<T> => {
      const err = await rejection(send());
      expect(err.$metadata?.httpStatusCode).toBe(500);
      await check(); // nothing of the failed attempt is visible
      return send();
    };
    const vaultCount = async () => (await client.send(new ListVaultsCommand({ accountId: '-' }))).VaultList!.length;
    const archives = async (vaultName = 'v') => (await client.send(new DescribeVaultCommand({ accountId: '-', vaultName }))).NumberOfArchives;

    await twice(() => client.send(new CreateVaultCommand(V)), async () => expect(await vaultCount()).toBe(0));
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'gone' }));
    const a1 = await twice(() => client.send(new UploadArchiveCommand({ ...V, body: bytes(3000) })), async () => expect(await archives()).toBe(0));
    const a2 = await client.send(new UploadArchiveCommand({ ...V, body: bytes(4000) }));
    const uploads = async () => (await client.send(new ListMultipartUploadsCommand(V))).UploadsList!.length;
    const up = await twice(() => client.send(new InitiateMultipartUploadCommand({ ...V, partSize: String(MiB) })), async () => expect(await uploads()).toBe(0));
    const part = bytes(MiB);
    const parts = async (uploadId = up.uploadId) => (await client.send(new ListPartsCommand({ ...V, uploadId }))).Parts!.length;
    await twice(
      () => client.send(new UploadMultipartPartCommand({ ...V, uploadId: up.uploadId, range: `bytes 0-${MiB - 1}/*`, body: part })),
      async () => expect(await parts()).toBe(0),
    );
    const m = await twice(
      () => client.send(new CompleteMultipartUploadCommand({ ...V, uploadId: up.uploadId, archiveSize: String(MiB), checksum: treeHash(part) })),
      async () => {
        expect(await archives()).toBe(2);
        expect(await parts()).toBe(1);
      },
    );
    const other = await client.send(new InitiateMultipartUploadCommand({ ...V, partSize: String(MiB) }));
    await twice(() => client.send(new AbortMultipartUploadCommand({ ...V, uploadId: other.uploadId })), async () => expect(await parts(other.uploadId)).toBe(0));
    await twice(() => client.send(new DeleteArchiveCommand({ ...V, archiveId: a2.archiveId })), async () => expect(await archives()).toBe(3));
    const jobs = async () => (await client.send(new ListJobsCommand(V))).JobList!.length;
    const job = await twice(() => client.send(new InitiateJobCommand({ ...V, jobParameters: { Type: 'archive-retrieval', ArchiveId: a1.archiveId } })), async () => expect(await jobs()).toBe(0));
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Principal: '*', Action: 'glacier:DeleteVault', Resource: '*' }] });
    const hasPolicy = async () => (await rejection(client.send(new GetVaultAccessPolicyCommand({ accountId: '-', vaultName: 'gone' })))).name;
    await twice(() => client.send(new SetVaultAccessPolicyCommand({ accountId: '-', vaultName: 'gone', policy: { Policy: policy } })), async () => expect(await hasPolicy()).toBe('ResourceNotFoundException'));
    await client.send(new SetVaultAccessPolicyCommand({ accountId: '-', vaultName: 'gone', policy: { Policy: policy.replace('Deny', 'Allow') } }));
    const tags = async () => (await client.send(new ListTagsForVaultCommand(V))).Tags;
    await twice(() => client.send(new AddTagsToVaultCommand({ ...V, Tags: { owner: 'me' } })), async () => expect(await tags()).toEqual({}));
    const topic = 'arn:aws:sns:us-east-1:123456789012:done';
    await twice(
      () => client.send(new SetVaultNotificationsCommand({ ...V, vaultNotificationConfig: { SNSTopic: topic, Events: ['ArchiveRetrievalCompleted'] } })),
      async () => expect((await rejection(client.send(new GetVaultNotificationsCommand(V)))).name).toBe('ResourceNotFoundException'),
    );
    await twice(
      () => client.send(new InitiateVaultLockCommand({ ...V, policy: { Policy: policy } })),
      async () => expect((await rejection(client.send(new GetVaultLockCommand(V)))).name).toBe('ResourceNotFoundException'),
    );
    const rules = async () => (await client.send(new GetDataRetrievalPolicyCommand({ accountId: '-' }))).Policy!.Rules;
    await twice(
      () => client.send(new SetDataRetrievalPolicyCommand({ accountId: '-', Policy: { Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: 10 * 2 ** 30 }] } })),
      async () => expect(await rules()).toEqual([{ Strategy: 'FreeTier' }]),
    );
    const units = async () => (await client.send(new ListProvisionedCapacityCommand({ accountId: '-' }))).ProvisionedCapacityList!.length;
    await twice(() => client.send(new PurchaseProvisionedCapacityCommand({ accountId: '-' })), async () => expect(await units()).toBe(0));
    await twice(() => client.send(new DeleteVaultCommand({ accountId: '-', vaultName: 'gone' })), async () => expect(await vaultCount()).toBe(2));
    await kill9(run);
    client.destroy();

    run = await startChild(['--data-dir', dataDir, '--job-delay', '0']);
    client = clientFor(run.endpoint);
    try {
      expect((await client.send(new ListVaultsCommand({ accountId: '-' }))).VaultList!.map((v) => v.VaultName)).toEqual(['v']);
      expect(await inventoryIds(client, 'v')).toEqual([a1.archiveId, m.archiveId].sort());
      expect(await uploads()).toBe(0);
      expect((await client.send(new ListJobsCommand(V))).JobList!.map((j) => j.JobId)).toContain(job.jobId);
      expect(await tags()).toEqual({ owner: 'me' });
      expect((await client.send(new GetVaultNotificationsCommand(V))).vaultNotificationConfig?.SNSTopic).toBe(topic);
      expect((await client.send(new GetVaultLockCommand(V))).State).toBe('InProgress');
      expect(await rules()).toEqual([{ Strategy: 'BytesPerHour', BytesPerHour: 10 * 2 ** 30 }]);
      expect(await units()).toBe(1);
    } finally {
      client.destroy();
      await stop(run);
    }
  });
});

describe('the data directory lock dies with its process', () => {
  it('an endpoint killed as PID 1 (in a PID namespace) restarts as PID 1 on the same data directory', async () => {
    const dataDir = join(root, 'pid1');
    const wrapper = ['unshare', '--fork', '--pid', '--mount-proc', '--kill-child'];
    for (let round = 0; round < 2; round++) {
      const run = await startChild(['--data-dir', dataDir], wrapper);
      const client = clientFor(run.endpoint);
      await client.send(new CreateVaultCommand({ accountId: '-', vaultName: `round-${round}` }));
      expect((await client.send(new ListVaultsCommand({ accountId: '-' }))).VaultList).toHaveLength(round + 1);
      client.destroy();
      // The endpoint is the namespace's PID 1; kill -9 it from outside.
      const inner = Number(execFileSync('pgrep', ['-P', String(run.child.pid)], { encoding: 'utf8' }).trim().split('\n')[0]);
      expect(Number.isInteger(inner) && inner > 0).toBe(true);
      process.kill(inner, 'SIGKILL');
      await run.exited;
    }
  });

  it('a stale lock file naming a running process (a reused PID) does not block a start', async () => {
    const dataDir = join(root, 'reused-pid');
    const first = await startChild(['--data-dir', dataDir]);
    await kill9(first);
    // What the earlier pid-file lock would have trusted: a live process id.
    await writeFile(join(dataDir, 'lock'), `${process.pid}\n`);
    const second = await startChild(['--data-dir', dataDir]);
    try {
      const client = clientFor(second.endpoint);
      expect((await client.send(new ListVaultsCommand({ accountId: '-' }))).VaultList).toEqual([]);
      client.destroy();
    } finally {
      await stop(second);
    }
  });
});
