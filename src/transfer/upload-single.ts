/**
 * The single-request path: a body small enough for one UploadArchive
 * request, hashed once for both checksums and sent with progress.
 *
 * @module
 */
import { UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { TreeHashMismatchError } from '../errors.js';
import { withPrecomputedChecksums } from './checksum-middleware.js';
import { countingBody, ThrottledProgress } from './progress.js';
import { withRetries, withoutSdkRetries } from './retry.js';
import { uploadChecksums } from './tree-hash.js';
import type { UploadedArchive, UploadSettings } from './upload-options.js';

/** Uploads a whole body in one UploadArchive request, retried as a part is. */
export async function uploadSingle(settings: UploadSettings, bytes: Buffer): Promise<UploadedArchive> {
  const { target, description, options } = settings;
  const sums = uploadChecksums(bytes);
  const total = bytes.byteLength;
  let sent = 0;
  // An onProgress that throws stops the upload with its error.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const progress = new ThrottledProgress(
    () => options.onProgress?.({ loaded: sent, acknowledged: 0, total, partsTotal: 1, concurrency: 1 }),
    (error) => stop.abort(error),
  );
  progress.start();
  const out = await withRetries(
    async () => {
      const body = countingBody(bytes, (n) => {
        sent += n;
        progress.tick();
      });
      const command = new UploadArchiveCommand({
        accountId: target.accountId,
        vaultName: target.vaultName,
        archiveDescription: description,
        checksum: sums.treeHash,
        body,
      });
      try {
        return await target.client.send(withoutSdkRetries(withPrecomputedChecksums(command, sums)), { abortSignal: signal });
      } finally {
        body.destroy();
        sent = 0;
      }
    },
    { ...settings.retry, signal },
  )
    .catch((error: unknown) => {
      throw stop.signal.aborted ? stop.signal.reason : error;
    })
    .finally(() => progress.stop());
  if (out.checksum !== sums.treeHash) {
    throw new TreeHashMismatchError(sums.treeHash, out.checksum ?? '(none)', undefined, `Glacier's archive ${out.archiveId ?? ''}`);
  }
  options.onProgress?.({ loaded: total, acknowledged: total, total, part: 1, partsTotal: 1, concurrency: 1 });
  return {
    archiveId: out.archiveId ?? '',
    checksum: sums.treeHash,
    size: bytes.byteLength,
    location: out.location ?? '',
    ...(description !== undefined ? { archiveDescription: description } : {}),
  };
}
