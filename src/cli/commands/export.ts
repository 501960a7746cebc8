import { createInterface } from 'node:readline/promises';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import {
  defaultStatePath,
  isPostgresState,
  openLedger,
  parseS3Url,
  readLedgerSnapshot,
  planVaultExport,
  S3_STORAGE_CLASSES,
  type ExportLedger,
  type VaultExportPlan,
  type ExportProgress,
  type ExportReport,
  type LedgerCounts,
  type LedgerWorker,
  type Tier,
} from '../../index.js';
import { byteSize, oneOf, positiveInt } from '../args.js';
import { connect } from '../connect.js';
import { globalOptions, Output } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatBytes, formatDuration } from '../format.js';
import { withInterrupt } from '../signals.js';

interface ExportCliOptions {
  to?: string;
  state?: string;
  storageClass: (typeof S3_STORAGE_CLASSES)[number];
  s3Endpoint?: string;
  s3Profile?: string;
  s3Region?: string;
  leaseSeconds?: number;
  plan?: boolean;
  names: 'auto' | 'id';
  include: string[];
  exclude: string[];
  tier: Tier;
  bytesPerDay?: number;
  maxJobs: number;
  inventory?: string;
  once?: boolean;
  status?: boolean;
  deleteAfterVerify?: boolean;
  yes?: boolean;
  concurrency: number;
  timeScale?: number;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--time-scale must be a positive number, not '${value}'`, ExitCode.USAGE);
  return n;
}

function summary(counts: LedgerCounts, total: number): string {
  const done = counts.verified.archives + counts.deleted.archives;
  const parts = [
    `${done} of ${total} archive(s) exported (${formatBytes(counts.verified.bytes + counts.deleted.bytes)})`,
    `${counts.requested.archives} job(s) in flight`,
    `${counts.pending.archives + counts.starting.archives} waiting`,
  ];
  if (counts.deleted.archives > 0) parts.push(`${counts.deleted.archives} deleted from the vault`);
  if (counts.failed.archives > 0) parts.push(`${counts.failed.archives} FAILED`);
  return parts.join(', ');
}

function describePlan(p: VaultExportPlan): string {
  const lines = [
    `From inventory job ${p.inventoryJobId}: ${p.archives} of ${p.inventoryArchives} archive(s) to export, ${formatBytes(p.bytes)}.`,
    `Retrieval estimate (${p.prices.source}, prices of ${p.prices.date}):`,
  ];
  for (const [tier, e] of Object.entries(p.tiers)) {
    lines.push(`  ${tier.padEnd(9)} ${e.requests} request(s), ${e.gb.toFixed(2)} GB: about $${e.cost.toFixed(2)}${tier === p.tier ? '  <- chosen' : ''}`);
  }
  lines.push(`Expected duration with ${p.tier}: about ${p.expectedDays.toFixed(1)} day(s).`);
  if (p.undecodable > 0) lines.push(`${p.undecodable} description(s) do not decode: those files are named unnamed/<archive id>.`);
  if (p.collisionCount > 0) {
    lines.push(`${p.collisionCount} name collision(s), resolved with a suffix, such as:`);
    for (const c of p.collisions.slice(0, 10)) lines.push(`  ${c.wanted} -> ${c.given}`);
  }
  return lines.join('\n');
}

function describeWorkers(workers: readonly LedgerWorker[], now = Date.now()): string {
  if (workers.length === 0) return '';
  const lines = ['Workers:'];
  for (const w of workers) {
    const quiet = formatDuration(Math.max(0, now - w.heartbeatAt) / 1000);
    lines.push(`  ${w.workerId.padEnd(36)} ${w.activity.padEnd(9)} ${String(w.done).padStart(8)} exported, last seen ${quiet} ago`);
  }
  return `\n${lines.join('\n')}`;
}

/** The target as given: an s3:// URL checked, a directory resolved. */
function target(to: string): string {
  if (!to.startsWith('s3://')) return resolve(to);
  try {
    parseS3Url(to);
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.USAGE);
  }
  return to;
}

async function printStatus(state: string, output: Output): Promise<void> {
  if (!isPostgresState(state) && !existsSync(state)) throw new CliError(`no export ledger at ${state}: nothing was exported there yet`, ExitCode.NOT_FOUND);
  let ledger: ExportLedger;
  try {
    ledger = await openLedger(state);
  } catch (err) {
    // A SQLite ledger is held by the export that runs on it: read what it last published.
    const snapshot = (err as NodeJS.ErrnoException).code === 'EBUSY' ? await readLedgerSnapshot(state) : undefined;
    if (!snapshot) throw err;
    const { counts, workers, vault, destination, at } = snapshot;
    const total = Object.values(counts).reduce((n, c) => n + c.archives, 0);
    const asOf = `An export is running on this ledger; as of ${formatDuration(Math.max(0, Date.now() - at) / 1000)} ago:`;
    output.result({ vault, destination, total, counts, workers, running: true, asOf: new Date(at).toISOString() }, () => `${asOf}\n${summary(counts, total)}${describeWorkers(workers)}`);
    return;
  }
  try {
    const counts = await ledger.counts(0);
    const total = Object.values(counts).reduce((n, c) => n + c.archives, 0);
    const workers = await ledger.workers();
    const destination = await ledger.getMeta<string>('destination');
    output.result({ vault: await ledger.getMeta('vault'), destination, total, counts, workers }, () => `${summary(counts, total)}${describeWorkers(workers)}`);
  } finally {
    await ledger.close();
  }
}

async function confirmDeletion(vault: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new CliError(`--delete-after-verify deletes each exported archive from ${vault}; pass --yes to confirm`, ExitCode.USAGE);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`Delete each archive from vault ${vault} once its file is verified? This cannot be undone. Type the vault name to confirm: `);
    if (answer.trim() !== vault) throw new CliError('not confirmed; nothing was exported or deleted', ExitCode.USAGE);
  } finally {
    rl.close();
  }
}

/** `glacier export VAULT --to DIR`: the whole vault to a directory, paced, verified, resumable. */
export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export every archive of a vault to a directory or to S3: paced retrievals, verified files or objects, resumable over days, on one machine or many')
    .argument('<vault>', 'vault name')
    .option('--to <dir|s3://bucket/prefix>', 'target: a directory (its .glacier-export/ folder keeps the ledger) or an S3 prefix')
    .option('--state <path|postgres://...>', 'the ledger: a SQLite file, or a PostgreSQL URL that many workers share (default: in the target directory; for S3, in ./.glacier-export/)')
    .option('--storage-class <class>', `S3 storage class: ${S3_STORAGE_CLASSES.join(', ')}`, oneOf(S3_STORAGE_CLASSES, '--storage-class'), 'DEEP_ARCHIVE')
    .option('--s3-endpoint <url>', 'S3 endpoint (default: AWS_ENDPOINT_URL_S3, else AWS)')
    .option('--s3-profile <name>', 'profile of the S3 side (its own credentials and region; Glacier keeps --profile)')
    .option('--s3-region <region>', 'region of the S3 side')
    .option('--lease-seconds <n>', 'a worker silent this long loses its claims to the other workers (default 600)', (v) => positiveInt(v, '--lease-seconds'))
    .option('--tier <tier>', 'retrieval tier: Bulk (cheapest, default), Standard or Expedited', oneOf(['Bulk', 'Standard', 'Expedited'] as const, '--tier'), 'Bulk')
    .option('--bytes-per-day <size>', 'most bytes of retrievals started in any 24 h (e.g. 500GiB)', (v) => byteSize(v, '--bytes-per-day'))
    .option('--max-jobs <n>', 'most jobs started but not yet downloaded', (v) => positiveInt(v, '--max-jobs'), 100)
    .option('--names <how>', "file names: auto (decoded from the descriptions mt-aws-glacier, FastGlacier, CloudBerry and others write) or id", oneOf(['auto', 'id'] as const, '--names'), 'auto')
    .option('--include <glob>', 'only archives whose name matches (repeatable; ** crosses folders)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--exclude <glob>', 'no archive whose name matches (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--plan', 'print what the export would take and cost; change nothing')
    .option('--inventory <job-id|file>', 'plan from this inventory job, or a saved inventory file (default: the newest whole-vault inventory, else a new one)')
    .option('--once', 'one pass: start what the budget allows, download what is ready, print what remains, exit (for cron)')
    .option('--status', "print the ledger's state without touching the vault")
    .option('--delete-after-verify', 'delete each archive from the vault once its file is verified')
    .option('--yes', 'do not ask for confirmation')
    .option('--concurrency <n>', 'downloads at once', (v) => positiveInt(v, '--concurrency'), 2)
    .option('--time-scale <n>', "run the export's clock N times faster (rehearsal against glacier-local --time-scale N)", positiveNumber)
    .addHelpText(
      'after',
      `
The export keeps its ledger in <dir>/.glacier-export/ledger.sqlite (or --state):
stop it at any moment (Ctrl-C, a crash, a reboot) and the same command
continues. A file or object appears under its name only once its tree hash
matched the inventory's. Run the same command on several machines with one
--state postgres://... and they share the export (docs/exporting-at-scale.md).`,
    )
    .action(async (vaultName: string, options: ExportCliOptions, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      if (options.status && (options.state !== undefined || options.to !== undefined)) {
        await printStatus(options.state ?? defaultStatePath(target(options.to!)), output);
        return;
      }
      if (options.to === undefined) throw new CliError('give --to: a directory or s3://bucket/prefix', ExitCode.USAGE);
      const to = target(options.to);
      const s3 = {
        ...(options.s3Endpoint !== undefined ? { endpoint: options.s3Endpoint } : {}),
        ...(options.s3Profile !== undefined ? { profile: options.s3Profile } : {}),
        ...(options.s3Region !== undefined ? { region: options.s3Region } : {}),
      };
      const glacier = connect(opts);
      const vault = glacier.Vault(opts.account, vaultName);
      const selection = { names: options.names, include: options.include, exclude: options.exclude };
      if (options.plan) {
        const plan = await planVaultExport(vault, {
          ...selection,
          to,
          tier: options.tier,
          ...(options.bytesPerDay !== undefined ? { bytesPerDay: options.bytesPerDay } : {}),
          ...(options.inventory !== undefined ? { inventoryJobId: options.inventory } : {}),
        });
        output.result(plan, () => describePlan(plan));
        return;
      }
      if (options.deleteAfterVerify && !options.yes) await confirmDeletion(vaultName);
      await vault.load();
      let lastNote = 0;
      const started = Date.now();
      const onProgress = (p: ExportProgress) => {
        if (p.event === 'failed') output.note(`failed: ${p.archiveId}`);
        if (p.writtenAs) output.note(`${p.name} in the target is another file and was kept; the archive was written beside it as ${p.writtenAs}`);
        if (!opts.progress || (Date.now() - lastNote < 2000 && p.event !== 'waiting')) return;
        lastNote = Date.now();
        const done = p.counts.verified.bytes + p.counts.deleted.bytes;
        const all = Object.values(p.counts).reduce((n, c) => n + c.bytes, 0) - p.counts.failed.bytes;
        const elapsed = (Date.now() - started) / 1000;
        const eta = done > 0 && all > done ? `, ETA ${formatDuration(((all - done) * elapsed) / done)}` : '';
        const next = p.nextPollMs !== undefined ? `; next poll in ${formatDuration(p.nextPollMs / 1000)}` : '';
        output.note(`${summary(p.counts, p.total)}${eta}${next}`);
      };
      let report: ExportReport;
      try {
        report = await withInterrupt((signal) =>
          vault.export({
            to,
            ...selection,
            ...(options.state !== undefined ? { state: options.state } : {}),
            ...(to.startsWith('s3://') ? { storageClass: options.storageClass, s3 } : {}),
            ...(options.leaseSeconds !== undefined ? { leaseMs: options.leaseSeconds * 1000 } : {}),
            tier: options.tier,
            maxJobsInFlight: options.maxJobs,
            concurrency: options.concurrency,
            onProgress,
            signal,
            ...(options.bytesPerDay !== undefined ? { bytesPerDay: options.bytesPerDay } : {}),
            ...(options.inventory !== undefined ? (existsSync(options.inventory) ? { inventoryFile: options.inventory } : { inventoryJobId: options.inventory }) : {}),
            ...(options.once ? { once: true } : {}),
            ...(options.deleteAfterVerify ? { deleteAfterVerify: true } : {}),
            ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
          }),
        );
      } catch (error) {
        if ((error as Error).name === 'AbortError') output.note('Stopped; the ledger keeps every step. Run the same command to continue.');
        throw error;
      }
      output.result(report, () => `${report.finished ? 'Export finished' : 'Export not finished yet'}: ${summary(report.counts, report.total)}.\nManifest: ${report.manifestPath}`);
      if (report.counts.failed.archives > 0) {
        throw new CliError(`${report.counts.failed.archives} archive(s) failed; see the manifest for why`, ExitCode.SERVICE, { reported: true });
      }
    });
}
