/**
 * The emulated-link rows of `npm run bench` (bench/run.ts runs this at its
 * end; `tsx bench/link.ts` runs it alone): the local endpoint with
 * `--link latency=50ms,connection=8MB/s,total=125MB/s`, every client with
 * its default settings, in one run.
 *
 * - Upload of a BENCH_SIZE_MIB archive (default 1024): ours, boto3's
 *   upload_archive, boto 2's concurrent_create_archive_from_file with 4
 *   threads (Debian's python3-boto; installed with apt-get when no python3
 *   here can import boto), and the raw SDK's UploadArchiveCommand.
 * - Download of our archive's retrieval: ours (verified), and boto3's
 *   job.get_output() read to a file.
 * - Purge: BENCH_PURGE_ARCHIVES DeleteArchive calls (default 10,000, seeded
 *   with `glacier-local seed`), ours (adaptivePool, as `glacier purge`)
 *   against a sequential SDK loop. The loop is timed on its first
 *   BENCH_PURGE_SEQUENTIAL archives (default 1,000: 10,000 in a row at 50 ms
 *   each would take over 8 minutes); ours deletes all the others.
 * - Ceilings: the raw SDK with pre-hashed parts (upload) and bytes counted
 *   but not hashed (download), 16 requests at a time.
 *
 * Set BENCH_LINK=0 to skip these rows in `npm run bench`.
 */
import { CreateVaultCommand, DeleteArchiveCommand, DescribeJobCommand, GlacierClient, InitiateJobCommand } from '@aws-sdk/client-glacier';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resource } from '../src/index.js';
import { MiB } from '../src/transfer/tree-hash.js';
import { GiB, botocoreTreeHash, client, log, mbps, printTable, pythonClient, root, run, startServer, writeRandomFile, type Row } from './common.js';
import type { ClientResult, ClientTask } from './tasks.js';

const LINK = 'latency=50ms,connection=8MB/s,total=125MB/s';
const LINK_MBPS = 125;
/**
 * The ceiling rows: the raw SDK with nothing to hash or verify, at a fixed
 * concurrency that fills the link (16 × 8 MB/s > 125 MB/s). What the
 * emulated link, the endpoint and the machine carry in this run, so that
 * the rows above it can be read against more than the link's nominal rate.
 */
const CEILING_CONCURRENCY = 16;
const CEILING_PART = 8 * MiB;
const sizeMiB = Number(process.env['BENCH_SIZE_MIB'] ?? 1024);
const size = sizeMiB * MiB;
const purgeCount = Number(process.env['BENCH_PURGE_ARCHIVES'] ?? 10_000);
const sequentialCount = Math.min(purgeCount - 1, Number(process.env['BENCH_PURGE_SEQUENTIAL'] ?? 1000));

