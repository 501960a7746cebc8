import { randomBytes } from 'node:crypto';
import { CreateVaultCommand } from '@aws-sdk/client-glacier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import type { FailedAttempt } from '../../src/transfer/retry.js';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { uploadArchive } from '../../src/transfer/upload.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

describe('retry.onFailedAttempt', () => {
  let ep: TestEndpoint;
  const vaultName = 'retry-reporting';
  beforeAll(async () => {
    ep = await startTestEndpoint();
    await ep.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  });
  afterAll(() => ep.close());

  it('reports each transient failure of a part before it is retried, and the upload still verifies', async () => {
    ep.server.setFaults('UploadMultipartPart:1#2:500');
    const failures: FailedAttempt[] = [];
    const data = randomBytes(3 * MiB + 7);
    try {
      const archive = await uploadArchive(
        { client: ep.client, accountId: '-', vaultName },
        { body: data, partSize: MiB, multipartThreshold: MiB, concurrency: 1, retry: { minDelay: 1, maxDelay: 5, onFailedAttempt: (f) => failures.push(f) } },
      );
      expect(archive.checksum).toBe(treeHash(data));
    } finally {
      ep.server.setFaults(undefined);
    }
    expect(failures).toHaveLength(2);
    for (const f of failures) {
      expect(f.error.name).toBe('ServiceUnavailableException');
      expect(f.retriesLeft).toBeGreaterThan(0);
    }
    expect(failures.map((f) => f.attemptNumber)).toEqual([1, 2]);
  });

  it('is not called for an error that is not transient', async () => {
    const failures: FailedAttempt[] = [];
    await expect(
      uploadArchive(
        { client: ep.client, accountId: '-', vaultName: 'no-such-vault' },
        { body: Buffer.from('x'), retry: { onFailedAttempt: (f) => failures.push(f) } },
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(failures).toHaveLength(0);
  });

  it('must be a function', async () => {
    await expect(
      uploadArchive({ client: ep.client, accountId: '-', vaultName }, { body: Buffer.from('x'), retry: { onFailedAttempt: 5 as never } }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});
