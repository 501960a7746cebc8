/**
 * The whole-vault export, part of `npm run bench`: BENCH_EXPORT_ARCHIVES
 * synthetic archives (default 10,000, 1 KiB each) exported from a local
 * endpoint (a child process, jobs completing at once) to a directory on
 * loopback, in archives per second: the cost of the export's own pipeline
 * (ledger, polling, verified downloads, renames) per archive. And planning
 * the export of a BENCH_PLAN_ARCHIVES-archive inventory (default 1,000,000,
 * mixed descriptions): time and peak memory, in a child process.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { syntheticDescription } from '../src/local/descriptions.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resource } from '../src/index.js';
import { seedVault } from '../src/local/seed.js';

process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'local', 'cli.js');
const archives = Number(process.env['BENCH_EXPORT_ARCHIVES'] ?? 10_000);
const planArchives = Number(process.env['BENCH_PLAN_ARCHIVES'] ?? 1_000_000);

/** Writes an inventory of `n` archives with mixed descriptions, as Glacier's JSON. */
async function writeInventory(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('{"VaultARN":"arn:aws:glacier:us-east-1:123456789012:vaults/bench","InventoryDate":"2026-01-01T00:00:00Z","ArchiveList":[');
  for (let i = 0; i < n; i++) {
    const created = Date.UTC(2015, 0, 1) + i * 1000;
    const entry = {
      ArchiveId: `${String(i).padStart(20, '0')}${'A'.repeat(118)}`,
      ArchiveDescription: syntheticDescription('mixed', i, created),
      CreationDate: new Date(created).toISOString(),
      Size: 1024 + (i % 5000),
      SHA256TreeHash: i.toString(16).padStart(64, '0'),
    };
    await write(`${i > 0 ? ',' : ''}${JSON.stringify(entry)}`);
  }
  await write(']}');
  out.end();
  await once(out, 'finish');
}

function startEndpoint(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, '--data-dir', dataDir, '--port', '0', '--job-delay', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`glacier-local exited ${code}`)));
  });
}

async function main(): Promise<void> {
  const dataRoot = process.env['BENCH_DATA_DIR'] ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
  const dataDir = mkdtempSync(join(dataRoot, 'glacier-bench-export-src-'));
  const to = mkdtempSync(join(dataRoot, 'glacier-bench-export-to-'));
  let child: ChildProcess | undefined;
  try {
    await seedVault({ dataDir, vault: 'bench', archives, descriptions: 'plain' });
    const endpoint = await startEndpoint(dataDir);
    child = endpoint.child;
    const glacier = resource({ endpoint: endpoint.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const report = await glacier.Vault('-', 'bench').export({ to, tier: 'Expedited', maxJobsInFlight: 500, concurrency: 8 });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    glacier.meta.client.destroy();
    if (!report.finished || report.counts.verified.archives !== archives) throw new Error(`export did not finish: ${JSON.stringify(report.counts)}`);
    const inventoryFile = join(to, 'inventory.json');
    await writeInventory(inventoryFile, planArchives);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(here, 'plan-child.ts'), inventoryFile], { maxBuffer: 1 << 20 });
    const planned = JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number; maxRssMiB: number; archives: number; collisions: number; undecodable: number };
    console.log(`\nwhole-vault export: data under ${dataRoot}\n`);
    console.log('| export | result | note |');
    console.log('|---|---:|---|');
    console.log(
      `| ${archives} archives of 1 KiB to a directory | ${(archives / seconds).toFixed(0)} archives/s | ${seconds.toFixed(1)} s; client CPU ${((cpu.user + cpu.system) / 1e6 / archives * 1000).toFixed(2)} ms per archive; every file verified |`,
    );
    console.log(
      `| plan a ${planned.archives}-archive inventory (mixed descriptions) | ${planned.seconds.toFixed(1)} s | peak RSS ${planned.maxRssMiB.toFixed(0)} MiB (targets ≤ 60 s, ≤ 300 MiB); ${planned.collisions} collisions, ${planned.undecodable} undecodable |`,
    );
  } finally {
    child?.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(to, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
