import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateVaultCommand,
  DeleteArchiveCommand,
  DescribeVaultCommand,
  InitiateJobCommand,
  ListJobsCommand,
  UploadArchiveCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PurgeReport } from '../../src/cli/commands/purge.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { cliEnv, useCliFixture, finish, json, runCli, startCli } from './run.js';

// Default state files go under XDG_STATE_HOME: keep them in the test's directory.
const fixture = useCliFixture('purge', (work) => ({ XDG_STATE_HOME: join(work, 'state') }));
let ep: TestEndpoint;
let env: NodeJS.ProcessEnv;
let work: string;
beforeAll(() => {
  ({ ep, env, work } = fixture);
});

/** A vault holding `count` small archives; returns their ids. */
async function fillVault(client: GlacierClient, vaultName: string, count: number): Promise<string[]> {
  await client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        const out = await client.send(
          new UploadArchiveCommand({ accountId: '-', vaultName, body: Buffer.from(`archive ${i}`), archiveDescription: `file-${i}.txt` }),
        );
        ids.push(out.archiveId!);
      }
    }),
  );
  return ids;
}

async function archiveCount(vaultName: string): Promise<number> {
  const d = await ep.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }));
  return d.NumberOfArchives ?? 0;
}

async function inventoryJobCount(vaultName: string): Promise<number> {
  const jobs = await ep.client.send(new ListJobsCommand({ accountId: '-', vaultName }));
  return (jobs.JobList ?? []).filter((j) => j.Action === 'InventoryRetrieval').length;
}

