import type { Command } from 'commander';
import { oneOf } from '../args.js';
import { connect } from '../connect.js';
import { globalOptions, Output } from '../context.js';

interface RetrieveOptions {
  tier?: 'Expedited' | 'Standard' | 'Bulk';
  range?: string;
  description?: string;
  snsTopic?: string;
}

const TIER_TIMES: Record<string, string> = {
  Expedited: '1-5 minutes (archives under 250 MB; may fail with InsufficientCapacityException)',
  Standard: '3-5 hours',
  Bulk: '5-12 hours',
};

/** `glacier retrieve NAME ARCHIVE_ID`: starts an archive retrieval job. */
export function registerRetrieve(program: Command): void {
  program
    .command('retrieve')
    .description('start an archive retrieval job; download its output with: glacier download NAME JOB_ID FILE')
    .argument('<vault>', 'vault name')
    .argument('<archiveId>', "archive id (if it starts with '-', put -- before it)")
    .option('--tier <tier>', 'Expedited, Standard (default) or Bulk', oneOf(['Expedited', 'Standard', 'Bulk'] as const, '--tier'))
    .option('--range <start-end>', 'retrieve only these bytes (inclusive, megabyte-aligned), e.g. 0-1048575')
    .option('--description <text>', 'job description')
    .option('--sns-topic <arn>', 'SNS topic to notify when the job completes')
    .action(async (vaultName: string, archiveId: string, options: RetrieveOptions, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      const archive = connect(opts).Vault(opts.account, vaultName).Archive(archiveId);
      const job = await archive.initiateArchiveRetrieval({
        tier: options.tier,
        range: options.range,
        description: options.description,
        snsTopic: options.snsTopic,
      });
      const tier = options.tier ?? 'Standard';
      output.result({ vault: vaultName, archiveId, jobId: job.id, tier, range: options.range }, () =>
        [
          `job id: ${job.id}`,
          `${tier} retrievals typically take ${TIER_TIMES[tier] ?? 'hours'}. The output then stays available for at least 24 hours:`,
          `  glacier download ${vaultName} ${job.id} FILE          # add --wait to wait for the job`,
        ].join('\n'),
      );
    });
}
