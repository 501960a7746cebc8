/**
 * What {@link downloadJobOutput} takes and gives: its source, options,
 * progress events and result; the checks on them made before any request;
 * what a finished job says of its output; and the errors it ends with.
 *
 * @module
 */
import type { DescribeJobCommandOutput, GlacierClient } from '@aws-sdk/client-glacier';
import type { Writable } from 'node:stream';
import { DownloadError, TreeHashMismatchError, ValidationError } from '../errors.js';
import { checkOptions, validateAccountId, validateId, validatePartSize, validateVaultName } from '../validation.js';
import { DEFAULT_CONCURRENCY, DEFAULT_MAX_MEMORY, validateByteCount, validatePositiveInteger } from './part-plan.js';
import { httpStatusOf, retryOptionsProblem, type RetryOptions } from './retry.js';
import { MiB } from './tree-hash.js';

/** Which job's output to read. */
export interface JobOutputSource {
  /** The SDK client to send with. It is not modified. */
  client: GlacierClient;
  /** `-` or a 12-digit account id. */
  accountId: string;
  /** The vault's name. */
  vaultName: string;
  /** The job id. */
  jobId: string;
}

/**
 * Progress of a download: reported as bytes arrive (at most four times a
 * second, and at least once a second while requests are in flight) and
 * after each chunk is verified and written. The last event of a successful
 * download is exact: `loaded` and `completed` are `total`.
 */
export interface DownloadProgress {
  /**
   * Bytes received: those of `completed` plus what has arrived of the chunks
   * still being fetched. When a request fails (or its chunk does not
   * verify), its bytes are taken off again before it is retried, so `loaded`
   * can go down.
   */
  loaded: number;
  /** Bytes verified and written so far (including those a resumed download found already in place). */
  completed: number;
  /** The output's length in bytes. */
  total: number;
  /** Chunks allowed in flight now: the adaptive limit (see {@link AdaptiveConcurrency}), or `concurrency` when pinned. */
  concurrency: number;
  /**
   * Present when a file download resumed: the bytes of `loaded` that an
   * earlier run had written and that were re-verified in the `.partial`
   * file, so were not fetched again. `loaded - resumed` is what this call
   * fetched.
   */
  resumed?: number;
}

/** Options of {@link downloadJobOutput}. */
export interface DownloadOptions {
  /**
   * Bytes per ranged request: 1 MiB × 2^n, so every chunk is tree-hash
   * aligned and Glacier sends its checksum (default 16 MiB).
   */
  chunkSize?: number;
  /**
   * Pins the chunks fetched at once. By default it adapts (see
   * {@link AdaptiveConcurrency}): it starts at 16, rises while throughput
   * still rises and halves on throttling, within `maxMemory`.
   */
  concurrency?: number;
  /**
   * Memory for chunk buffers, in bytes (default 256 MiB). A file target
   * takes 2 MiB per chunk in flight, a Writable target a whole chunk, since
   * chunks that arrive early wait for their turn; the adaptive concurrency
   * stays within it.
   */
  maxMemory?: number;
  /** Called as bytes arrive (at most every 250 ms) and after each chunk is verified and written. See {@link DownloadProgress}. */
  onProgress?: (p: DownloadProgress) => void;
  /**
   * Stops the download; in-flight requests are cancelled. A file download
   * keeps its `.partial` file and record, so the next call resumes it.
   */
  signal?: AbortSignal;
  /**
   * Check every chunk against the tree hash in its response and the whole
   * against the job's `SHA256TreeHash` (default true). Chunks failing the
   * check are fetched again; with `false`, nothing is compared.
   */
  verify?: boolean;
  /** How each chunk is retried. See {@link RetryOptions}. */
  retry?: RetryOptions;
  /**
   * Milliseconds a request may go without receiving a byte before it is
   * cancelled and retried (default 120,000; 0 waits forever). Guards against
   * connections that stall without failing.
   */
  stallTimeout?: number;
  /** For a Writable target: call `end()` on it when done (default true). */
  end?: boolean;
}

/** Every option of {@link downloadJobOutput}, once: a missing or extra key here fails to compile. */
const DOWNLOAD_OPTIONS: Record<keyof DownloadOptions, true> = {
  chunkSize: true,
  concurrency: true,
  maxMemory: true,
  onProgress: true,
  signal: true,
  verify: true,
  retry: true,
  stallTimeout: true,
  end: true,
};

/** The option names {@link downloadJobOutput} accepts; any other is refused. @internal */
export const DOWNLOAD_OPTION_KEYS = Object.keys(DOWNLOAD_OPTIONS) as ReadonlyArray<keyof DownloadOptions>;

