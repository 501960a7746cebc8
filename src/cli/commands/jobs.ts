import { Option, type Command } from 'commander';
import type { Job } from '../../index.js';
import { connect } from '../connect.js';
import { globalOptions, Output } from '../context.js';
import { formatBytes, formatDate, formatTable, isoDate, shortId } from '../format.js';

/** A job's attributes as the CLI prints them in JSON. */
export interface JobSummary {
  jobId: string;
  action: string | undefined;
  statusCode: string | undefined;
  statusMessage: string | undefined;
  completed: boolean | undefined;
  creationDate: string | undefined;
  completionDate: string | undefined;
  tier: string | undefined;
  description: string | undefined;
  archiveId: string | undefined;
  archiveSizeInBytes: number | undefined;
  retrievalByteRange: string | undefined;
  sha256TreeHash: string | undefined;
  inventorySizeInBytes: number | undefined;
  inventoryFormat: string | undefined;
}

/** The attributes of a loaded job. */
export function jobSummary(job: Job): JobSummary {
  return {
    jobId: job.id,
    action: job.action,
    statusCode: job.statusCode,
    statusMessage: job.statusMessage,
    completed: job.completed,
    creationDate: isoDate(job.creationDate),
    completionDate: isoDate(job.completionDate),
    tier: job.tier,
    description: job.jobDescription,
    archiveId: job.archiveId,
    archiveSizeInBytes: job.archiveSizeInBytes,
    retrievalByteRange: job.retrievalByteRange,
    sha256TreeHash: job.sha256TreeHash,
    inventorySizeInBytes: job.inventorySizeInBytes,
    inventoryFormat: job.inventoryRetrievalParameters?.Format,
  };
}

/** Renders job summaries as a table. */
export function jobsTable(jobs: readonly JobSummary[]): string {
  return formatTable(jobs, [
    { header: 'JOB ID', value: (j) => j.jobId },
    { header: 'ACTION', value: (j) => (j.action === 'InventoryRetrieval' ? `inventory (${j.inventoryFormat ?? 'JSON'})` : j.action === 'ArchiveRetrieval' ? 'archive' : (j.action ?? '-')) },
    { header: 'STATUS', value: (j) => j.statusCode ?? '-' },
    { header: 'TIER', value: (j) => j.tier ?? '-' },
    { header: 'CREATED', value: (j) => formatDate(j.creationDate) },
    { header: 'COMPLETED', value: (j) => formatDate(j.completionDate) },
    {
      header: 'SIZE',
      value: (j) => {
        const bytes = j.archiveSizeInBytes ?? j.inventorySizeInBytes;
        return bytes === undefined ? '-' : formatBytes(bytes);
      },
      right: true,
    },
    { header: 'ARCHIVE', value: (j) => (j.archiveId ? shortId(j.archiveId) : '-') },
  ]);
}

interface JobsOptions {
  completed?: boolean;
  inProgress?: boolean;
  failed?: boolean;
  succeeded?: boolean;
}

/** `glacier jobs NAME`: the vault's jobs (Glacier keeps completed jobs for about a day). */
export function registerJobs(program: Command): void {
  program
    .command('jobs')
    .description("list a vault's retrieval and inventory jobs")
    .argument('<vault>', 'vault name')
    // One status filter at a time: a pair such as --completed --failed would otherwise silently mean one of them.
    .addOption(new Option('--completed', 'only completed jobs (succeeded or failed)').conflicts(['inProgress', 'failed', 'succeeded']))
    .addOption(new Option('--in-progress', 'only jobs still running').conflicts(['completed', 'failed', 'succeeded']))
    .addOption(new Option('--failed', 'only failed jobs').conflicts(['completed', 'inProgress', 'succeeded']))
    .addOption(new Option('--succeeded', 'only succeeded jobs').conflicts(['completed', 'inProgress', 'failed']))
    .action(async (vaultName: string, options: JobsOptions, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      const vault = connect(opts).Vault(opts.account, vaultName);
      const collection = options.failed
        ? vault.failedJobs
        : options.succeeded
          ? vault.succeededJobs
          : options.inProgress
            ? vault.jobsInProgress
            : options.completed
              ? vault.completedJobs
              : vault.jobs;
      const jobs: JobSummary[] = [];
      for await (const job of collection.all()) jobs.push(jobSummary(job));
      output.result(jobs, () => (jobs.length === 0 ? 'No jobs.' : jobsTable(jobs)));
    });
}
