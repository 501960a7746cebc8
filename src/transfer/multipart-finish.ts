/**
 * The end of a multipart upload: completing it once every part is in place,
 * or, after a failure, aborting it (unless its parts are to be kept for a
 * resume) with an error that says which was done.
 *
 * @module
 */
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand } from '@aws-sdk/client-glacier';
import { TreeHashMismatchError, UploadError } from '../errors.js';
import type { UploadedPart } from './resume.js';
import { combineTreeHashes } from './tree-hash.js';
import type { UploadedArchive, UploadTarget } from './upload-options.js';

/** What a multipart upload holds when its parts are all sent. */
export interface SentParts {
  readonly target: UploadTarget;
  readonly uploadId: string;
  readonly partSize: number;
  /** Each part's tree hash and length, by 0-based index. */
  readonly hashes: readonly string[];
  readonly lengths: readonly number[];
  /** The parts Glacier held when a resumed upload started. */
  readonly serverParts: ReadonlyMap<number, UploadedPart>;
  readonly description: string | undefined;
  readonly signal: AbortSignal;
}

/** Checks that each of the `count` parts is in place, then completes the upload and checks Glacier's tree hash of the whole. */
export async function completeUpload(parts: SentParts, count: number): Promise<UploadedArchive> {
  const { target, uploadId, partSize, description } = parts;
  let size = 0;
  for (let i = 0; i < count; i++) {
    const length = parts.lengths[i];
    const hash = parts.hashes[i];
    if (hash === undefined || length === undefined || (i < count - 1 && length !== partSize) || length === 0) {
      throw new Error(`Internal error: part ${i + 1} of ${count} is missing or short; the upload was not completed.`);
    }
    size += length;
  }
  for (const index of parts.serverParts.keys()) {
    if (index >= count) {
      throw new UploadError(
        `Multipart upload ${uploadId} holds a part at byte ${index * partSize}, past the end of this ${size}-byte body; ` +
          'the body is not the one this upload was started with.',
        { uploadId, partsLeft: true },
      );
    }
  }
  const checksum = combineTreeHashes(parts.hashes);
  const out = await target.client.send(
    new CompleteMultipartUploadCommand({
      accountId: target.accountId,
      vaultName: target.vaultName,
      uploadId,
      archiveSize: String(size),
      checksum,
    }),
    { abortSignal: parts.signal },
  );
  if (out.checksum !== undefined && out.checksum !== checksum) {
    throw new TreeHashMismatchError(checksum, out.checksum, undefined, `Glacier's archive ${out.archiveId ?? ''}`);
  }
  return {
    archiveId: out.archiveId ?? '',
    checksum,
    size,
    location: out.location ?? '',
    ...(description !== undefined ? { archiveDescription: description } : {}),
    uploadId,
  };
}

/**
 * After a multipart upload failed with `cause`: aborts it unless asked to
 * leave its parts, and returns the error to throw, which says which was done.
 */
export async function abortAfterFailure(target: UploadTarget, uploadId: string | undefined, cause: unknown, leavePartsOnError: boolean): Promise<unknown> {
  if (uploadId === undefined) return cause;
  if (cause instanceof UploadError && cause.uploadId === uploadId) {
    if (cause.partsLeft || leavePartsOnError) return cause;
  }
  const reason = describe(cause);
  if (leavePartsOnError) {
    return new UploadError(`Upload ${uploadId} failed: ${reason} Its parts were left in place; resume with uploadArchive({ ..., uploadId }).`, {
      uploadId,
      partsLeft: true,
      cause,
    });
  }
  try {
    await target.client.send(new AbortMultipartUploadCommand({ accountId: target.accountId, vaultName: target.vaultName, uploadId }));
  } catch (abortError) {
    return new UploadError(
      `Upload ${uploadId} failed: ${reason} Aborting it failed too (${describe(abortError)}), so its parts are still stored; ` +
        'abort it with AbortMultipartUpload or resume it.',
      { uploadId, partsLeft: true, cause },
    );
  }
  return new UploadError(`Upload ${uploadId} failed and was aborted: ${reason}`, { uploadId, partsLeft: false, cause });
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.replace(/\.?$/, '.');
  return `${String(error)}.`;
}
