/**
 * The local endpoint's store at scale, part of `npm run bench`: seeding
 * BENCH_STORE_ARCHIVES synthetic archives (default 1,000,000), start-up time
 * and memory with them, upload / delete / describe rates in an empty vault
 * and in that one (as ratios, measured in the same run), a whole inventory
 * produced and downloaded, how long other requests wait meanwhile, and 256
 * concurrent connections; and the link emulation's measured rates.
 *
 * The endpoint runs as `glacier-local` in a child process with its data
 * directory under BENCH_DATA_DIR (default /dev/shm when it exists), so that
 * the disk's fsync rate does not hide the store's own cost; its resident
 * memory is read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'node:http';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  CreateVaultCommand,
  DeleteArchiveCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  GlacierClient,
  InitiateJobCommand,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'local', 'cli.js');
const archives = Number(process.env['BENCH_STORE_ARCHIVES'] ?? 1_000_000);
const OPS = Number(process.env['BENCH_STORE_OPS'] ?? 400);
const log = (m: string) => process.stderr.write(`${m}\n`);

interface Row {
  name: string;
  value: string;
  note: string;
}
const rows: Row[] = [];

function runToEnd(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve((Date.now() - t0) / 1000) : reject(new Error(`glacier-local ${args[0]} exited ${code}: ${err}`))));
  });
}

function startEndpoint(dataDir: string, extra: string[] = []): Promise<{ child: ChildProcess; url: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [cli, '--data-dir', dataDir, '--port', '0', '--job-delay', '0', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, seconds: (Date.now() - t0) / 1000 });
    });
    child.once('exit', (code) => reject(new Error(`glacier-local exited ${code}`)));
  });
}

/** The child's resident and peak resident memory, MiB, from /proc. */
function memory(child: ChildProcess): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

function clientFor(url: string, sockets = 16): GlacierClient {
  return new GlacierClient({
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: sockets }) }),
  });
}

/** Runs `count` calls of `op`, `concurrency` at a time; returns calls per second. */
async function rate(count: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await op(next++);
    }),
  );
  return count / (Number(process.hrtime.bigint() - t0) / 1e9);
}

interface Rates {
  upload: number;
  delete: number;
  describe: number;
}

/** The best of two rounds of {@link opRound}: one unlucky moment on a shared machine does not decide a ratio. */
async function opRates(client: GlacierClient, vaultName: string): Promise<Rates> {
  const a = await opRound(client, vaultName);
  const b = await opRound(client, vaultName);
  return { upload: Math.max(a.upload, b.upload), delete: Math.max(a.delete, b.delete), describe: Math.max(a.describe, b.describe) };
}

async function opRound(client: GlacierClient, vaultName: string): Promise<Rates> {
  const V = { accountId: '-', vaultName };
  const body = Buffer.alloc(1024, 7);
  const ids: string[] = [];
  const upload = await rate(OPS, 8, async () => ids.push((await client.send(new UploadArchiveCommand({ ...V, body }))).archiveId!));
  const describe = await rate(OPS * 4, 8, () => client.send(new DescribeVaultCommand(V)));
  const del = await rate(ids.length, 8, (i) => client.send(new DeleteArchiveCommand({ ...V, archiveId: ids[i]! })));
  return { upload, delete: del, describe };
}

