/**
 * `npm start`: the archiving tour. It walks through a boto3 user's Glacier
 * workflow (list vaults, create a vault both ways, read its attributes, upload
 * a multipart archive, take an inventory, retrieve and download the archive,
 * compare tree hashes, delete the archive and the vault) with this library, on
 * an in-process local endpoint unless `--endpoint` or `--profile` points it
 * elsewhere.
 *
 * @module
 */
import { randomBytes, randomFill } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Command, Option } from 'commander';
import { DEFAULT_CHUNK_SIZE, resource, treeHashFile, type Archive, type Job, type ServiceResource, type Vault } from '../index.js';
import { startLocalGlacier, type LocalGlacier } from '../local/index.js';
import { duration, positiveInt } from './args.js';
import { chooseRegion } from './connect.js';
import { errorLine } from './exit-codes.js';
import { formatBytes, formatDuration, formatTable, shortId } from './format.js';
import { inventoryTable } from './commands/inventory.js';
import { TransferProgress } from './progress.js';
import { withInterrupt } from './signals.js';

const MiB = 1024 * 1024;
const fill = promisify(randomFill);

interface TourOptions {
  endpoint?: string;
  profile?: string;
  region?: string;
  size?: number;
  jobDelay: number;
  pollInterval?: number;
}

/** Writes a line to stdout. */
function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** A step heading, numbered as in the workflow. */
function step(n: number, title: string): void {
  say();
  say(`${n}. ${title}`);
  say('-'.repeat(title.length + 3));
}

/** Shows the TypeScript a user would write for this step. */
function code(text: string): void {
  for (const line of text.split('\n')) say(`  > ${line}`);
}

