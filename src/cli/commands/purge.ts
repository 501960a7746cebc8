import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { adaptivePool, isBackOffSignal, isInventoryStale, newestInventoryJob, type Job } from '../../index.js';
import { withRetries } from '../../transfer/retry.js';
import { positiveInt } from '../args.js';
import { connect } from '../connect.js';
import { globalOptions, Output, type GlobalOptions } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatBytes, formatDate } from '../format.js';
import { pollIntervalOption, waitForJob } from '../jobs-common.js';
import { TransferProgress } from '../progress.js';
import { defaultStatePath, readState, StateLog, type PurgeState } from '../purge-state.js';
import { withInterrupt } from '../signals.js';

interface PurgeOptions {
  deleteVault?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  concurrency?: number;
  state?: string;
  newInventory?: boolean;
  pollInterval?: number;
}

/** What `glacier purge` did, as printed with `--json`. */
export interface PurgeReport {
  vault: string;
  dryRun: boolean;
  resumed: boolean;
  inventoryJobId: string;
  inventoryDate: string | undefined;
  archivesInInventory: number;
  bytesInInventory: number;
  deletedEarlier: number;
  deleted: number;
  alreadyGone: number;
  failed: number;
  failures: Array<{ archiveId: string; error: string }>;
  vaultDeleted: boolean;
  vaultDeleteError: string | undefined;
  stateFile: string | undefined;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException';
}

/** Reads a finished inventory job: every archive it lists, and those not deleted yet. */
async function readInventory(job: Job, deletedBefore: ReadonlySet<string>) {
  const inventory = job.inventory();
  const archives: Array<{ id: string; size: number }> = [];
  for await (const a of inventory) archives.push({ id: a.archiveId, size: a.size });
  const todo = archives.filter((a) => !deletedBefore.has(a.id));
  return { inventory, archives, todo };
}

async function confirm(question: string, expected: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim() === expected;
  } finally {
    rl.close();
  }
}

/** `glacier purge NAME`: delete every archive of a vault (and the vault), resumably. */
export function registerPurge(program: Command): void {
  program
    .command('purge')
    .description('delete every archive in a vault (from its newest inventory), optionally then the vault; resumable')
    .argument('<vault>', 'vault name')
    .option('--delete-vault', 'delete the vault once it is empty')
    .option('--dry-run', 'show what would be deleted; delete nothing')
    .option('--yes', 'do not ask for confirmation')
    .option('--concurrency <n>', 'pin the deletions in flight (default: adaptive, rising while deletions per second rise)', (v) => positiveInt(v, '--concurrency'))
    .option('--state <file>', 'state file that makes the purge resumable (default under ~/.local/state/glacier-resource/)')
    .option('--new-inventory', 'ignore earlier inventories and state; request a fresh inventory')
    .addOption(pollIntervalOption('while waiting for an inventory'))
    .addHelpText(
      'after',
      `
How it works: purge uses the newest inventory job of the vault (or requests one
and waits: typically 3-5 hours on AWS), deletes every archive it lists, in
parallel, and reports what it deleted. Progress is recorded in a state file, so
after an interruption the same command continues without a new inventory.

Glacier deletes a vault only when its last inventory shows no archives and
nothing was written since. On AWS the inventory refreshes about once a day, so
--delete-vault usually succeeds when you run the same command again a day later.
Archives uploaded after the inventory was taken are not deleted.`,
    )
    .action(async (vaultName: string, options: PurgeOptions, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      const report = await withInterrupt((signal) => purge(vaultName, options, opts, output, signal));
      output.result(report, () => humanReport(report));
      if (report.failed > 0) {
        throw new CliError(`${report.failed} archive(s) could not be deleted; run the same command again to retry them.`, ExitCode.SERVICE, {
          reported: true,
        });
      }
      if (options.deleteVault && !report.dryRun && !report.vaultDeleted) {
        throw new CliError(`vault ${vaultName} was not deleted: ${report.vaultDeleteError ?? 'unknown reason'}`, ExitCode.SERVICE, { reported: true });
      }
    });
}

