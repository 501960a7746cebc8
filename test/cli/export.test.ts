/**
 * `glacier export` as a process: killed with SIGKILL at five random moments
 * and run again each time, it never starts a second retrieval of an archive
 * whose first one is still available, never fetches a verified file again,
 * and ends with every file verified. Also `--status`, `--once` and the
 * confirmation `--delete-after-verify` needs.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, realpath, rm, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { GetJobOutputCommand, GlacierClient, InitiateJobCommand, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resource, SqliteLedger, type ServiceResource } from '../../src/index.js';
import { startLocalGlacier, type LocalGlacier } from '../../src/local/index.js';
import { seedVault } from '../../src/local/seed.js';
import { treeHash } from '../../src/transfer/tree-hash.js';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';
import { cliEnv, finish, runCli, startCli } from './run.js';

// Expedited jobs take 1-5 min of service time (0.03-0.15 s here) and outputs live 24 h (43 s): none expires during the test.
const SCALE = 2000;
const ARCHIVES = 150;
let root: string;
let g: LocalGlacier;
let glacier: ServiceResource;
const outputRequests = new Map<string, number>();

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glacier-cli-export-'));
  const dataDir = join(root, 'endpoint');
  await seedVault({ dataDir, vault: 'photos', archives: ARCHIVES, size: { min: 1, max: 200_000 }, seed: 5 });
  await seedVault({ dataDir, vault: 'small', archives: 5, seed: 6 });
  g = await startLocalGlacier({
    dataDir,
    timeScale: SCALE,
    log: (line) => {
      const m = /^GET \/[^/]+\/vaults\/photos\/jobs\/([^/ ]+)\/output GetJobOutput 20[06] /.exec(line);
      if (m) outputRequests.set(m[1]!, (outputRequests.get(m[1]!) ?? 0) + 1);
    },
  });
  glacier = resource({ endpoint: g.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
}, 60_000);

afterAll(async () => {
  glacier.meta.client.destroy();
  await g.close();
  await rm(root, { recursive: true, force: true });
});

describe('glacier export', () => {
  it('survives kill -9 at five random moments: no retrieval twice, no verified file fetched again, every file verified', async () => {
    const to = join(root, 'out');
    const env = cliEnv(g.endpoint);
    const args = ['export', 'photos', '--to', to, '--tier', 'Expedited', '--max-jobs', '10', '--time-scale', String(SCALE), '--no-progress'];
    for (let kill = 0; kill < 5; kill++) {
      const child = startCli(args, env);
      const done = finish(child);
      await new Promise((r) => setTimeout(r, 400 + Math.random() * 1200));
      child.kill('SIGKILL');
      const result = await done;
      expect(result.signal === 'SIGKILL' || result.code === 0).toBe(true);
    }
    const last = await runCli([...args, '--json'], env);
    expect(last.code, last.stderr).toBe(0);
    const report = JSON.parse(last.stdout) as { finished: boolean; counts: { verified: { archives: number } } };
    expect(report.finished).toBe(true);
    expect(report.counts.verified.archives).toBe(ARCHIVES);

    // No job has expired yet (the test is shorter than 24 h of service time), so the vault lists every retrieval ever started.
    const byArchive = new Map<string, number>();
    for await (const job of glacier.Vault('-', 'photos').jobs.all()) {
      if (job.action === 'ArchiveRetrieval') byArchive.set(job.archiveId!, (byArchive.get(job.archiveId!) ?? 0) + 1);
    }
    expect(byArchive.size).toBe(ARCHIVES);
    expect([...byArchive.values()].every((n) => n === 1)).toBe(true);
    // Each output is fetched once, but for downloads a kill cut short (at most 2 at a time, 5 kills).
    const fetched = [...outputRequests.values()].reduce((a, b) => a + b, 0);
    expect(fetched).toBeLessThanOrEqual(ARCHIVES + 10);

    const ledger = new SqliteLedger(join(to, '.glacier-export', 'ledger.sqlite'));
    try {
      for (const a of await ledger.inState(['verified'])) expect(treeHash(await readFile(join(to, a.name)))).toBe(a.treeHash);
    } finally {
      await ledger.close();
    }
    const manifest = (await readFile(join(to, '.glacier-export', 'manifest.jsonl'), 'utf8')).trim().split('\n');
    expect(manifest).toHaveLength(ARCHIVES);
    expect(manifest.every((l) => (JSON.parse(l) as { status: string }).status === 'verified')).toBe(true);

    const status = await runCli(['export', 'photos', '--to', to, '--status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^${ARCHIVES} of ${ARCHIVES} archive\\(s\\) exported`));
  }, 180_000);

  it('--once starts what it may and exits 0 with what remains; --delete-after-verify needs --yes without a terminal', async () => {
    const to = join(root, 'once');
    const env = cliEnv(g.endpoint);
    const once = await runCli(['export', 'small', '--to', to, '--max-jobs', '2', '--once', '--tier', 'Expedited', '--time-scale', String(SCALE), '--json'], env);
    expect(once.code, once.stderr).toBe(0);
    const r = JSON.parse(once.stdout) as { finished: boolean; counts: { requested: { archives: number }; pending: { archives: number } } };
    expect(r.finished).toBe(false);
    expect(r.counts.requested.archives).toBe(2);
    expect(r.counts.pending.archives).toBe(3);
    const refused = await runCli(['export', 'small', '--to', to, '--delete-after-verify'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pass --yes/);
    const all = await runCli(['export', 'small', '--to', to, '--delete-after-verify', '--yes', '--tier', 'Expedited', '--time-scale', String(SCALE), '--json'], env);
    expect(all.code, all.stderr).toBe(0);
    expect((JSON.parse(all.stdout) as { counts: { deleted: { archives: number } } }).counts.deleted.archives).toBe(5);
    const vault = glacier.Vault('-', 'small');
    await vault.load();
    expect(vault.numberOfArchives).toBe(0);
  }, 120_000);

  it('--plan counts what the run then does; hostile and colliding names all land inside the target, none lost', async () => {
    const dataDir = join(root, 'odd-endpoint');
    await seedVault({ dataDir, vault: 'odd', archives: 100, descriptions: 'mixed', seed: 9 });
    const g2 = await startLocalGlacier({ dataDir, jobDelay: 0 });
    const client = new GlacierClient({ region: 'us-east-1', endpoint: g2.endpoint, credentials: TEST_CREDENTIALS });
    try {
      const mt2 = (filename: string) => `mt2 ${Buffer.from(JSON.stringify({ filename, mtime: '20200101T000000Z' })).toString('base64url')}`;
      for (const description of [mt2('../../outside'), mt2('/etc/passwd'), mt2('nul\u0000byte'), mt2('x/'.repeat(10) + 'y'.repeat(600)), '../../x', 'a'.repeat(1024), mt2('.glacier-export/ledger.sqlite')]) {
        await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'odd', body: Buffer.from(description.slice(0, 50)), archiveDescription: description }));
      }
      await client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'odd', jobParameters: { Type: 'inventory-retrieval' } }));
      const to = join(root, 'odd-out');
      const env = cliEnv(g2.endpoint);
      const planned = await runCli(['export', 'odd', '--to', to, '--plan', '--json'], env);
      expect(planned.code, planned.stderr).toBe(0);
      const plan = JSON.parse(planned.stdout) as { archives: number; bytes: number; collisions: unknown[]; undecodable: number; inventoryArchives: number };
      expect(plan.inventoryArchives).toBe(107);
      expect(plan.archives).toBe(107);
      expect(plan.collisions.length).toBeGreaterThan(0);
      expect(plan.undecodable).toBeGreaterThan(0);
      const human = await runCli(['export', 'odd', '--to', to, '--plan'], env);
      expect(human.stdout).toMatch(/Bulk .* about \$/);
      const run = await runCli(['export', 'odd', '--to', to, '--json', '--no-progress'], env);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as { counts: { verified: { archives: number; bytes: number } } };
      expect(report.counts.verified.archives).toBe(plan.archives);
      expect(report.counts.verified.bytes).toBe(plan.bytes);
      const files: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const e of await readdir(dir, { withFileTypes: true })) {
          const path = join(dir, e.name);
          if (dir === to && e.name === '.glacier-export') continue;
          if (e.isDirectory()) await walk(path);
          else files.push(path);
        }
      };
      await walk(to);
      expect(files).toHaveLength(plan.archives);
      for (const f of files) expect((await realpath(f)).startsWith(to + sep)).toBe(true);
      expect(files.some((f) => f.includes(`${sep}photos${sep}`))).toBe(true);
      expect(files.some((f) => f.endsWith(`${sep}outside`))).toBe(true);
      // A saved inventory file plans the same archives as the job it came from.
      const saved = join(root, 'odd-inventory.json');
      const invJob = await client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'odd', jobParameters: { Type: 'inventory-retrieval' } }));
      const invOut = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'odd', jobId: invJob.jobId }));
      await writeFile(saved, await invOut.body!.transformToString());
      const fromFile = await runCli(['export', 'odd', '--to', join(root, 'odd-from-file'), '--inventory', saved, '--once', '--max-jobs', '1', '--json'], env);
      expect(fromFile.code, fromFile.stderr).toBe(0);
      expect((JSON.parse(fromFile.stdout) as { total: number }).total).toBe(107);
      const include = await runCli(['export', 'odd', '--to', join(root, 'odd-some'), '--plan', '--json', '--include', 'photos/**', '--exclude', '**/*.jpg'], env);
      expect((JSON.parse(include.stdout) as { archives: number }).archives).toBe(0);
    } finally {
      client.destroy();
      await g2.close();
    }
  }, 120_000);

  it('--status reads a running export: what its ledger last published, while the ledger itself is held', async () => {
    const to = join(root, 'status-out');
    const env = cliEnv(g.endpoint);
    const child = startCli(['export', 'photos', '--to', to, '--tier', 'Expedited', '--max-jobs', '5', '--concurrency', '1', '--time-scale', String(SCALE), '--no-progress'], env);
    const done = finish(child);
    try {
      const snapshot = join(to, '.glacier-export', 'ledger.sqlite.status.json');
      for (let i = 0; i < 300 && !existsSync(snapshot); i++) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(snapshot)).toBe(true);
      const status = await runCli(['--json', 'export', 'photos', '--to', to, '--status'], env);
      expect(status.code, status.stderr).toBe(0);
      const report = JSON.parse(status.stdout) as { running: boolean; total: number; workers: unknown[] };
      expect(report.running).toBe(true);
      expect(report.total).toBe(ARCHIVES);
      expect(report.workers.length).toBe(1);
      const text = await runCli(['export', 'photos', '--to', to, '--status'], env);
      expect(text.stdout).toMatch(/^An export is running on this ledger; as of .* ago:\n\d+ of 150 archive\(s\) exported/);
    } finally {
      child.kill('SIGKILL');
      await done;
    }
  }, 120_000);
});
