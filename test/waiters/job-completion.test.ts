import { DescribeJobCommand, ResourceNotFoundException } from '@aws-sdk/client-glacier';
import { beforeEach, describe, expect, it } from 'vitest';
import { Job, JobFailedError, ValidationError, WaitTimeoutError, resource } from '../../src/index.js';
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