/** What a download produced. */
export interface DownloadResult {
  /** Bytes of output. */
  bytes: number;
  /** The output's tree hash, computed from the bytes received (absent when `verify` is false). */
  treeHash?: string;
  /**
   * True when the bytes were checked against checksums from Glacier: the
   * job's tree hash of the whole, or the tree hash of every chunk's
   * response. False when Glacier gave none (a retrieval whose byte range is
   * not tree-hash aligned) or `verify` was false: compare `treeHash` with a
   * checksum you trust yourself.
   */
  verified?: boolean;
  /** The file written, for a file target. */
  path?: string;
  /**
   * Present when a file download resumed: the bytes an earlier run had
   * written that were re-verified and kept rather than fetched again
   * (`bytes - resumed` were fetched by this call).
   */
  resumed?: number;
}

/** Default bytes per ranged GetJobOutput request: 16 MiB. */
export const DEFAULT_CHUNK_SIZE = 16 * MiB;

/** What a finished job says of its output. @internal */
export interface JobFacts {
  size: number;
  treeHash: string | undefined;
}

/** The output length and whole tree hash of a finished job. */
export function jobFacts(jobId: string, job: DescribeJobCommandOutput): JobFacts {
  if (job.StatusCode === 'Failed') {
    throw new DownloadError(jobId, `Job ${jobId} failed${job.StatusMessage ? `: ${job.StatusMessage}` : ''}; it has no output to download.`);
  }
  if (!job.Completed || job.StatusCode !== 'Succeeded') {
    throw new DownloadError(jobId, `Job ${jobId} is ${job.StatusCode ?? 'not complete'}; wait for it to succeed before downloading its output.`);
  }
  let size: number | undefined;
  if (job.Action === 'InventoryRetrieval') size = job.InventorySizeInBytes;
  else {
    const m = /^(\d+)-(\d+)$/.exec(job.RetrievalByteRange ?? '');
    size = m ? Number(m[2]) - Number(m[1]) + 1 : job.ArchiveSizeInBytes;
  }
  if (size === undefined || !Number.isSafeInteger(size) || size < 0) {
    throw new DownloadError(jobId, `Job ${jobId} does not say how long its output is, so it cannot be downloaded in ranges.`);
  }
  return { size, treeHash: job.Action === 'InventoryRetrieval' ? undefined : (job.SHA256TreeHash ?? undefined) };
}

/** The error to throw for a failed download: a DownloadError that says what to do, unless it already is one of ours. @internal */
export function describeFailure(jobId: string, error: unknown): unknown {
  if (error instanceof DownloadError || error instanceof TreeHashMismatchError || error instanceof ValidationError) return error;
  const name = (error as { name?: string } | undefined)?.name;
  if (httpStatusOf(error) === 404 || name === 'ResourceNotFoundException') {
    return new DownloadError(
      jobId,
      `Job ${jobId} or its output was not found. Job output is kept for at least 24 hours after the job completes; ` +
        'if it has expired, initiate a new retrieval job.',
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new DownloadError(jobId, `Downloading the output of job ${jobId} failed: ${message}`, { cause: error });
}

/** How a download runs, from its checked options. @internal */
export interface DownloadPlan {
  readonly chunkSize: number;
  /** Pinned chunks in flight, or undefined to adapt. */
  readonly concurrency: number | undefined;
  readonly maxMemory: number;
  readonly toFile: boolean;
}

/** Checks the arguments of {@link downloadJobOutput}, before any request. @internal */
export function validateDownload(source: JobOutputSource, target: string | Writable, options: DownloadOptions): DownloadPlan {
  checkOptions(options, DOWNLOAD_OPTION_KEYS, 'downloadJobOutput()');
  validateAccountId(source.accountId);
  validateVaultName(source.vaultName);
  validateId(source.jobId, 'jobId');
  if (typeof target === 'string') {
    if (target.length === 0) throw new ValidationError('target', 'The download target must be a file path or a Writable stream, not an empty string.');
  } else if (target === null || typeof target !== 'object' || typeof (target as Writable).write !== 'function') {
    throw new ValidationError('target', 'The download target must be a file path or a Writable stream.');
  }
  const chunkSize = options.chunkSize === undefined ? DEFAULT_CHUNK_SIZE : validatePartSize(options.chunkSize, 'chunkSize');
  const concurrency = options.concurrency === undefined ? undefined : validatePositiveInteger(options.concurrency, 'concurrency', DEFAULT_CONCURRENCY);
  const maxMemory = validateByteCount(options.maxMemory, 'maxMemory', 1) ?? DEFAULT_MAX_MEMORY;
  const problem = retryOptionsProblem(options.retry);
  if (problem) throw new ValidationError('retry', problem);
  if (options.stallTimeout !== undefined && (!Number.isSafeInteger(options.stallTimeout) || options.stallTimeout < 0)) {
    throw new ValidationError('stallTimeout', `stallTimeout must be a whole number of milliseconds, 0 or more, got ${JSON.stringify(options.stallTimeout)}.`);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new ValidationError('onProgress', 'onProgress must be a function.');
  }
  return { chunkSize, concurrency, maxMemory, toFile: typeof target === 'string' };
}