function humanReport(r: PurgeReport): string {
  const lines = [
    `Vault ${r.vault}: inventory job ${r.inventoryJobId} (inventory of ${formatDate(r.inventoryDate)}) lists ${r.archivesInInventory} archive(s), ${formatBytes(r.bytesInInventory)}.`,
  ];
  if (r.dryRun) {
    lines.push(`Dry run: would delete ${r.archivesInInventory - r.deletedEarlier} archive(s)${r.deletedEarlier ? ` (${r.deletedEarlier} already deleted by an earlier run)` : ''}; nothing was deleted.`);
    return lines.join('\n');
  }
  lines.push(
    `Deleted ${r.deleted} archive(s)${r.alreadyGone ? `, ${r.alreadyGone} were already gone` : ''}${r.deletedEarlier ? `, ${r.deletedEarlier} deleted by an earlier run` : ''}${r.failed ? `, ${r.failed} FAILED` : ''}.`,
  );
  for (const f of r.failures.slice(0, 10)) lines.push(`  failed: ${f.archiveId}: ${f.error}`);
  if (r.vaultDeleted) lines.push(`Vault ${r.vault} deleted.`);
  else if (r.vaultDeleteError) lines.push(`Vault ${r.vault} not deleted yet: ${r.vaultDeleteError}`);
  if (r.stateFile) lines.push(`State kept in ${r.stateFile}; run the same command to continue.`);
  return lines.join('\n');
}

