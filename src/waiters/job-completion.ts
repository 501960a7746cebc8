/**
 * Waiting for a retrieval or inventory job to finish: DescribeJob polled with
 * a growing interval until the job is `Succeeded` (resolve) or `Failed`
 * ({@link JobFailedError}), within a time limit ({@link WaitTimeoutError}).
 *
 * Polling starts after 1 second and the interval doubles (stretched by up to
 * a quarter at random, so that many waiters spread out) up to 15 minutes: a
 * job on a local endpoint is seen done about a second after it is, and one of
 * Glacier's, which take minutes (Expedited) to hours (Standard 3–5 h, Bulk
 * 5–12 h), costs only a few more DescribeJob calls (which are free) than
 * polling every 15 minutes. A `pollInterval` fixes the schedule instead: that
 * first interval, doubling exactly, up to `maxPollInterval`.
 *
 * @module
 */
import { JobFailedError, ValidationError, WaitTimeoutError } from '../errors.js';
import { sleep } from '../transfer/retry.js';

/** Default first interval between polls: 1 second; each later one doubles, with jitter, up to {@link JOB_MAX_POLL_INTERVAL}. */
export const JOB_POLL_INTERVAL = 1_000;
/** Default longest interval between polls: 15 minutes. */
export const JOB_MAX_POLL_INTERVAL = 15 * 60_000;
/** Default time limit: 48 hours (Bulk retrievals take up to 12 hours). */
export const JOB_MAX_WAIT_TIME = 48 * 3_600_000;

/**
 * Options of `job.waitUntilCompleted()`.
 *
 * @typeParam J - the job type `onPoll` receives
 */
export interface JobWaitOptions<J = PolledJob> {
  /**
   * Milliseconds before the second poll; each later interval doubles exactly,
   * up to `maxPollInterval` (set both to the same value for a fixed interval).
   * By default the first interval is 1 000 and each one is stretched by up to
   * 25 % at random.
   */
  pollInterval?: number;
  /** The longest interval between polls, in milliseconds. Default 900 000 (15 minutes). */
  maxPollInterval?: number;
  /** Give up after this many milliseconds with a {@link WaitTimeoutError}. Default 48 hours. */
  maxWaitTime?: number;
  /** Cancels the wait; it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every DescribeJob with the freshly loaded job. */
  onPoll?: (job: J) => void;
}

/** What the waiter needs of a job: a load and the status it reads. */
export interface PolledJob {
  /** The job id. */
  readonly id: string;
  /** The job's status after the last load. */
  readonly statusCode: string | undefined;
  /** Glacier's explanation of the status. */
  readonly statusMessage: string | undefined;
  /** Runs DescribeJob. */
  load(options?: { signal?: AbortSignal }): Promise<unknown>;
}

function checkMs(value: unknown, parameter: string): number {
  if (typeof value !== 'number' || !(value >= 0) || Number.isNaN(value)) {
    throw new ValidationError(parameter, `${parameter} must be a number of milliseconds (0 or more), got ${JSON.stringify(value)}.`);
  }
  return value;
}

/**
 * Polls the job until it completes.
 *
 * @throws JobFailedError when the job ends `Failed` (with Glacier's StatusMessage)
 * @throws WaitTimeoutError when `maxWaitTime` passes first
 */
export async function waitForJobCompletion<J extends PolledJob>(
  job: J,
  options: JobWaitOptions<J> = {},
): Promise<J> {
  const first = checkMs(options.pollInterval ?? JOB_POLL_INTERVAL, 'pollInterval');
  const maxInterval = checkMs(options.maxPollInterval ?? JOB_MAX_POLL_INTERVAL, 'maxPollInterval');
  const jitter = options.pollInterval === undefined;
  const maxWaitTime = checkMs(options.maxWaitTime ?? JOB_MAX_WAIT_TIME, 'maxWaitTime');
  const { signal, onPoll } = options;
  const started = Date.now();
  const deadline = started + maxWaitTime;
  let polls = 0;
  for (;;) {
    signal?.throwIfAborted();
    await job.load(signal ? { signal } : {});
    polls += 1;
    onPoll?.(job);
    if (job.statusCode === 'Succeeded') return job;
    if (job.statusCode === 'Failed') throw new JobFailedError(job.id, job.statusMessage);
    const now = Date.now();
    if (now >= deadline) {
      throw new WaitTimeoutError(
        `${String(job)} was still ${job.statusCode ?? 'unfinished'} after ${formatElapsed(now - started)} ` +
          `(${polls} DescribeJob call${polls === 1 ? '' : 's'}); raise maxWaitTime to wait longer.`,
      );
    }
    await sleep(Math.min(jobPollDelay(polls - 1, first, maxInterval, jitter), deadline - now), signal);
  }
}

/** Share of an interval that jitter may add. */
const JITTER = 0.25;

/**
 * The wait after poll number `poll` (0-based): `first`, doubled `poll` times
 * (at least 1 ms from the second wait on), at most `max` (or `first`, if
 * larger); with `jitter`, stretched by up to 25 % (`random` gives a number in
 * [0, 1)), still within that ceiling.
 *
 * @internal
 */
export function jobPollDelay(poll: number, first: number, max: number, jitter: boolean, random: () => number = Math.random): number {
  const ceiling = Math.max(max, first);
  let delay = first;
  for (let i = 0; i < poll && delay < ceiling; i++) delay = Math.min(Math.max(delay * 2, 1), ceiling);
  return jitter ? Math.min(delay * (1 + JITTER * random()), ceiling) : delay;
}

/** An elapsed time for a message: milliseconds under a second, then seconds, minutes or hours. */
function formatElapsed(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 360_000) / 10} h`;
}
