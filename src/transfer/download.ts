/**
 * Downloading a job's output: ranged, concurrent, tree-hash-verified,
 * resumable.
 *
 * **Defaults.** 16 MiB chunks (a power of two MiB, so each is tree-hash
 * aligned and Glacier returns its checksum), 4 at a time. Each chunk is tried
 * up to 7 times (see {@link RetryOptions}) on transient errors, short
 * bodies and tree-hash mismatches.
 *
 * **Memory.** To a file: about `concurrency × 2 MiB` plus the runtime's own,
 * whatever the chunk size. To a Writable: about `concurrency × chunkSize`,
 * since chunks that arrive early wait for their turn.
 *
 * @module
 */
import { DescribeJobCommand } from '@aws-sdk/client-glacier';
import type { Writable } from 'node:stream';
import { ChunkedDownload } from './chunked-download.js';
import { describeFailure, jobFacts, validateDownload, type DownloadOptions, type DownloadResult, type JobOutputSource } from './download-options.js';

export {
  DEFAULT_CHUNK_SIZE,
  DOWNLOAD_OPTION_KEYS,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
  type JobOutputSource,
} from './download-options.js';

/**
 * Downloads a completed job's output to a file or a Writable.
 *
 * - The output is fetched in tree-hash-aligned ranges of `chunkSize`
 *   (16 MiB), `concurrency` (4) at a time. Each chunk is checked against the
 *   `x-amz-sha256-tree-hash` of its response, and fetched again (with
 *   back-off) on a mismatch, a short body or a transient error; after the
 *   retries a {@link TreeHashMismatchError} or {@link DownloadError} is thrown.
 *   The chunk hashes are combined and checked against the job's
 *   `SHA256TreeHash`.
 * - **File target:** each response streams into `PATH.partial` at its
 *   offset (hashed on the way, written 1 MiB at a time); `PATH.partial` is
 *   renamed to `PATH` only once every chunk and the whole have verified
 *   (and the file is fsynced, then the rename), so `PATH` never holds
 *   unverified bytes. A small record
 *   (`PATH.partial.json`) lists the chunks that verified; a later call for
 *   the same job re-hashes those chunks of the `.partial` file and fetches
 *   only what is missing or no longer matches. Memory stays about
 *   `concurrency × 2 MiB` plus a constant, whatever `chunkSize`.
 * - **Writable target:** chunks are fetched into memory, verified, and
 *   written in order, honouring backpressure; only verified bytes reach the
 *   stream, which is ended when done (unless `end: false`). There is no
 *   resume. Memory is about `concurrency × chunkSize` plus a constant.
 *
 * @throws {@link ValidationError} for bad options, before any request.
 * @throws {@link DownloadError} when the job has no output, it expired, or a chunk cannot be fetched.
 * @throws {@link TreeHashMismatchError} when bytes do not verify after all retries.
 *
 * @example
 * ```ts
 * const { treeHash } = await downloadJobOutput({ client, accountId: '-', vaultName: 'photos', jobId }, '2024.tar', {
 *   onProgress: ({ loaded, total }) => console.log(`${loaded} / ${total}`),
 * });
 * ```
 */
export async function downloadJobOutput(source: JobOutputSource, target: string | Writable, options: DownloadOptions = {}): Promise<DownloadResult> {
  const plan = validateDownload(source, target, options);
  options.signal?.throwIfAborted();
  try {
    const job = await source.client.send(
      new DescribeJobCommand({ accountId: source.accountId, vaultName: source.vaultName, jobId: source.jobId }),
      options.signal ? { abortSignal: options.signal } : {},
    );
    const facts = jobFacts(source.jobId, job);
    const run = new ChunkedDownload(source, options, facts, plan);
    return typeof target === 'string' ? await run.toFile(target) : await run.toStream(target);
  } catch (error) {
    throw describeFailure(source.jobId, error);
  }
}
