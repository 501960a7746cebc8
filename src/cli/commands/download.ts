import { stat } from 'node:fs/promises';
import { validatePartSize } from '../../index.js';
import type { Command } from 'commander';
import { byteSize, memorySize, positiveInt } from '../args.js';
import { connect } from '../connect.js';
import { connectionFlags, globalOptions, Output, quote, retryNote } from '../context.js';
import { CliError, ExitCode, localFileProblem } from '../exit-codes.js';
import { formatBytes, formatRate } from '../format.js';
import { checkTarget, pollIntervalOption, refuseToOverwrite, waitForJob } from '../jobs-common.js';
import { TransferProgress } from '../progress.js';
import { withInterrupt } from '../signals.js';

interface DownloadOptions {
  force?: boolean;
  wait?: boolean;
  pollInterval?: number;
  concurrency?: number;
  chunkSize?: number;
  maxMemory?: number;
}

/** Bytes a retrieval job will produce: the retrieved range, else the archive size. */
function outputSize(range: string | undefined, archiveSize: number | undefined): number | undefined {
  const match = range ? /^(\d+)-(\d+)$/.exec(range) : null;
  if (match) return Number(match[2]) - Number(match[1]) + 1;
  return archiveSize;
}

/** `glacier download NAME JOB_ID FILE`: a verified, resumable download of a retrieval job's output. */
export function registerDownload(program: Command): void {
  program
    .command('download')
    .description("download a completed archive retrieval job's output to a file, verified against its tree hash")
    .argument('<vault>', 'vault name')
    .argument('<jobId>', 'archive retrieval job id (from glacier retrieve or glacier jobs)')
    .argument('<file>', "where to write the archive; '-' writes it to standard output (verified chunk by chunk, not resumable)")
    .option('--wait', 'wait for the job to complete first')
    .option('--force', 'replace FILE if it already exists')
    .addOption(pollIntervalOption('with --wait'))
    .option('--concurrency <n>', 'pin the ranged requests in flight (default: adaptive, see docs/transfers.md)', (v) => positiveInt(v, '--concurrency'))
    .option('--chunk-size <size>', 'bytes per ranged request, 1MiB x 2^n (default chosen by size)', (v) => byteSize(v, '--chunk-size'))
    .option('--max-memory <size>', 'memory for chunk buffers, e.g. 64MiB (default 256MiB); the adaptive concurrency stays within it', (v) =>
      memorySize(v, '--max-memory'),
    )
    .addHelpText(
      'after',
      `
The file is written as FILE.partial and renamed only once every byte has been
verified against Glacier's tree hash. If a download stops, run the same command
again: the verified part of FILE.partial is kept and only the rest is fetched.`,
    )
    .action(async (vaultName: string, jobId: string, file: string, options: DownloadOptions, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      const toStdout = file === '-';
      // Bad input is reported before any request.
      if (options.chunkSize !== undefined) validatePartSize(options.chunkSize, '--chunk-size');
      if (toStdout && opts.json) throw new CliError("--json cannot be used when the archive itself goes to standard output ('-')", ExitCode.USAGE);
      // A reader that stops early (`| head`, a tar that is done) closes the pipe: stop quietly,
      // with the status a process killed by SIGPIPE has, as Unix tools do.
      if (toStdout) {
        process.stdout.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'EPIPE') process.exit(ExitCode.BROKEN_PIPE);
          throw error;
        });
      }
      if (!toStdout) await checkTarget(file);
      if (!toStdout && !options.force) await refuseToOverwrite(file);
      const job = connect(opts).Vault(opts.account, vaultName).Job(jobId);
      await withInterrupt((signal) => waitForJob(job, output, { wait: options.wait === true, pollInterval: options.pollInterval, signal }));
      if (job.action !== 'ArchiveRetrieval') {
        throw new CliError(
          `job ${jobId} is ${job.action === 'InventoryRetrieval' ? 'an inventory job' : `a ${job.action ?? 'different'} job`}; use: glacier inventory ${vaultName} --job ${jobId} --output ${file}`,
          ExitCode.USAGE,
        );
      }
      const total = outputSize(job.retrievalByteRange, job.archiveSizeInBytes);
      const partial = `${file}.partial`;
      const hasPartial = async () => !toStdout && (await stat(partial).then((s) => s.isFile(), () => false));
      if (await hasPartial()) output.note(`Found ${partial} from an earlier run; checking what it holds before use.`);
      const progress = new TransferProgress({ stream: output.progressStream, label: 'download', silent: !opts.progress });
      const started = Date.now();
      progress.start(total);
      let bytes: number;
      // Bytes an earlier run wrote that the engine re-verified and kept: not fetched now.
      let resumed = 0;
      try {
        ({ bytes } = await withInterrupt((signal) =>
          job.download(toStdout ? process.stdout : file, {
            concurrency: options.concurrency,
            chunkSize: options.chunkSize,
            maxMemory: options.maxMemory,
            signal,
            verify: true,
            retry: { onFailedAttempt: (failure) => progress.note(retryNote('download', failure)) },
            // Standard output stays open: the process ends it.
            end: toStdout ? false : undefined,
            onProgress: (p: { loaded: number; total?: number; resumed?: number }) => {
              if (p.resumed !== undefined && resumed === 0) {
                resumed = p.resumed;
                progress.resumedAt(resumed);
                progress.note(
                  `Resuming from ${partial}: ${formatBytes(resumed)} of ${formatBytes(p.total ?? total ?? 0)} already verified; fetching the rest.`,
                );
              }
              progress.update(p.loaded, p.total);
            },
          }),
        ));
      } catch (error) {
        progress.stop(false);
        const local = toStdout ? undefined : localFileProblem(error);
        if (local) throw new CliError(`cannot write ${file}: ${local.message}`, ExitCode.USAGE, { cause: error });
        if (await hasPartial()) {
          const flags = [
            options.force ? ' --force' : '',
            options.concurrency !== undefined ? ` --concurrency ${options.concurrency}` : '',
            // The resume record is kept per chunk size: the same size reuses it.
            options.chunkSize !== undefined ? ` --chunk-size ${options.chunkSize}` : '',
            options.maxMemory !== undefined ? ` --max-memory ${options.maxMemory}` : '',
          ].join('');
          output.note(
            `The verified part is kept in ${partial}. Resume with:\n  glacier${connectionFlags(opts)} download ${quote(vaultName)} ${quote(jobId)} ${quote(file)}${flags}`,
          );
        }
        throw error;
      } finally {
        progress.stop();
      }
      const seconds = (Date.now() - started) / 1000;
      const fetched = bytes - resumed;
      // Glacier gives a tree hash for the whole output only when the retrieved
      // range is tree-hash aligned (always, for a whole archive).
      const verified = job.sha256TreeHash !== undefined;
      const rate = `${seconds.toFixed(1)}s (${formatRate(fetched / Math.max(seconds, 0.001))})`;
      const summary = [
        resumed > 0
          ? `Downloaded ${formatBytes(bytes)} to ${file}: fetched ${formatBytes(fetched)} in ${rate}; ${formatBytes(resumed)} was verified by an earlier run.`
          : `Downloaded ${formatBytes(bytes)} to ${toStdout ? 'standard output' : file} in ${rate}.`,
        verified
          ? `tree hash verified: ${job.sha256TreeHash}`
          : 'Glacier gives no tree hash for this range (it is not tree-hash aligned); chunks were checked where Glacier sent a checksum.',
      ].join('\n');
      // With '-', stdout carries the archive: the summary goes to stderr.
      if (toStdout) output.note(summary);
      else output.result({ vault: vaultName, jobId, file, size: bytes, fetched, resumed, sha256TreeHash: job.sha256TreeHash, verified, seconds }, () => summary);
    });
}