/** A python3 that can import boto (boto 2), installing Debian's python3-boto if none can; undefined if that fails. */
async function pythonWithBoto2(): Promise<string | undefined> {
  const candidates = ['python3', '/usr/bin/python3'];
  const find = async () => {
    for (const python of candidates) {
      if (await run(python, ['-c', 'import boto']).then(() => true, () => false)) return python;
    }
    return undefined;
  };
  const found = await find();
  if (found || !existsSync('/usr/bin/apt-get')) return found;
  log('boto 2 missing: apt-get install -y python3-boto…');
  spawnSync('apt-get', ['install', '-y', 'python3-boto'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return find();
}

async function waitForJob(glacier: GlacierClient, vaultName: string, jobId: string): Promise<void> {
  for (;;) {
    const d = await glacier.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId }));
    if (d.Completed) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A transfer row: MB/s and client CPU per GiB of `bytes`. */
function transferRow(group: string, name: string, result: ClientResult, bytes: number, ok: boolean | undefined, note?: string): Row {
  return {
    group,
    name,
    mbps: mbps(bytes, result.seconds),
    cpuPerGiB: result.cpuSeconds / (bytes / GiB),
    rssMiB: result.maxRssBytes / MiB,
    ok,
    ...(note ? { note } : {}),
  };
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), 'glacier-link-bench-'));
  const dataRoot = process.env['BENCH_DATA_DIR'] ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
  const dataDir = mkdtempSync(join(dataRoot, 'glacier-link-bench-data-'));
  const children: ChildProcess[] = [];
  const rows: Row[] = [];
  try {
    const boto2 = await pythonWithBoto2();
    const file = join(dir, 'archive.bin');
    log(`link bench: writing ${sizeMiB} MiB of random bytes…`);
    await writeRandomFile(file, size);
    const reference = await botocoreTreeHash(file);
    log(`seeding ${purgeCount} archives to purge…`);
    await run(process.execPath, [join(root, 'dist/local/cli.js'), 'seed', '--data-dir', dataDir, '--vault', 'purge', '--archives', String(purgeCount)]);
    const endpoint = await startServer([join(root, 'dist/local/cli.js'), '--port', '0', '--data-dir', dataDir, '--job-delay', '0', '--link', LINK], 'glacier-local');
    children.push(endpoint.child);
    const glacier = new GlacierClient({ region: 'us-east-1', endpoint: endpoint.url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const vaultName = 'link';
    await glacier.send(new CreateVaultCommand({ accountId: '-', vaultName }));
    const base: Omit<ClientTask, 'mode'> = { endpoint: endpoint.url, vaultName, file, size, partSize: 0, concurrency: 0 };
    const drop = async (result: ClientResult) => {
      if (result.archiveId) await glacier.send(new DeleteArchiveCommand({ accountId: '-', vaultName, archiveId: result.archiveId }));
      return result;
    };

    log('link: uploading, ours (defaults)…');
    const ours = await client({ mode: 'ours-upload-default' }, base);
    log('link: uploading, boto3 upload_archive…');
    const boto3 = await drop(await pythonClient('python3', 'boto3_upload.py', [endpoint.url, vaultName, file]));
    log('link: uploading, boto 2 concurrent_create_archive_from_file, 4 threads…');
    const boto2Result = boto2 ? await drop(await pythonClient(boto2, 'boto2_upload.py', [endpoint.url, vaultName, file])) : undefined;
    log('link: uploading, raw SDK UploadArchiveCommand…');
    const raw = await drop(await client({ mode: 'sdk-upload' }, base));
    log('link: the ceiling: pre-hashed 8 MiB parts, 16 at once, raw SDK…');
    const ceiling = await drop(await client({ mode: 'endpoint-upload', partSize: CEILING_PART, concurrency: CEILING_CONCURRENCY }, base));
    const oursRate = mbps(size, ours.seconds);
    const ceilingRate = mbps(size, ceiling.seconds);
    const vs = (other: ClientResult | undefined) => (other ? (oursRate / mbps(size, other.seconds)).toFixed(1) : 'n/a');
    rows.push(
      transferRow(
        'link upload',
        'ours (uploadArchive, defaults)',
        ours,
        size,
        ours.checksum === reference,
        `${(oursRate / LINK_MBPS).toFixed(2)}× the link (≥ 0.9), ${(oursRate / ceilingRate).toFixed(2)}× the ceiling; ${vs(boto3)}× boto3 (≥ 12); ${vs(boto2Result)}× boto 2 (≥ 3)`,
      ),
      transferRow('link upload', 'ceiling: raw SDK, pre-hashed 8 MiB parts × 16', ceiling, size, ceiling.checksum === reference, `${(ceilingRate / LINK_MBPS).toFixed(2)}× the link: what this endpoint and machine carry`),
      transferRow('link upload', 'boto3 upload_archive', boto3, size, boto3.checksum === reference),
      boto2Result
        ? transferRow('link upload', 'boto 2 concurrent_create_archive_from_file, 4 threads', boto2Result, size, undefined, 'boto checks its own tree hashes')
        : { group: 'link upload', name: 'boto 2 concurrent_create_archive_from_file, 4 threads', mbps: 0, ok: undefined, note: 'python3-boto not installed' },
      transferRow('link upload', 'raw SDK UploadArchiveCommand, fs.ReadStream', raw, size, raw.checksum === reference),
    );

    log('link: retrieving and downloading…');
    const job = await glacier.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: ours.archiveId!, Tier: 'Expedited' } }));
    await waitForJob(glacier, vaultName, job.jobId!);
    const output = join(dataDir, 'downloaded.bin');
    const down = await client({ mode: 'ours-download-default', jobId: job.jobId!, output }, base);
    rmSync(output, { force: true });
    const botoDown = await pythonClient('python3', 'boto3_download.py', [endpoint.url, vaultName, job.jobId!, output]);
    rmSync(output, { force: true });
    const downCeiling = await client({ mode: 'endpoint-download', jobId: job.jobId!, partSize: 16 * MiB, concurrency: CEILING_CONCURRENCY }, base);
    const downRate = mbps(size, down.seconds);
    const downCeilingRate = mbps(size, downCeiling.seconds);
    rows.push(
      transferRow(
        'link download',
        'ours (downloadJobOutput, verified, defaults)',
        down,
        size,
        down.checksum === reference,
        `${(downRate / LINK_MBPS).toFixed(2)}× the link (≥ 0.9), ${(downRate / downCeilingRate).toFixed(2)}× the ceiling; ${(downRate / mbps(size, botoDown.seconds)).toFixed(1)}× boto3`,
      ),
      transferRow('link download', 'ceiling: raw SDK, 16 MiB ranges × 16, bytes counted only', downCeiling, size, undefined, `${(downCeilingRate / LINK_MBPS).toFixed(2)}× the link`),
      transferRow('link download', 'boto3 job.get_output() to a file (not verified)', botoDown, size, undefined),
    );

    log('link: listing the archives to purge…');
    const purgeVault = resource({ client: glacier }).Vault('-', 'purge');
    const inventory = await purgeVault.initiateInventoryRetrieval();
    await waitForJob(glacier, 'purge', inventory.id);
    const ids: string[] = [];
    for await (const archive of inventory.archives()) ids.push(archive.id);
    const sequentialFile = join(dir, 'sequential.ids');
    const oursFile = join(dir, 'ours.ids');
    writeFileSync(sequentialFile, ids.slice(0, sequentialCount).join('\n'));
    writeFileSync(oursFile, ids.slice(sequentialCount).join('\n'));
    log(`link: deleting ${sequentialCount} archives in a sequential loop…`);
    const sequential = await client({ mode: 'sdk-delete-sequential', vaultName: 'purge', idsFile: sequentialFile }, base);
    log(`link: deleting ${ids.length - sequentialCount} archives, ours (adaptivePool, as glacier purge)…`);
    const purge = await client({ mode: 'ours-purge', vaultName: 'purge', idsFile: oursFile }, base);
    const perSecond = (r: ClientResult) => r.count! / r.seconds;
    rows.push(
      {
        group: 'link purge',
        name: `ours (adaptivePool, ${purge.count} DeleteArchive)`,
        mbps: 0,
        ok: undefined,
        note: `${perSecond(purge).toFixed(0)} deletes/s, ${purge.seconds.toFixed(1)} s, up to ${purge.concurrency} in flight; ${(perSecond(purge) / perSecond(sequential)).toFixed(1)}× the loop (≥ 5)`,
      },
      {
        group: 'link purge',
        name: `sequential SDK loop (first ${sequential.count} DeleteArchive)`,
        mbps: 0,
        ok: undefined,
        note: `${perSecond(sequential).toFixed(1)} deletes/s; ${(purgeCount / perSecond(sequential)).toFixed(0)} s for ${purgeCount} at that rate`,
      },
    );
    glacier.destroy();

    console.log(
      `\nglacier-resource link bench: --link ${LINK}, ${sizeMiB} MiB archive, ${purgeCount} archives to purge, node ${process.version}, ` +
        `${cpus().length} CPUs, load average ${loadAtStart.toFixed(1)} at start, one run per row, MB = 10^6 bytes (purge rows: no MB/s)\n`,
    );
    printTable(rows);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
