/**
 * The whole run at scale, as issue-sized as it gets on one machine: three
 * `glacier export` processes sharing one PostgreSQL ledger migrate a vault
 * of 20,000 synthetic archives with mixed descriptions to S3 (moto's
 * server), through the local endpoint's per-connection-capped link
 * (`latency=50ms,connection=8MB/s`) on compressed time, under a daily budget
 * that makes the run span more than one export day. One worker is killed
 * with SIGKILL while it holds claims; the others take its leases over.
 *
 * Checked: every object carries its archive's tree hash; no retrieval was
 * started twice (the endpoint counts InitiateJob: one per archive, plus the
 * inventory); the budget held in every rolling 24 h across all workers; the
 * dead worker's claims were finished by the others.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { DAY_MS } from '../../src/index.js';
import { startLocalGlacier, type LocalGlacier } from '../../src/local/index.js';
import { seedVault } from '../../src/local/seed.js';
import { freshDatabase } from '../helpers/databases.js';
import { cliEnv, finish, startCli, type CliResult } from '../cli/run.js';

const ARCHIVES = 20_000;
const SCALE = 2_000; // a day in 43 s; Expedited jobs in 0.03-0.15 s
let root: string;
let g: LocalGlacier;
let s3: S3Client;
let initiated = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glacier-workers-'));
  const dataDir = join(root, 'endpoint');
  await seedVault({ dataDir, vault: 'big', archives: ARCHIVES, size: { min: 1, max: 2048 }, descriptions: 'mixed', seed: 17 });
  g = await startLocalGlacier({
    dataDir,
    timeScale: SCALE,
    link: 'latency=50ms,connection=8MB/s',
    log: (line) => {
      if (/^POST \/[^/]+\/vaults\/big\/jobs InitiateJob 202 /.test(line)) initiated++;
    },
  });
  s3 = new S3Client({ endpoint: inject('s3Endpoint'), region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  await g?.close();
  await rm(root, { recursive: true, force: true });
});

it(`three workers on one PostgreSQL ledger migrate ${ARCHIVES} archives to S3; one is killed and its leases are taken over`, async () => {
  const state = await freshDatabase();
  const bucket = `workers-${randomBytes(4).toString('hex')}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const db = new pg.Client(state);
  await db.connect();
  try {
    // ~1 KiB average: a budget of 1/1.5 of the vault per day makes the run span more than one export day.
    const bytesPerDay = Math.ceil((ARCHIVES * 1024) / 1.5);
    const args = ['export', 'big', '--to', `s3://${bucket}/vaults/big`, '--state', state, '--s3-endpoint', inject('s3Endpoint'), '--tier', 'Expedited'];
    args.push('--bytes-per-day', String(bytesPerDay), '--max-jobs', '400', '--concurrency', '8', '--time-scale', String(SCALE), '--lease-seconds', '5', '--no-progress', '--json');
    const env = cliEnv(g.endpoint);
    const began = Date.now();
    const workers = [0, 1, 2].map(() => startCli(args, env));
    const results = workers.map((w) => finish(w));

    // Kill the second worker once it holds claims, a while into the run.
    const victim = workers[1]!;
    let held: string[] = [];
    for (let i = 0; ; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const { rows: done } = await db.query("SELECT count(*)::int AS n FROM archives WHERE state = 'verified'").catch(() => ({ rows: [{ n: 0 }] }));
      if ((done[0] as { n: number }).n < ARCHIVES / 4) continue;
      const { rows } = await db.query('SELECT archive_id FROM archives a JOIN workers w ON a.lease_owner = w.worker_id WHERE w.pid = $1', [victim.pid]);
      if (rows.length > 0 || i > 3000) {
        victim.kill('SIGKILL');
        held = rows.map((r: { archive_id: string }) => r.archive_id);
        break;
      }
    }
    expect(held.length).toBeGreaterThan(0);
    const [a, killed, c] = (await Promise.all(results)) as [CliResult, CliResult, CliResult];
    const ran = Date.now();
    expect(killed.signal).toBe('SIGKILL');
    for (const r of [a, c]) expect(r.code, r.stderr).toBe(0);
    const reports = [a, c].map((r) => JSON.parse(r.stdout) as { finished: boolean; counts: { verified: { archives: number } } });
    expect(reports.every((r) => r.finished && r.counts.verified.archives === ARCHIVES)).toBe(true);

    // The dead worker's claims were finished by the others.
    const { rows: heldNow } = await db.query("SELECT count(*)::int AS n FROM archives WHERE archive_id = ANY($1) AND state = 'verified'", [held]);
    expect((heldNow[0] as { n: number }).n).toBe(held.length);

    // No retrieval started twice: one InitiateJob per archive, plus the inventory job.
    expect(initiated).toBe(ARCHIVES + 1);
    const { rows: attempts } = await db.query('SELECT max(attempts)::int AS most, count(*)::int AS n FROM archives');
    expect(attempts[0]).toEqual({ most: 1, n: ARCHIVES });

    // The budget held in every rolling 24 h, across all workers.
    const { rows: spend } = await db.query('SELECT at, bytes FROM spend ORDER BY at');
    let start = 0;
    let windowBytes = 0;
    for (let end = 0; end < spend.length; end++) {
      windowBytes += Number(spend[end].bytes);
      while (Number(spend[start].at) < Number(spend[end].at) - DAY_MS) windowBytes -= Number(spend[start++].bytes);
      expect(windowBytes).toBeLessThanOrEqual(bytesPerDay);
    }
    expect(Number(spend.at(-1).at) - Number(spend[0].at)).toBeGreaterThan(DAY_MS);

    // Every object carries its archive's tree hash (checked with HeadObject, 32 at a time).
    const { rows: planned } = await db.query('SELECT name, tree_hash, archive_id FROM archives');
    const keys = new Set<string>();
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'vaults/big/', ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) if (!o.Key!.includes('/.glacier-export/')) keys.add(o.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(keys.size).toBe(ARCHIVES);
    let next = 0;
    const mismatches: string[] = [];
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < planned.length) {
          const p = planned[next++] as { name: string; tree_hash: string; archive_id: string };
          const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `vaults/big/${p.name}` }));
          if (head.Metadata?.['glacier-tree-hash'] !== p.tree_hash || head.Metadata?.['glacier-archive-id'] !== p.archive_id) mismatches.push(p.name);
        }
      }),
    );
    expect(mismatches).toEqual([]);
    console.log(`workers: export ${((ran - began) / 1000).toFixed(0)} s, checks ${((Date.now() - ran) / 1000).toFixed(0)} s`);
  } finally {
    await db.end();
  }
}, 1_500_000);