async function main(): Promise<void> {
  const dataRoot = process.env['BENCH_DATA_DIR'] ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
  const emptyDir = mkdtempSync(join(dataRoot, 'glacier-bench-empty-'));
  const bigDir = mkdtempSync(join(dataRoot, 'glacier-bench-big-'));
  const children: ChildProcess[] = [];
  try {
    log(`store: seeding ${archives} archives…`);
    const seedSeconds = await runToEnd(['seed', '--data-dir', bigDir, '--vault', 'big', '--archives', String(archives), '--descriptions', 'mixed']);
    rows.push({ name: `seed ${archives} archives (1 KiB, mixed descriptions)`, value: `${seedSeconds.toFixed(1)} s`, note: `${Math.round(archives / seedSeconds)} archives/s (target for 1,000,000: ≤ 120 s)` });

    log('store: rates in an empty vault…');
    const empty = await startEndpoint(emptyDir);
    children.push(empty.child);
    const emptyClient = clientFor(empty.url);
    await emptyClient.send(new CreateVaultCommand({ accountId: '-', vaultName: 'empty' }));
    await opRates(emptyClient, 'empty'); // warm-up: both endpoints are then measured warm
    const base = await opRates(emptyClient, 'empty');
    emptyClient.destroy();
    empty.child.kill('SIGTERM');

    log('store: start-up and rates in the big vault…');
    const big = await startEndpoint(bigDir);
    children.push(big.child);
    const startMem = memory(big.child);
    rows.push({ name: `start-up with ${archives} archives`, value: `${big.seconds.toFixed(2)} s`, note: `RSS ${startMem.rss.toFixed(0)} MiB after start (target ≤ 10 s)` });
    const client = clientFor(big.url);
    await opRates(client, 'big');
    const scaled = await opRates(client, 'big');
    for (const op of ['upload', 'delete', 'describe'] as const) {
      const ratio = scaled[op] / base[op];
      rows.push({
        name: `${op}: ${archives} archives vs empty`,
        value: `${scaled[op].toFixed(0)} vs ${base[op].toFixed(0)} /s`,
        note: `${ratio.toFixed(2)}× (target ≥ 0.70×), best of 2 rounds of ${op === 'describe' ? 4 * OPS : OPS} calls, 8 at a time`,
      });
    }

    log('store: a whole inventory, with describes alongside…');
    const V = { accountId: '-', vaultName: 'big' };
    let slowest = 0;
    let probing = true;
    const prober = (async () => {
      const probe = clientFor(big.url, 1);
      while (probing) {
        const t0 = Date.now();
        await probe.send(new DescribeVaultCommand(V));
        slowest = Math.max(slowest, Date.now() - t0);
        await new Promise((r) => setTimeout(r, 20));
      }
      probe.destroy();
    })();
    const t0 = Date.now();
    const job = await client.send(new InitiateJobCommand({ ...V, jobParameters: { Type: 'inventory-retrieval' } }));
    const produced = (Date.now() - t0) / 1000;
    probing = false;
    await prober;
    const t1 = Date.now();
    const out = await client.send(new GetJobOutputCommand({ ...V, jobId: job.jobId }));
    let bytes = 0;
    for await (const chunk of out.body as AsyncIterable<Uint8Array>) bytes += chunk.length;
    const downloaded = (Date.now() - t1) / 1000;
    const mem = memory(big.child);
    rows.push({ name: `inventory of ${archives} archives: produce`, value: `${produced.toFixed(1)} s`, note: `${(bytes / 1e6).toFixed(0)} MB of JSON, streamed to a blob; slowest DescribeVault meanwhile ${slowest} ms (target ≤ 100 ms)` });
    rows.push({ name: `inventory of ${archives} archives: download`, value: `${downloaded.toFixed(1)} s`, note: `${(bytes / 1e6 / downloaded).toFixed(0)} MB/s; endpoint RSS ${mem.rss.toFixed(0)} MiB, peak ${mem.peak.toFixed(0)} MiB (target < 400)` });

    log('store: 256 concurrent connections…');
    const wide = clientFor(big.url, 256);
    let worst = 0;
    const tw = Date.now();
    await Promise.all(
      Array.from({ length: 256 }, async (_, i) => {
        const s = Date.now();
        const body = Buffer.alloc(2048, i);
        const { archiveId } = await wide.send(new UploadArchiveCommand({ ...V, body }));
        await wide.send(new DescribeVaultCommand(V));
        await wide.send(new DeleteArchiveCommand({ ...V, archiveId }));
        worst = Math.max(worst, Date.now() - s);
      }),
    );
    rows.push({ name: '256 connections: upload, describe, delete each', value: `${((Date.now() - tw) / 1000).toFixed(2)} s`, note: `slowest connection ${worst} ms` });
    wide.destroy();
    client.destroy();

    log('link: one stream and 16 streams through an emulated link…');
    const linkDir = mkdtempSync(join(dataRoot, 'glacier-bench-link-'));
    try {
      const linked = await startEndpoint(linkDir, ['--link', 'latency=50ms,connection=8MB/s,total=125MB/s']);
      children.push(linked.child);
      const lc = clientFor(linked.url, 32);
      await lc.send(new CreateVaultCommand({ accountId: '-', vaultName: 'link' }));
      const one = Buffer.alloc(64 * 2 ** 20, 1);
      let t = process.hrtime.bigint();
      await lc.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'link', body: one }));
      const single = one.length / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9);
      rows.push({ name: 'link: one upload of 64 MiB at connection=8MB/s', value: `${single.toFixed(2)} MB/s`, note: 'target 8 MB/s ± 10% (client hashing included)' });
      const part = Buffer.alloc(16 * 2 ** 20, 2);
      t = process.hrtime.bigint();
      await Promise.all(Array.from({ length: 16 }, () => lc.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'link', body: part }))));
      const together = (16 * part.length) / 1e6 / (Number(process.hrtime.bigint() - t) / 1e9);
      rows.push({ name: 'link: 16 uploads of 16 MiB at once, total=125MB/s', value: `${together.toFixed(1)} MB/s`, note: 'target ≤ 125 MB/s + 10% together' });
      lc.destroy();
      linked.child.kill('SIGTERM');
    } finally {
      rmSync(linkDir, { recursive: true, force: true });
    }

    const width = Math.max(...rows.map((r) => r.name.length));
    const valueWidth = Math.max(...rows.map((r) => r.value.length));
    console.log(`\nlocal endpoint store: data dir under ${dataRoot}\n`);
    console.log(`| ${'store'.padEnd(width)} | ${'result'.padStart(valueWidth)} | note |`);
    console.log(`|${'-'.repeat(width + 2)}|${'-'.repeat(valueWidth + 1)}:|------|`);
    for (const r of rows) console.log(`| ${r.name.padEnd(width)} | ${r.value.padStart(valueWidth)} | ${r.note} |`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    rmSync(emptyDir, { recursive: true, force: true });
    rmSync(bigDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