describe('glacier purge', () => {
  it('empties a vault of 1,000 archives and deletes it, reporting as JSON', async () => {
    await fillVault(ep.client, 'purge-1000', 1000);
    expect(await archiveCount('purge-1000')).toBe(1000);

    const dry = await runCli(['--json', 'purge', 'purge-1000', '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(json<PurgeReport>(dry)).toMatchObject({ dryRun: true, archivesInInventory: 1000, deleted: 0, vaultDeleted: false });
    expect(await archiveCount('purge-1000')).toBe(1000);

    const r = await runCli(['--json', 'purge', 'purge-1000', '--yes', '--delete-vault', '--concurrency', '16'], env);
    expect(r.code, r.stderr).toBe(0);
    const report = json<PurgeReport>(r);
    expect(report).toMatchObject({
      vault: 'purge-1000',
      dryRun: false,
      resumed: false,
      archivesInInventory: 1000,
      deleted: 1000,
      alreadyGone: 0,
      failed: 0,
      vaultDeleted: true,
      stateFile: null,
    });
    // It used the inventory the dry run requested rather than starting another.
    expect(report.inventoryJobId).toBe(json<PurgeReport>(dry).inventoryJobId);
    await expect(ep.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'purge-1000' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    // Progress went to stderr as plain lines, ending at 1000 / 1000.
    expect(r.stderr).toMatch(/^purge 100% \| 1000 \/ 1000 \|/m);
  }, 120_000);

  it('refuses to delete without --yes when stdin is not a terminal, and deletes nothing', async () => {
    await fillVault(ep.client, 'purge-confirm', 3);
    const r = await runCli(['purge', 'purge-confirm'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --yes to confirm');
    expect(await archiveCount('purge-confirm')).toBe(3);
  });

  it('copes with archives deleted since the inventory and leaves the vault when --delete-vault is not given', async () => {
    const ids = await fillVault(ep.client, 'purge-gone', 5);
    const job = await ep.client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'purge-gone', jobParameters: { Type: 'inventory-retrieval' } }));
    await ep.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'purge-gone', archiveId: ids[0]! }));
    const r = await runCli(['--json', 'purge', 'purge-gone', '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    const report = json<PurgeReport>(r);
    expect(report).toMatchObject({ inventoryJobId: job.jobId, archivesInInventory: 5, failed: 0, vaultDeleted: false, stateFile: null });
    // DeleteArchive is idempotent; a 404 would be counted as already gone.
    expect(report.deleted + report.alreadyGone).toBe(5);
    expect(await archiveCount('purge-gone')).toBe(0);
    const text = await runCli(['vault', 'describe', 'purge-gone'], env);
    expect(text.code).toBe(0);
  });

  it('resumes from its state file after Ctrl-C, without a new inventory', async () => {
    const ids = await fillVault(ep.client, 'purge-resume', 200);
    const state = join(work, 'resume.jsonl');
    ep.server.setFaults('DeleteArchive:1:slow:40');
    const child = startCli(['purge', 'purge-resume', '--yes', '--concurrency', '2', '--state', state], env);
    const done = finish(child);
    // Interrupt once some deletions are recorded.
    for (;;) {
      const text = await readFile(state, 'utf8').catch(() => '');
      if ((text.match(/"deleted"/g) ?? []).length >= 10) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGINT');
    const interrupted = await done;
    ep.server.setFaults(undefined);
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain('Run the same command to continue');
    const left = await archiveCount('purge-resume');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(200);
    expect(await inventoryJobCount('purge-resume')).toBe(1);

    const r = await runCli(['--json', 'purge', 'purge-resume', '--yes', '--delete-vault', '--state', state], env);
    expect(r.code, r.stderr).toBe(0);
    const report = json<PurgeReport>(r);
    expect(report.resumed).toBe(true);
    expect(report.deletedEarlier).toBeGreaterThanOrEqual(10);
    // Every archive was deleted exactly once across the two runs (a deletion
    // in flight at the interruption may be repeated and is then "already gone").
    expect(report.deletedEarlier + report.deleted + report.alreadyGone).toBe(ids.length);
    expect(report.vaultDeleted).toBe(true);
    expect(await inventoryJobCount('purge-resume').catch(() => 'vault gone')).toBe('vault gone');
    await expect(stat(state)).rejects.toThrow();
  }, 60_000);

  it('requests a new inventory when the remembered job has expired, skipping what it already deleted', async () => {
    const ids = await fillVault(ep.client, 'purge-expired', 4);
    await ep.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'purge-expired', archiveId: ids[0]! }));
    const state = join(work, 'expired.jsonl');
    const header = { type: 'glacier-purge', version: 1, account: '-', vault: 'purge-expired', where: ep.endpoint, inventoryJobId: 'expired-job-id', startedAt: new Date().toISOString() };
    await writeFile(state, `${JSON.stringify(header)}\n${JSON.stringify({ deleted: ids[0] })}\n{"deleted": "torn`);
    const r = await runCli(['--json', 'purge', 'purge-expired', '--yes', '--state', state], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('has expired; requested a new one');
    const report = json<PurgeReport>(r);
    expect(report.inventoryJobId).not.toBe('expired-job-id');
    expect(report).toMatchObject({ resumed: true, archivesInInventory: 3, deletedEarlier: 0, deleted: 3 });
    expect(await archiveCount('purge-expired')).toBe(0);
  });

  it('never works from an inventory limited to a page or a date range', async () => {
    await fillVault(ep.client, 'purge-partial', 3);
    const limited = await ep.client.send(
      new InitiateJobCommand({ accountId: '-', vaultName: 'purge-partial', jobParameters: { Type: 'inventory-retrieval', InventoryRetrievalParameters: { Limit: '1' } } }),
    );
    const r = await runCli(['--json', 'purge', 'purge-partial', '--yes', '--delete-vault'], env);
    expect(r.code, r.stderr).toBe(0);
    const report = json<PurgeReport>(r);
    expect(report.inventoryJobId).not.toBe(limited.jobId);
    expect(report).toMatchObject({ archivesInInventory: 3, deleted: 3, vaultDeleted: true });
  });

  it("on an AWS-like endpoint (daily inventory) it reports that the vault must wait, and a later run finishes", async () => {
    const daily = await startTestEndpoint({ inventory: 'daily' });
    try {
      const dailyEnv = cliEnv(daily.endpoint, { XDG_STATE_HOME: join(work, 'daily-state') });
      await fillVault(daily.client, 'aws-like', 5);
      // Glacier's daily inventory runs.
      daily.server.clock.advance(25 * 3_600_000);
      const first = await runCli(['--json', 'purge', 'aws-like', '--yes', '--delete-vault'], dailyEnv);
      expect(first.code).toBe(4);
      const report = json<PurgeReport>(first);
      expect(report).toMatchObject({ archivesInInventory: 5, deleted: 5, failed: 0, vaultDeleted: false });
      expect(report.vaultDeleteError).toMatch(/about a day/);
      expect(report.stateFile).toEqual(expect.any(String));
      expect(first.stderr).toMatch(/^glacier: vault aws-like was not deleted/m);

      // A day later the vault's inventory shows it empty.
      daily.server.clock.advance(25 * 3_600_000);
      const second = await runCli(['--json', 'purge', 'aws-like', '--yes', '--delete-vault'], dailyEnv);
      expect(second.code, second.stderr).toBe(0);
      expect(json<PurgeReport>(second)).toMatchObject({ resumed: true, vaultDeleted: true, failed: 0, stateFile: null });
      await expect(stat(report.stateFile!)).rejects.toThrow();
    } finally {
      await daily.close();
    }
  });

  it('a state file of another vault is refused', async () => {
    await fillVault(ep.client, 'purge-other', 1);
    const state = join(work, 'other.jsonl');
    await writeFile(state, `${JSON.stringify({ type: 'glacier-purge', version: 1, account: '-', vault: 'someone-else', where: 'x', inventoryJobId: 'j', startedAt: '2026-01-01T00:00:00Z' })}\n`);
    const r = await runCli(['purge', 'purge-other', '--yes', '--state', state], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('belongs to vault someone-else');
    expect(await archiveCount('purge-other')).toBe(1);
  });
});
