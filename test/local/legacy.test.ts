/**
 * A data directory written by the endpoint's first versions (one JSON
 * document, `metadata.json`) is imported at its first start: nothing in it
 * is lost, and its blobs are not taken for orphans.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DescribeVaultCommand,
  GetDataRetrievalPolicyCommand,
  GetJobOutputCommand,
  GlacierClient,
  InitiateJobCommand,
  ListPartsCommand,
  ListTagsForVaultCommand,
} from '@aws-sdk/client-glacier';
import { startLocalGlacier } from '../../src/local/index.js';
import { treeHash } from '../../src/transfer/tree-hash.js';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';
import { bytes } from './util.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glacier-legacy-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('a first-version data directory (metadata.json)', () => {
  it('is imported whole at the first start, then served from the new store', async () => {
    const dataDir = join(root, 'v1');
    await mkdir(join(dataDir, 'blobs'), { recursive: true });
    const archive = bytes(5000);
    const part = bytes(4000);
    const archiveKey = 'a'.repeat(32);
    const partKey = 'b'.repeat(32);
    await writeFile(join(dataDir, 'blobs', archiveKey), archive);
    await writeFile(join(dataDir, 'blobs', partKey), part);
    const now = Date.now();
    const doc = {
      version: 1,
      dataRetrievalPolicy: { Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: 1e9 }] },
      capacity: [],
      vaults: [
        {
          name: 'old',
          created: now - 1e6,
          archives: [{ id: 'ARCHIVE-1', description: 'kept', created: now - 5e5, size: archive.length, treeHash: treeHash(archive), segments: [{ key: archiveKey, size: archive.length }] }],
          deletedArchives: [],
          uploads: [{ id: 'UPLOAD-1', description: 'half done', partSize: 1048576, created: now - 4e5, parts: [{ start: 0, size: part.length, treeHash: treeHash(part), key: partKey }] }],
          completedUploads: [],
          abortedUploads: [],
          jobs: [],
          lastWrite: now - 5e5,
          snapshot: null,
          pendingSince: now - 5e5,
          accessPolicy: null,
          notifications: null,
          lock: null,
          tags: [['owner', 'me']],
        },
      ],
    };
    await writeFile(join(dataDir, 'metadata.json'), JSON.stringify(doc));
    const g = await startLocalGlacier({ dataDir, jobDelay: 0 });
    const client = new GlacierClient({ region: 'us-east-1', endpoint: g.endpoint, credentials: TEST_CREDENTIALS });
    const V = { accountId: '-', vaultName: 'old' };
    try {
      expect((await client.send(new DescribeVaultCommand(V))).NumberOfArchives).toBe(1);
      const job = await client.send(new InitiateJobCommand({ ...V, jobParameters: { Type: 'archive-retrieval', ArchiveId: 'ARCHIVE-1' } }));
      const out = await client.send(new GetJobOutputCommand({ ...V, jobId: job.jobId }));
      expect(Buffer.from(await out.body!.transformToByteArray()).equals(archive)).toBe(true);
      expect((await client.send(new ListPartsCommand({ ...V, uploadId: 'UPLOAD-1' }))).Parts).toEqual([{ RangeInBytes: `0-${part.length - 1}`, SHA256TreeHash: treeHash(part) }]);
      expect((await client.send(new ListTagsForVaultCommand(V))).Tags).toEqual({ owner: 'me' });
      expect((await client.send(new GetDataRetrievalPolicyCommand({ accountId: '-' }))).Policy?.Rules).toEqual([{ Strategy: 'BytesPerHour', BytesPerHour: 1e9 }]);
      const names = await readdir(dataDir);
      expect(names).toContain('metadata.json.imported');
      expect(names).not.toContain('metadata.json');
      expect(await readdir(join(dataDir, 'blobs'))).toEqual(expect.arrayContaining([archiveKey, partKey]));
    } finally {
      client.destroy();
      await g.close();
    }
  });
});
