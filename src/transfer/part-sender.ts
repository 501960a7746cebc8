/**
 * The part sender: one UploadMultipartPart request per attempt, with the
 * checksums computed when the part was read (the SDK hashes nothing again),
 * the bytes the connection takes counted for progress, retried on
 * transient errors, and confirmed by the tree hash Glacier returns.
 *
 * @module
 */
import { UploadMultipartPartCommand } from '@aws-sdk/client-glacier';
import type { Readable } from 'node:stream';
import { TreeHashMismatchError } from '../errors.js';
import { withPrecomputedChecksums } from './checksum-middleware.js';
import { partContentRange } from './part-plan.js';
import { isBackOffSignal } from './concurrency.js';
import { countingBody } from './progress.js';
import { withRetries, withoutSdkRetries, type RetryOptions } from './retry.js';
import type { UploadChecksums } from './tree-hash.js';
import type { UploadTarget } from './upload-options.js';

/** One part to send. */
export interface PartRequest {
  readonly target: UploadTarget;
  readonly uploadId: string;
  /** 0-based. */
  readonly index: number;
  readonly partSize: number;
  readonly length: number;
  readonly sums: UploadChecksums;
  /** A fresh body for each attempt. */
  readonly body: () => Buffer | Readable;
  readonly retry: RetryOptions;
  /** Cancels the attempt in flight and the retries. */
  readonly signal: AbortSignal;
  /**
   * Called with the bytes the connection takes as it takes them, and, when
   * an attempt ends (acknowledged or failed), with minus what it took.
   */
  readonly onBytes: (n: number) => void;
  /** Called when an attempt failed with throttling, a request timeout or a server error. */
  readonly onBackOff: () => void;
  /** Called when the part is acknowledged, with when its successful attempt started (`performance.now()`). */
  readonly onDone: (startedAt: number) => void;
}

/** Sends a part, retried; resolves once Glacier has acknowledged it with the expected tree hash. */
export async function sendPart(part: PartRequest): Promise<void> {
  const { target, uploadId, index, partSize, length, sums, signal } = part;
  const range = partContentRange(index, partSize, length);
  await withRetries(
    async () => {
      const startedAt = performance.now();
      let sent = 0;
      const body = countingBody(part.body(), (n) => {
        sent += n;
        part.onBytes(n);
      });
      const command = new UploadMultipartPartCommand({
        accountId: target.accountId,
        vaultName: target.vaultName,
        uploadId,
        range,
        checksum: sums.treeHash,
        body,
      });
      const out = await target.client.send(withoutSdkRetries(withPrecomputedChecksums(command, sums)), { abortSignal: signal }).finally(() => {
        body.destroy();
        // Acknowledged, these bytes are counted by the caller; failed, they will be sent again.
        part.onBytes(-sent);
      });
      if (out.checksum !== undefined && out.checksum !== sums.treeHash) {
        const start = index * partSize;
        throw new TreeHashMismatchError(sums.treeHash, out.checksum, { start, end: start + length - 1 }, "Glacier's copy of the part");
      }
      part.onDone(startedAt);
    },
    {
      ...part.retry,
      signal,
      onFailedAttempt: (failure) => {
        if (isBackOffSignal(failure.error)) part.onBackOff();
        part.retry.onFailedAttempt?.(failure);
      },
    },
  );
}
