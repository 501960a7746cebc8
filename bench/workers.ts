/**
 * Export workers, part of `npm run bench`: one vault of BENCH_WORKER_ARCHIVES
 * synthetic archives (default 600, 2-4 MiB each; with fewer, each worker's start and end weigh more) migrated to S3 (moto's
 * server) by 1, 2 and 3 `glacier export` processes sharing one PostgreSQL
 * ledger, through the local endpoint's emulated link (`--link
 * latency=50ms,connection=8MB/s`: every connection is capped, as Glacier's
 * are; no cap in total). Jobs complete at once, so the rows measure the
 * export's own pipeline on such a link: claims, polling, streaming,
 * verification and the S3 upload. Each run has a fresh ledger and bucket.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { startLocalGlacier } from '../src/local/index.js';
import { seedVault } from '../src/local/seed.js';
import { startPostgres } from '../test/services/postgres.js';
import { startS3 } from '../test/services/s3.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'cli', 'main.js');
const archives = Number(process.env['BENCH_WORKER_ARCHIVES'] ?? 600);
const counts = (process.env['BENCH_WORKERS'] ?? '1,2,3').split(',').map(Number);
const concurrency = Number(process.env['BENCH_WORKER_CONCURRENCY'] ?? 2);
const LINK = 'latency=50ms,connection=8MB/s';

function runWorker(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}: ${err.slice(-2000)}`))));
  });
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'glacier-bench-workers-'));
  const postgres = await startPostgres();
  const s3server = await startS3();
  const s3 = new S3Client({ endpoint: s3server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  try {
    const dataDir = join(root, 'endpoint');
    await seedVault({ dataDir, vault: 'bench', archives, size: { min: 2 * 1024 * 1024, max: 4 * 1024 * 1024 }, descriptions: 'mixed', seed: 21 });
    const g = await startLocalGlacier({ dataDir, jobDelay: 0, link: LINK });
    const admin = new pg.Client(postgres.url);
    await admin.connect();
    const rows: Array<{ workers: number; seconds: number; rate: number; mbps: number }> = [];
    const inventory = join(root, 'inventory.json');
    try {
      for (const n of counts) {
        const db = `bench_${n}_${randomBytes(3).toString('hex')}`;
        await admin.query(`CREATE DATABASE ${db}`);
        const state = postgres.url.replace(/\/postgres$/, `/${db}`);
        const bucket = `bench-${n}-${randomBytes(3).toString('hex')}`;
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        const env = {
          PATH: process.env['PATH'],
          AWS_ENDPOINT_URL_GLACIER: g.endpoint,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_REGION: 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_CONFIG_FILE: '/nonexistent/aws-config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
        };
        const args = ['export', 'bench', '--to', `s3://${bucket}/vault`, '--state', state, '--s3-endpoint', s3server.endpoint, '--tier', 'Expedited', '--max-jobs', '400', '--concurrency', String(concurrency), '--no-progress'];
        // Every run plans from one saved inventory: the rows measure the transfer.
        if (n === counts[0]) await runWorker(['inventory', 'bench', '--wait', '--output', inventory], env);
        args.push('--inventory', inventory);
        const started = Date.now();
        await Promise.all(Array.from({ length: n }, () => runWorker(args, env)));
        const seconds = (Date.now() - started) / 1000;
        const check = new pg.Client(state);
        await check.connect();
        const { rows: r } = await check.query("SELECT count(*)::int AS n, coalesce(sum(size), 0)::bigint AS b FROM archives WHERE state = 'verified'");
        await check.end();
        if (r[0].n !== archives) throw new Error(`${n} worker(s) verified ${r[0].n} of ${archives} archives`);
        rows.push({ workers: n, seconds, rate: archives / seconds, mbps: Number(r[0].b) / 1e6 / seconds });
      }
    } finally {
      await admin.end();
      await g.close();
    }
    const one = rows.find((r) => r.workers === 1);
    console.log(`\nexport workers: ${archives} archives of 2-4 MiB to S3 (moto), PostgreSQL ledger, link ${LINK}, --concurrency ${concurrency} per worker\n`);
    console.log('| workers | time | archives/s | MB/s | vs 1 worker |');
    console.log('|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.workers} | ${r.seconds.toFixed(1)} s | ${r.rate.toFixed(1)} | ${r.mbps.toFixed(1)} | ${one ? `${(r.rate / one.rate).toFixed(2)}×` : ''} |`);
  } finally {
    s3.destroy();
    await s3server.stop();
    postgres.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
