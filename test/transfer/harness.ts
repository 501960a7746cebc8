/**
 * Shared set-up of the transfer tests: an endpoint, a vault, a client that
 * records which commands it sent, and helpers to inspect what is stored.
 */
import {
  CreateVaultCommand,
  DescribeJobCommand,
  GlacierClient,
  InitiateJobCommand,
  ListMultipartUploadsCommand,
} from '@aws-sdk/client-glacier';
import { expect } from 'vitest';
import type { LocalGlacierOptions } from '../../src/local/index.js';
import type { DownloadProgress } from '../../src/transfer/download.js';
import type { UploadProgress } from '../../src/transfer/upload.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

export interface Harness {
  env: TestEndpoint;
  /** A client whose sent command names are recorded in {@link Harness.sent}. */
  client: GlacierClient;
  /** Command names sent by {@link Harness.client}, one per attempt. */
  sent: string[];
  /** Times the client's own body checksum generator ran (the engine should make it 0). */
  sdkHashCalls: { n: number };
  target: { client: GlacierClient; accountId: string; vaultName: string };
  count(commandName: string): number;
  openUploads(): Promise<number>;
  /** Starts an archive retrieval and waits until it completes; returns the job id. */
  retrieve(archiveId: string, range?: string): Promise<string>;
  /** Starts an inventory retrieval and waits until it completes; returns the job id. */
  inventoryJob(format: 'JSON' | 'CSV'): Promise<string>;
  close(): Promise<void>;
}

export async function startHarness(options: LocalGlacierOptions = {}, vaultName = 'transfer'): Promise<Harness> {
  const env = await startTestEndpoint(options);
  const sent: string[] = [];
  const sdkHashCalls = { n: 0 };
  const client = env.newClient();
  // The checksum middleware reads the generator from the client's resolved config at call time.
  const config = client.config as unknown as { bodyChecksumGenerator: (...args: unknown[]) => Promise<unknown> };
  const original = config.bodyChecksumGenerator;
  config.bodyChecksumGenerator = (...args) => {
    sdkHashCalls.n++;
    return original(...args);
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'recordSentCommands' },
  );
  await client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  const target = { client, accountId: '-', vaultName };
  const waitJob = async (jobId: string) => {
    for (let i = 0; i < 200; i++) {
      const d = await env.client.send(new DescribeJobCommand({ accountId: '-', vaultName, jobId }));
      if (d.Completed) return jobId;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`job ${jobId} did not complete`);
  };
  return {
    env,
    client,
    sent,
    sdkHashCalls,
    target,
    count: (name) => sent.filter((n) => n === name).length,
    async openUploads() {
      const out = await env.client.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName }));
      return out.UploadsList?.length ?? 0;
    },
    async retrieve(archiveId, range) {
      const job = await env.client.send(
        new InitiateJobCommand({
          accountId: '-',
          vaultName,
          jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, Tier: 'Expedited', ...(range ? { RetrievalByteRange: range } : {}) },
        }),
      );
      return waitJob(job.jobId!);
    },
    async inventoryJob(format) {
      const job = await env.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'inventory-retrieval', Format: format } }));
      return waitJob(job.jobId!);
    },
    close: () => env.close(),
  };
}

/** Deterministic pseudo-random bytes (fast, seeded) for test archives. */
export function testBytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  for (let i = size - (size % 4); i < size; i++) out[i] = i & 0xff;
  return out;
}

/** The events of an upload that report an acknowledged part (the others come while bytes are sent). */
export function partEvents(events: readonly UploadProgress[]): UploadProgress[] {
  return events.filter((e) => e.part !== undefined);
}

/**
 * Checks what uploads and downloads share: `loaded` never below `done(e)`
 * (bytes acknowledged or verified) nor above the total, and, without failed
 * requests, never going down; the last event exact.
 */
function checkTransferProgress<E extends { loaded: number }>(events: readonly E[], total: number, done: (e: E) => number, failures: boolean): void {
  for (const e of events) {
    expect(e.loaded).toBeGreaterThanOrEqual(done(e));
    expect(e.loaded).toBeLessThanOrEqual(total);
  }
  if (!failures) for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThanOrEqual(events[i - 1]!.loaded);
  expect(events.at(-1)).toMatchObject({ loaded: total, total });
  expect(done(events.at(-1)!)).toBe(total);
}

/** Checks an upload's progress: one event per acknowledged part, with `acknowledged` growing; see {@link checkTransferProgress}. */
export function checkUploadProgress(events: readonly UploadProgress[], total: number, parts: number, failures: boolean): void {
  const acknowledgements = partEvents(events);
  expect(acknowledgements).toHaveLength(parts);
  for (let i = 1; i < acknowledgements.length; i++) expect(acknowledgements[i]!.acknowledged).toBeGreaterThan(acknowledgements[i - 1]!.acknowledged);
  expect(new Set(acknowledgements.map((e) => e.part)).size).toBe(parts);
  checkTransferProgress(events, total, (e) => e.acknowledged, failures);
}

/**
 * Checks a download's progress: `completed` takes `steps` values above 0 (one per chunk, plus the
 * first event of a resume), and may start at 0 when bytes arrive before the first chunk is done
 * (as on a slow or busy machine); see {@link checkTransferProgress}.
 */
export function checkDownloadProgress(events: readonly DownloadProgress[], total: number, steps: number, failures: boolean): void {
  expect(new Set(events.map((e) => e.completed).filter((completed) => completed > 0)).size).toBe(steps);
  checkTransferProgress(events, total, (e) => e.completed, failures);
}
