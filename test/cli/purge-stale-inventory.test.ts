import { join } from 'node:path';
import { CreateVaultCommand, DescribeVaultCommand, InitiateJobCommand, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PurgeReport } from '../../src/cli/commands/purge.js';
import type { TestEndpoint } from '../helpers/endpoint.js';
import { json, runCli, useCliFixture } from './run.js';

const fixture = useCliFixture('purge-stale', (work) => ({ XDG_STATE_HOME: join(work, 'state') }));
let ep: TestEndpoint;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  ({ ep, env } = fixture);
});

describe('glacier purge with an inventory older than the vault', () => {
  it('takes a new inventory when archives were added after the newest one, and empties the vault', async () => {
    const vaultName = 'purge-stale';
    await ep.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const upload = (i: number) =>
      ep.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: Buffer.from(`archive ${i}`) }));
    await upload(1);
    await upload(2);
    const old = await ep.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval' } }));
    // Written after that inventory was taken: the old inventory does not list it.
    await new Promise((r) => setTimeout(r, 20));
    await upload(3);

    const r = await runCli(['--json', 'purge', vaultName, '--yes', '--delete-vault', '--poll-interval', '0.1'], env);
    expect(r.code, r.stderr).toBe(0);
    const report = json<PurgeReport>(r);
    expect(report.inventoryJobId).not.toBe(old.jobId);
    expect(report).toMatchObject({ archivesInInventory: 3, deleted: 3, failed: 0, vaultDeleted: true });
    expect(r.stderr).toContain('archives were added since it was taken');
    await expect(ep.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
