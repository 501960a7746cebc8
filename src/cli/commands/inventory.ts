import type { Command } from 'commander';
import { runningInventoryJob, type InventoryArchive, type Job } from '../../index.js';
import { oneOf } from '../args.js';
import { connect } from '../connect.js';
import { globalOptions, Output } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatBytes, formatDate, formatTable } from '../format.js';
import { withInterrupt } from '../signals.js';
import { checkTarget, pollIntervalOption, refuseToOverwrite, saveJobOutput, waitForJob } from '../jobs-common.js';

interface InventoryOptions {
  format: 'JSON' | 'CSV';
  wait?: boolean;
  job?: string;
  output?: string;
  force?: boolean;
  new?: boolean;
  pollInterval?: number;
}

/** Reads a completed inventory job's archives. */
export async function readInventory(job: Job): Promise<{ vaultArn?: string; inventoryDate?: string; archives: InventoryArchive[] }> {
  const inventory = job.inventory();
  const archives: InventoryArchive[] = [];
  for await (const a of inventory) archives.push(a);
  return { vaultArn: inventory.vaultArn, inventoryDate: inventory.inventoryDate, archives };
}

/** Renders inventory archives as a table. */
export function inventoryTable(archives: readonly InventoryArchive[]): string {
  return formatTable(archives, [
    { header: 'CREATED', value: (a) => formatDate(a.creationDate) },
    { header: 'SIZE', value: (a) => formatBytes(a.size), right: true },
    { header: 'DESCRIPTION', value: (a) => (a.archiveDescription.length > 40 ? `${a.archiveDescription.slice(0, 39)}…` : a.archiveDescription) },
    { header: 'ARCHIVE ID', value: (a) => a.archiveId },
  ]);
}

/** `glacier inventory NAME`: request, wait for, print or save a vault inventory. */
export function registerInventory(program: Command): void {
  program
    .command('inventory')
    .description("request a vault's inventory (the list of its archives), or print or save a finished one with --job")
    .argument('<vault>', 'vault name')
    .addOption(
      program
        .createOption('--format <format>', 'inventory format: json or csv')
        .argParser(oneOf(['JSON', 'CSV'] as const, '--format'))
        .default('JSON', 'json'),
    )
    .option('--wait', 'wait for the job to finish, then print the inventory')
    .option('--job <jobId>', 'print (or with --output, save) the output of this completed inventory job')
    .option('--output <file>', 'save the inventory document, exactly as Glacier returns it, to a file')
    .option('--force', 'replace the --output file if it already exists')
    .option('--new', 'request a new inventory even if one is already running')
    .addOption(pollIntervalOption('with --wait'))
    .addHelpText(
      'after',
      `
An inventory job typically takes 3-5 hours on AWS and reflects the vault as of
its last daily inventory. Its output stays available for at least 24 hours.
Without --wait the job id is printed; fetch the result later with --job.`,
    )
    .action(async (vaultName: string, options: InventoryOptions, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      if (options.output !== undefined) await checkTarget(options.output);
      if (options.output !== undefined && !options.force) await refuseToOverwrite(options.output);
      const vault = connect(opts).Vault(opts.account, vaultName);
      let job: Job;
      if (options.job !== undefined) {
        job = vault.Job(options.job);
      } else {
        const running = options.new ? undefined : await runningInventoryJob(vault, options.format);
        if (running) {
          job = running;
          output.note(`An inventory job is already running for ${vaultName}: ${job.id} (use --new to request another).`);
        } else {
          job = await vault.initiateInventoryRetrieval({ format: options.format });
          output.note(`Inventory job requested: ${job.id}`);
        }
        if (!options.wait) {
          output.result({ vault: vaultName, jobId: job.id, format: options.format, completed: false }, () =>
            [
              `job id: ${job.id}`,
              `Glacier typically needs 3-5 hours. Then run:`,
              `  glacier inventory ${vaultName} --job ${job.id}`,
              `(or request and wait in one go: glacier inventory ${vaultName} --wait)`,
            ].join('\n'),
          );
          return;
        }
      }
      await withInterrupt((signal) => waitForJob(job, output, { signal, pollInterval: options.pollInterval, wait: options.wait === true }));
      if (job.action !== undefined && job.action !== 'InventoryRetrieval') {
        throw new CliError(`job ${job.id} is an ${job.action} job, not an inventory; use: glacier download ${vaultName} ${job.id} FILE`, ExitCode.USAGE);
      }
      if (options.output !== undefined) {
        const bytes = await saveJobOutput(job, options.output);
        output.result({ vault: vaultName, jobId: job.id, file: options.output, bytes }, () => `Inventory of ${vaultName} saved to ${options.output} (${formatBytes(bytes)}).`);
        return;
      }
      const inventory = await readInventory(job);
      output.result({ vault: vaultName, jobId: job.id, ...inventory }, () => {
        const total = inventory.archives.reduce((sum, a) => sum + a.size, 0);
        return [
          `Inventory of ${vaultName} as of ${formatDate(inventory.inventoryDate)}: ${inventory.archives.length} archive(s), ${formatBytes(total)}`,
          ...(inventory.archives.length > 0 ? ['', inventoryTable(inventory.archives)] : []),
        ].join('\n');
      });
    });
}
