import { DescribeJobCommand, ResourceNotFoundException } from '@aws-sdk/client-glacier';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JOB_MAX_POLL_INTERVAL, Job, JobFailedError, ValidationError, WaitTimeoutError, resource } from '../../src/index.js';
import { jobPollDelay } from '../../src/waiters/job-completion.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { mockedGlacier, serviceError } from '../resources/mock-client.js';

const inProgress = { JobId: 'J1', StatusCode: 'InProgress' as const, Completed: false };

describe('job.waitUntilCompleted (injected client)', () => {
  const { client, mock } = mockedGlacier();
  const job = resource({ client }).Job('-', 'photos', 'J1');
  beforeEach(() => mock.reset());

  it('polls with a growing interval and resolves with the loaded job on Succeeded', async () => {
    mock
      .on(DescribeJobCommand)
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolvesOnce(inProgress)
      .resolves({ JobId: 'J1', StatusCode: 'Succeeded', Completed: true, ArchiveSizeInBytes: 5 });
    const times: number[] = [];
    const seen: Job[] = [];
    const done = await job.waitUntilCompleted({
      pollInterval: 20,
      maxPollInterval: 60,
      onPoll: (j) => {
        times.push(Date.now());
        seen.push(j);
      },
    });
    expect(done).toBe(job);
    expect(job.statusCode).toBe('Succeeded');
    expect(job.archiveSizeInBytes).toBe(5);
    expect(seen).toHaveLength(4);
    expect(seen.every((j) => j === job)).toBe(true);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(58);
    expect(gaps[2]).toBeLessThan(2000);
  });

  it('throws JobFailedError carrying the StatusMessage on Failed', async () => {
    mock.on(DescribeJobCommand).resolvesOnce(inProgress).resolves({ JobId: 'J1', StatusCode: 'Failed', StatusMessage: 'Archive is corrupt' });
    const error = await job.waitUntilCompleted({ pollInterval: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).statusMessage).toBe('Archive is corrupt');
    expect((error as JobFailedError).jobId).toBe('J1');
    expect((error as Error).message).toContain('Archive is corrupt');
  });

  it('throws WaitTimeoutError when maxWaitTime passes first', async () => {
    mock.on(DescribeJobCommand).resolves(inProgress);
    const started = Date.now();
    const error = await job.waitUntilCompleted({ pollInterval: 10, maxWaitTime: 60 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toMatch(/still InProgress/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('an abort signal cancels the wait between polls', async () => {
    mock.on(DescribeJobCommand).resolves(inProgress);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop waiting')), 30);
    const started = Date.now();
    await expect(job.waitUntilCompleted({ pollInterval: 10_000, signal: controller.signal })).rejects.toThrow('stop waiting');
    expect(Date.now() - started).toBeLessThan(5000);
    expect((mock.commandCalls(DescribeJobCommand)[0]?.args as unknown[] | undefined)?.[1]).toMatchObject({ abortSignal: controller.signal });
  });

  it('explains an expired job id', async () => {
    mock.on(DescribeJobCommand).rejects(serviceError(ResourceNotFoundException, 'The job ID was not found: J1', 404));
    const error = await job.waitUntilCompleted().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as Error).message).toMatch(/^glacier\.Job\(.*\): Glacier keeps a job for at least 24 hours .* \(Glacier said: The job ID was not found: J1\)$/);
  });

  it('validates its options', async () => {
    await expect(job.waitUntilCompleted({ pollInterval: -1 })).rejects.toBeInstanceOf(ValidationError);
    await expect(job.waitUntilCompleted({ interval: 5 } as object)).rejects.toThrow(/no option 'interval'/);
    expect(mock.calls()).toHaveLength(0);
  });
});

describe('the poll schedule', () => {
  const schedule = (first: number, max: number, jitter: boolean, random: () => number) =>
    Array.from({ length: 14 }, (_, poll) => jobPollDelay(poll, first, max, jitter, random));

  it('by default starts at 1 s and doubles up to 15 min, each wait stretched by at most a quarter', () => {
    const plain = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900].map((s) => s * 1000);
    expect(schedule(1000, JOB_MAX_POLL_INTERVAL, true, () => 0)).toEqual(plain);
    const stretched = schedule(1000, JOB_MAX_POLL_INTERVAL, true, () => 0.999);
    stretched.forEach((delay, i) => {
      if (plain[i]! < JOB_MAX_POLL_INTERVAL) expect(delay).toBeGreaterThan(plain[i]!);
      expect(delay).toBeLessThanOrEqual(Math.min(plain[i]! * 1.25, JOB_MAX_POLL_INTERVAL));
    });
    // For a 4-hour job, the short start costs a handful of DescribeJob calls more than starting at 30 s did.
    const pollsWithin = (delays: (poll: number) => number, ms: number) => {
      let polls = 1;
      for (let t = delays(0); t < ms; t += delays(polls)) polls++;
      return polls;
    };
    const now = pollsWithin((poll) => jobPollDelay(poll, 1000, JOB_MAX_POLL_INTERVAL, false), 4 * 3_600_000);
    const before = pollsWithin((poll) => jobPollDelay(poll, 30_000, JOB_MAX_POLL_INTERVAL, false), 4 * 3_600_000);
    expect(now - before).toBeGreaterThan(0);
    expect(now - before).toBeLessThanOrEqual(6);
  });

  it('a pollInterval fixes it: that interval, doubling exactly, up to maxPollInterval', () => {
    expect(schedule(20, 60, false, () => 0.999).slice(0, 4)).toEqual([20, 40, 60, 60]);
    expect(schedule(0, 100, false, Math.random).slice(0, 4)).toEqual([0, 1, 2, 4]);
    expect(schedule(500, 100, false, Math.random).slice(0, 2)).toEqual([500, 500]);
  });
});

describe('job.waitUntilCompleted with default settings, against a local endpoint', () => {
  let ep: TestEndpoint;
  beforeAll(async () => {
    ep = await startTestEndpoint({ jobDelay: 1 });
  });
  afterAll(() => ep?.close());

  it('sees a job that takes 1 s done in under 3 s', async () => {
    const vault = await resource({ client: ep.client }).createVault({ vaultName: 'quick-job' });
    const archive = await vault.uploadArchive({ body: 'x' });
    const job = await archive.initiateArchiveRetrieval();
    const started = Date.now();
    const polls: string[] = [];
    await job.waitUntilCompleted({ onPoll: (j) => polls.push(String(j.statusCode)) });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(polls.at(-1)).toBe('Succeeded');
    expect(polls.length).toBeLessThanOrEqual(3);
  });
});