/** Writes `size` bytes of random data to `path`, in 16 MiB blocks. */
async function makeFile(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  const block = Buffer.alloc(16 * MiB);
  for (let written = 0; written < size; ) {
    const n = Math.min(block.length, size - written);
    await fill(block);
    if (!out.write(n === block.length ? block : block.subarray(0, n))) await new Promise<void>((r) => out.once('drain', () => r()));
    written += n;
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

async function waitForJob(job: Job, pollInterval: number | undefined, signal: AbortSignal): Promise<void> {
  const started = Date.now();
  let polls = 0;
  await job.waitUntilCompleted({
    pollInterval,
    signal,
    onPoll: (j: Job) => {
      polls += 1;
      say(`     poll ${polls}: ${j.statusCode ?? '?'} after ${formatDuration((Date.now() - started) / 1000)}`);
    },
  });
  say(`  ${job.action} job succeeded after ${formatDuration((Date.now() - started) / 1000)} (completed ${job.completionDate ?? '?'})`);
}

async function tour(options: TourOptions, signal: AbortSignal): Promise<void> {
  const remote = options.endpoint !== undefined || options.profile !== undefined;
  const startedAt = Date.now();
  const work = await mkdtemp(join(tmpdir(), 'glacier-tour-'));
  let local: LocalGlacier | undefined;
  let glacier: ServiceResource;
  // What the tour created and has not deleted yet, removed on failure.
  const created: { archive?: Archive | undefined; vaults: Vault[] } = { vaults: [] };

  say('glacier-resource tour: the boto3 archiving workflow, in TypeScript');
  say('=================================================================');
  try {
    if (remote) {
      glacier = resource({ endpoint: options.endpoint, profile: options.profile, region: chooseRegion(options) });
      say(`Endpoint: ${options.endpoint ?? `AWS (profile ${options.profile}${options.region ? `, ${options.region}` : ''})`}`);
      if (options.endpoint === undefined) {
        say('WARNING: this tour runs against AWS. It creates a temporary vault with a unique name, uploads');
        say('a test archive (billed as usual), waits for jobs (hours on AWS: inventory 3-5 h, Expedited');
        say('retrieval minutes) and deletes what it created. Press Ctrl-C now to stop.');
        await new Promise((r) => setTimeout(r, 5000));
        signal.throwIfAborted();
      }
    } else {
      local = await startLocalGlacier({ dataDir: join(work, 'glacier-data'), jobDelay: options.jobDelay });
      glacier = resource({
        endpoint: local.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      });
      say(`Started a local Glacier endpoint at ${local.endpoint} (data in a temporary directory;`);
      say(`jobs take ${options.jobDelay} s here instead of hours).`);
      // The account of the seed already has vaults from earlier years.
      for (const name of ['201407', '201408', 'Archivage_Cloud']) await glacier.createVault({ vaultName: name });
    }
    const suffix = remote ? `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}` : '';
    const vaultA = remote ? `glacier-resource-tour-${suffix}` : 'test-201610';
    const vaultB = remote ? `glacier-resource-tour-${suffix}-b` : 'test-201611';
    const size = options.size ?? (remote ? 16 * MiB : 300 * MiB);
    // Against AWS jobs take hours: poll once a minute at first (the waiter backs off from there).
    // Elsewhere the library's schedule (1 s, doubling) sees a job done about a second after it is.
    const pollInterval = options.pollInterval ?? (remote && options.endpoint === undefined ? 60_000 : undefined);

    // 1. List the vaults.
    step(1, 'List the vaults');
    code("const glacier = resource();\nfor await (const vault of glacier.vaults.all()) console.log(String(vault));");
    let count = 0;
    for await (const v of glacier.vaults.all()) {
      count += 1;
      if (count <= 20) say(`  ${String(v)}`);
    }
    if (count > 20) say(`  ... and ${count - 20} more`);
    if (count === 0) say('  (no vaults yet)');

    // 2. Create a vault, both ways.
    step(2, 'Create a vault, both ways');
    code(`const vault = await glacier.createVault({ vaultName: '${vaultA}' });`);
    const vault: Vault = await glacier.createVault({ vaultName: vaultA });
    created.vaults.push(vault);
    say(`  ${String(vault)}`);
    code(`const other = glacier.Vault('-', '${vaultB}');\nawait other.create();`);
    const other = glacier.Vault('-', vaultB);
    await other.create();
    created.vaults.push(other);
    say(`  ${String(other)} created`);

    // 3. Read the vault's attributes.
    step(3, "Read the vault's attributes");
    code('await vault.load();   // DescribeVault; attributes are then plain getters');
    await vault.load();
    const attributes = formatTable(
        [
          ['vaultArn', vault.vaultArn],
          ['vaultName', vault.vaultName],
          ['creationDate', vault.creationDate],
          ['lastInventoryDate', vault.lastInventoryDate ?? '(none yet)'],
          ['numberOfArchives', String(vault.numberOfArchives)],
          ['sizeInBytes', String(vault.sizeInBytes)],
        ],
        [
          { header: 'ATTRIBUTE', value: (r) => String(r[0]) },
          { header: 'VALUE', value: (r) => String(r[1]) },
        ],
      );
    say(attributes.replace(/^/gm, '  '));

    // 4. Upload an archive.
    step(4, `Upload a ${formatBytes(size)} archive${size > 64 * MiB ? ' (multipart, in parallel)' : ''}, with a progress bar`);
    const original = join(work, 'my_archive.bin');
    say(`  Generating ${formatBytes(size)} of random data...`);
    await makeFile(original, size);
    code(
      "const archive = await vault.uploadArchive({\n  body: createReadStream('my_archive.bin'),\n  archiveDescription: 'Was in: my_archive.bin',\n  onProgress: ({ loaded, total }) => bar.update(loaded, total),\n});",
    );
    const up = new TransferProgress({ stream: process.stdout, label: '  upload  ' });
    let uploadId: string | undefined;
    let partsTotal: number | undefined;
    up.start(size);
    let archive: Archive;
    try {
      archive = await vault.uploadArchive({
        signal,
        body: createReadStream(original),
        archiveDescription: 'Was in: my_archive.bin',
        onUploadId: (id: string) => {
          uploadId = id;
        },
        onProgress: (p: { loaded: number; total?: number; partsTotal?: number }) => {
          partsTotal = p.partsTotal;
          up.update(p.loaded, p.total);
        },
      });
    } finally {
      up.stop();
    }
    created.archive = archive;
    say(`  ${String(archive)}`);
    say(
      uploadId
        ? `  multipart upload ${shortId(uploadId, 40)}: ${partsTotal ?? '?'} parts, hashed once and sent 4 at a time`
        : '  sent in a single UploadArchive request',
    );
    say(`  checksum (tree hash Glacier confirmed): ${archive.checksum}`);
    say(`  size: ${archive.size} bytes`);

    // 5. Inventory.
    step(5, 'Take an inventory (a job), wait for it, read it');
    code("const job = await vault.initiateInventoryRetrieval();\nawait job.waitUntilCompleted();\nfor await (const a of job.inventory()) console.log(a.archiveId, a.size);");
    const inventoryJob = await vault.initiateInventoryRetrieval();
    say(`  ${String(inventoryJob)}`);
    code('for await (const j of vault.jobs.all()) console.log(j.action, j.statusCode, j.creationDate);   // boto3: list_jobs');
    for await (const j of vault.jobs.all()) say(`  ${j.action} ${j.statusCode} ${j.creationDate ?? ''}`);
    try {
      await waitForJob(inventoryJob, pollInterval, signal);
      const inventory = inventoryJob.inventory();
      const rows = [];
      for await (const a of inventory) rows.push(a);
      say(`  Inventory of ${inventory.vaultArn ?? vaultA} taken ${inventory.inventoryDate ?? '?'}:`);
      say(inventoryTable(rows).replace(/^/gm, '  '));
    } catch (error) {
      if (!remote) throw error;
      // A brand-new vault on AWS has no inventory until Glacier's first daily run.
      say(`  Inventory not available: ${errorLine(error)}`);
    }

    // 6. Retrieve and download.
    step(6, 'Retrieve the archive (a job), wait, download it verified');
    code(
      `const job = await archive.initiateArchiveRetrieval(${remote ? "{ tier: 'Expedited' }" : ''});\nawait job.waitUntilCompleted();\nawait job.download('restored.bin', { onProgress: ({ loaded, total }) => bar.update(loaded, total) });`,
    );
    const retrieval = await archive.initiateArchiveRetrieval(remote ? { tier: 'Expedited' } : {});
    say(`  ${String(retrieval)}`);
    await waitForJob(retrieval, pollInterval, signal);
    const restored = join(work, 'restored.bin');
    const down = new TransferProgress({ stream: process.stdout, label: '  download' });
    down.start(size);
    let downloaded: { bytes: number; treeHash?: string | undefined };
    try {
      downloaded = await retrieval.download(restored, { signal, onProgress: (p: { loaded: number; total?: number }) => down.update(p.loaded, p.total) });
    } finally {
      down.stop();
    }
    say(`  ${formatBytes(downloaded.bytes)} written to restored.bin; every ${formatBytes(DEFAULT_CHUNK_SIZE)} chunk and the whole file verified.`);

    // 7. Compare tree hashes.
    step(7, 'Compare tree hashes');
    code("const local = await treeHashFile('my_archive.bin');");
    const [localHash, restoredHash] = await Promise.all([treeHashFile(original, { workers: 2 }), treeHashFile(restored, { workers: 2 })]);
    const hashes: Array<[string, string | undefined]> = [
      ['local file (treeHashFile)', localHash],
      ['upload checksum (archive.checksum)', archive.checksum],
      ["retrieval job (job.sha256TreeHash)", retrieval.sha256TreeHash],
      ['downloaded file (treeHashFile)', restoredHash],
    ];
    for (const [what, hash] of hashes) say(`  ${what.padEnd(36)} ${hash ?? '-'}`);
    const same = hashes.every(([, h]) => h === localHash) && (await stat(restored)).size === size;
    say(same ? '  All four match: the archive went up and came back intact.' : '  MISMATCH: the hashes differ!');
    if (!same) throw new Error('tree hashes differ');

    // 8. Delete the archive, then the vaults.
    step(8, 'Delete the archive, then the vault');
    code('await vault.delete();   // not empty: Glacier refuses');
    try {
      await vault.delete();
      say('  (deleted?)');
    } catch (error) {
      say(`  ${errorLine(error).replace(/^glacier: /, '')}`);
    }
    code('await archive.delete();\nawait vault.delete();\nawait other.delete();');
    await archive.delete();
    created.archive = undefined;
    say(`  ${String(archive)} deleted`);
    for (const v of [vault, other]) {
      try {
        await v.delete();
        created.vaults = created.vaults.filter((c) => c !== v);
        say(`  ${String(v)} deleted`);
      } catch (error) {
        if (!remote) throw error;
        say(`  ${v.name}: ${errorLine(error).replace(/^glacier: /, '')}`);
        say(`  Glacier deletes a vault only after its next daily inventory; later run: glacier purge ${v.name} --delete-vault`);
      }
    }
    created.vaults = [];

    say();
    say(`Tour finished in ${formatDuration((Date.now() - startedAt) / 1000)}: upload and download verified end to end.`);
    say('Next: the README (quickstart, endpoints, boto3 names), docs/*.md, examples/, and `npx glacier --help`.');
  } catch (error) {
    // Leave nothing behind on a remote endpoint: the archive first, then the vaults.
    await created.archive?.delete().catch(() => undefined);
    for (const v of created.vaults) await v.delete().catch(() => undefined);
    throw error;
  } finally {
    await local?.close();
    await rm(work, { recursive: true, force: true });
  }
}

const program = new Command('tour')
  .description('The glacier-resource archiving tour (npm start).')
  .option('--endpoint <url>', 'run against this endpoint instead of an in-process local one')
  .option('--profile <name>', 'run against AWS with this profile (creates and removes a temporary vault)')
  .option('--region <region>', 'AWS region')
  .option('--size <MiB>', 'archive size in MiB (default 300 locally, 16 remotely)', (v) => positiveInt(v, '--size') * MiB)
  .addOption(
    new Option('--job-delay <duration>', 'how long jobs take on the local endpoint: 500ms, 2s, 1m; a bare number is seconds')
      .default(2, '2s')
      .argParser((v) => duration(v, '--job-delay', 's') / 1000),
  )
  .option(
    '--poll-interval <duration>',
    'first wait between job status checks, doubling up to 15m: 500ms, 30s, 5m; a bare number is milliseconds ' +
      '(default: 1s with jitter; 1m against AWS)',
    (v) => duration(v, '--poll-interval', 'ms'),
  );

// This package supports Node 20; the SDK's notice about its own future Node
// requirement would only clutter the tour.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
try {
  await program.parseAsync(process.argv);
  // Ctrl-C stops the tour cleanly: what it created is removed, temporary files too.
  await withInterrupt((signal) => tour(program.opts<TourOptions>(), signal));
  process.exit(0);
} catch (error) {
  if (error instanceof Error && error.name === 'AbortError') {
    process.stderr.write('tour: interrupted; what the tour created has been removed.\n');
    process.exit(130);
  }
  process.stderr.write(`${errorLine(error).replace(/^glacier:/, 'tour:')}\n`);
  if (process.argv.includes('--debug')) process.stderr.write(`${String((error as Error).stack)}\n`);
  process.exit(1);
}
