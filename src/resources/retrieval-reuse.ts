/**
 * Finding a retrieval job that already covers what is asked for, so that
 * `archive.download()` run again (after a failed or interrupted download)
 * reuses the job Glacier prepared instead of paying for, and waiting hours
 * on, a new one.
 *
 * @module
 */
import type { JobParameters } from '@aws-sdk/client-glacier';
import type { Job } from './job.js';

function wholeArchive(range: string | undefined, size: number | undefined): boolean {
  return range === undefined || (size !== undefined && range === `0-${size - 1}`);
}

/** True when `job` retrieves the bytes `parameters` asks for, of the same archive. */
function coversRequest(job: Job, archiveId: string, parameters: JobParameters): boolean {
  if (job.action !== 'ArchiveRetrieval' || job.archiveId !== archiveId) return false;
  const wanted = parameters.RetrievalByteRange;
  const had = job.retrievalByteRange ?? undefined;
  const size = job.archiveSizeInBytes;
  return wanted === had || (wholeArchive(wanted, size) && wholeArchive(had, size));
}

/**
 * The best existing job among the pages of `jobs` for the retrieval `parameters` of
 * `archiveId`: a Succeeded one (newest first), else one still in progress
 * at the requested tier (or any tier when none was requested). Failed jobs
 * are never reused.
 */
export async function findReusableRetrieval(
  jobs: AsyncIterable<readonly Job[]>,
  archiveId: string,
  parameters: JobParameters,
): Promise<Job | undefined> {
  let succeeded: Job | undefined;
  let running: Job | undefined;
  const newer = (a: Job, b: Job | undefined): boolean => b === undefined || (a.creationDate ?? '') > (b.creationDate ?? '');
  for await (const page of jobs) {
    for (const job of page) {
      if (!coversRequest(job, archiveId, parameters)) continue;
      if (job.statusCode === 'Succeeded' && newer(job, succeeded)) succeeded = job;
      const sameTier = parameters.Tier === undefined || parameters.Tier === job.tier;
      if (job.statusCode === 'InProgress' && sameTier && newer(job, running)) running = job;
    }
  }
  return succeeded ?? running;
}
