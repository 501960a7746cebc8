/**
 * Job helpers shared by the `inventory`, `download` and `purge` commands.
 *
 * @module
 */
import { constants, createWriteStream } from 'node:fs';
import { access, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { Option } from 'commander';
import { JobFailedError, type Job } from '../index.js';
import { duration } from './args.js';
import type { Output } from './context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { formatDuration } from './format.js';

/** Options of {@link waitForJob}. */
export interface WaitForJobOptions {
  /** Wait for completion (true) or require it already (false). */
  wait: boolean;
  /** Milliseconds before the second status check (then doubling); by default the library's schedule. */
  pollInterval?: number | undefined;
  /** Cancels the wait. */
  signal?: AbortSignal | undefined;
}

/**
 * Makes sure `job` has succeeded: waits for it when `wait` is set, else checks
 * once and explains what to do when it is not done. Throws JobFailedError on
 * a failed job.
 */
export async function waitForJob(job: Job, output: Output, options: WaitForJobOptions): Promise<void> {
  await job.load();
  if (job.statusCode === 'Succeeded') return;
  if (job.statusCode === 'Failed') throw new JobFailedError(job.id, job.statusMessage);
  if (!options.wait) {
    throw new CliError(
      `job ${job.id} is still ${job.statusCode ?? 'InProgress'} (started ${String(job.creationDate ?? '?')}); try again later, or add --wait`,
      ExitCode.JOB,
    );
  }
  const started = Date.now();
  output.note(`Waiting for job ${job.id} (${job.action ?? 'job'}${job.tier ? `, ${job.tier} tier` : ''})... Ctrl-C stops waiting; the job keeps running.`);
  await job.waitUntilCompleted({
    pollInterval: options.pollInterval,
    signal: options.signal,
  });
  output.note(`Job ${job.id} succeeded after ${formatDuration((Date.now() - started) / 1000)}.`);
}

/**
 * The `--poll-interval DURATION` option of the commands that wait for a job
 * (`when` says when they wait). Its value is in milliseconds; a bare number
 * is seconds, as it always was for these commands.
 */
export function pollIntervalOption(when: string): Option {
  return new Option(
    '--poll-interval <duration>',
    `first wait between job status checks ${when}, doubling up to 15m; a duration such as 500ms, 30s or 5m, ` +
      'a bare number being seconds (default: 1s, doubling with jitter)',
  ).argParser((value) => duration(value, '--poll-interval', 's'));
}

/** Throws a usage error when `file` exists: downloads never replace a file unless told to (`--force`). */
export async function refuseToOverwrite(file: string): Promise<void> {
  const exists = await stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? false : Promise.reject(error)),
  );
  if (exists) throw new CliError(`${file} already exists; choose another name, or pass --force to replace it`, ExitCode.USAGE);
}

/** Writes a completed job's whole output to `file` (via `file.partial`, renamed at the end); returns its size. */
export async function saveJobOutput(job: Job, file: string): Promise<number> {
  const response = await job.getOutput();
  const partial = `${file}.partial`;
  let bytes = 0;
  const body = response.body as unknown as Readable;
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  try {
    await pipeline(body, createWriteStream(partial));
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return bytes;
}

/** Refuses, before any request, a target that is a directory or whose directory is missing or not writable. */
export async function checkTarget(file: string): Promise<void> {
  const dir = dirname(resolve(file));
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    const why = error.code === 'ENOENT' ? `directory ${dir} does not exist` : `${dir}: ${error.code ?? error.message}`;
    throw new CliError(`cannot write ${file}: ${why}`, ExitCode.USAGE);
  });
  if (!info.isDirectory()) throw new CliError(`cannot write ${file}: ${dir} is not a directory`, ExitCode.USAGE);
  await access(dir, constants.W_OK).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot write ${file}: directory ${dir} is not writable (${error.code ?? error.message})`, ExitCode.USAGE);
  });
  const target = await stat(file).catch(() => undefined);
  if (target?.isDirectory()) throw new CliError(`cannot write ${file}: it is a directory; give a file name`, ExitCode.USAGE);
  // A finished download is renamed over its target: never over a device, a FIFO or a socket (even with --force).
  if (target && !target.isFile()) {
    throw new CliError(`cannot write ${file}: it exists and is not a regular file (a device, FIFO or socket); give a file name, or '-' to write to standard output`, ExitCode.USAGE);
  }
}