async function purge(vaultName: string, options: PurgeOptions, opts: GlobalOptions, output: Output, signal: AbortSignal): Promise<PurgeReport> {
  const glacier = connect(opts);
  const vault = glacier.Vault(opts.account, vaultName);
  await vault.load();
  const where = opts.endpoint ?? process.env.AWS_ENDPOINT_URL_GLACIER ?? opts.region ?? process.env.AWS_REGION ?? opts.profile ?? 'default';
  const statePath = options.state ?? defaultStatePath(opts.account, vaultName, where);
  let state: PurgeState | undefined = options.newInventory ? undefined : await readState(statePath);
  if (state && (state.vault !== vaultName || state.account !== opts.account)) {
    throw new CliError(`state file ${statePath} belongs to vault ${state.vault}; pass another --state`, ExitCode.USAGE);
  }
  const resumed = state !== undefined;
  if (state) output.note(`Resuming the purge of ${vaultName} started ${formatDate(state.startedAt)}: ${state.deleted.size} archive(s) already deleted.`);

  // 1. The inventory to work from.
  let job: Job | undefined = state?.inventoryJobId ? vault.Job(state.inventoryJobId) : undefined;
  if (!job && !options.newInventory) {
    job = await newestInventoryJob(vault);
    if (job) output.note(`Using inventory job ${job.id} (${job.statusCode}, requested ${formatDate(job.creationDate)}).`);
  }
  if (!job) {
    job = await vault.initiateInventoryRetrieval({ format: 'JSON' });
    output.note(`Requested inventory job ${job.id}.`);
  }
  let log: StateLog | undefined = state && !options.dryRun ? StateLog.open(statePath) : undefined;
  /** Starts the state file: before a long wait for the inventory, or before the first deletion. */
  const ensureLog = async (): Promise<StateLog | undefined> => {
    if (options.dryRun || log) return log;
    const inventoryJobId = job!.id;
    state = { account: opts.account, vault: vaultName, where, inventoryJobId, deleted: new Set(), startedAt: new Date().toISOString() };
    log = await StateLog.create(statePath, { account: state.account, vault: state.vault, where, inventoryJobId, startedAt: state.startedAt });
    output.note(`State file: ${statePath}`);
    return log;
  };
  try {
    await job.load();
    if (job.statusCode === 'InProgress') await ensureLog();
    await waitForJob(job, output, { wait: true, pollInterval: options.pollInterval, signal });
  } catch (error) {
    const failed = error instanceof Error && error.name === 'JobFailedError';
    if (!resumed || !(isNotFound(error) || failed)) throw error;
    // The remembered inventory job expired (its output lasts about 24 h) or failed: take a new inventory.
    job = await vault.initiateInventoryRetrieval({ format: 'JSON' });
    output.note(`The earlier inventory job has ${failed ? 'failed' : 'expired'}; requested a new one: ${job.id}.`);
    log?.inventoryJob(job.id);
    await log?.flush();
    await waitForJob(job, output, { wait: true, pollInterval: options.pollInterval, signal });
  }

  // 2. Read the inventory.
  const deletedBefore = state?.deleted ?? new Set<string>();
  let { inventory, archives, todo } = await readInventory(job, deletedBefore);
  if (await isInventoryStale(vault, job, todo.length)) {
    // Glacier's own snapshot is newer than this inventory and counts more archives than it
    // has left to delete: archives were added after it was taken. Deleting only what it
    // lists would leave them behind (and --delete-vault would fail on every run).
    output.note(
      `Vault ${vaultName}'s inventory of ${formatDate(vault.lastInventoryDate)} counts ${vault.numberOfArchives} archive(s), ` +
        `more than the ${todo.length} left in inventory job ${job.id}: archives were added since it was taken. Requesting a new inventory.`,
    );
    job = await vault.initiateInventoryRetrieval({ format: 'JSON' });
    output.note(`Requested inventory job ${job.id}.`);
    log?.inventoryJob(job.id);
    await log?.flush();
    await waitForJob(job, output, { wait: true, pollInterval: options.pollInterval, signal });
    ({ inventory, archives, todo } = await readInventory(job, deletedBefore));
  }
  const report: PurgeReport = {
    vault: vaultName,
    dryRun: options.dryRun === true,
    resumed,
    inventoryJobId: job.id,
    inventoryDate: inventory.inventoryDate,
    archivesInInventory: archives.length,
    bytesInInventory: archives.reduce((sum, a) => sum + a.size, 0),
    deletedEarlier: archives.length - todo.length,
    deleted: 0,
    alreadyGone: 0,
    failed: 0,
    failures: [],
    vaultDeleted: false,
    vaultDeleteError: undefined,
    stateFile: undefined,
  };
  if (options.dryRun) return report;

  // 3. Confirm.
  if (todo.length > 0 && !options.yes) {
    const question = `Delete ${todo.length} archive(s) (${formatBytes(todo.reduce((s, a) => s + a.size, 0))}) from vault ${vaultName}? This cannot be undone. Type the vault name to confirm: `;
    if (!process.stdin.isTTY) {
      throw new CliError(`purge would delete ${todo.length} archive(s) from ${vaultName}; pass --yes to confirm, or --dry-run to look first`, ExitCode.USAGE);
    }
    if (!(await confirm(question, vaultName))) throw new CliError('not confirmed; nothing was deleted', ExitCode.USAGE);
  }

  // 4. Delete, in parallel, recording each deletion.
  await ensureLog();
  const progress = new TransferProgress({ stream: output.progressStream, label: 'purge', unit: 'items', silent: !opts.progress });
  progress.start(todo.length);
  let done = 0;
  try {
    const pinned = options.concurrency === undefined ? {} : { concurrency: options.concurrency };
    await adaptivePool(todo, async ({ id }, control) => {
      try {
        // Throttling and server errors are retried here, and each one halves the deletions in flight.
        await withRetries(() => vault.Archive(id).delete(), {
          signal,
          onFailedAttempt: ({ error }) => {
            if (isBackOffSignal(error)) control.backOff();
          },
        });
        report.deleted += 1;
      } catch (error) {
        if (isNotFound(error)) report.alreadyGone += 1;
        else {
          report.failed += 1;
          report.failures.push({ archiveId: id, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
          return;
        }
      }
      log?.deleted(id);
      done += 1;
      progress.update(done);
    }, { ...pinned, signal });
  } finally {
    progress.stop();
    await log?.flush();
  }
  if (signal.aborted) {
    output.note(`Stopped after ${done} deletion(s) this run; progress is saved in ${statePath}. Run the same command to continue.`);
    signal.throwIfAborted();
  }

  // 5. The vault itself.
  if (options.deleteVault && report.failed === 0) {
    try {
      await vault.delete();
      report.vaultDeleted = true;
    } catch (error) {
      report.vaultDeleteError =
        error instanceof Error && /not empty|recently written/i.test(error.message)
          ? `${error.message}. Glacier allows it once the vault's inventory shows no archives (about a day after the deletions on AWS); run the same command again then.`
          : error instanceof Error
            ? `${error.name}: ${error.message}`
            : String(error);
    }
  }
  const finished = report.failed === 0 && (!options.deleteVault || report.vaultDeleted);
  if (finished) await log?.remove();
  else report.stateFile = statePath;
  return report;
}
