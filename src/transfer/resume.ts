/**
 * What Glacier already holds of a multipart upload, for resuming it.
 *
 * @module
 */
import { ListPartsCommand, type GlacierClient } from '@aws-sdk/client-glacier';
import { UploadError } from '../errors.js';

/** One part Glacier holds: its tree hash and length. */
export interface UploadedPart {
  /** The part's tree hash, as Glacier computed it. */
  readonly treeHash: string;
  /** The part's length in bytes. */
  readonly size: number;
}

/** The state of an in-progress multipart upload. */
export interface UploadState {
  /** The upload's part size, fixed when it was initiated. */
  readonly partSize: number;
  /** The description given when the upload was initiated. */
  readonly archiveDescription: string | undefined;
  /** Parts already uploaded, by 0-based part index. */
  readonly parts: ReadonlyMap<number, UploadedPart>;
}

/**
 * Lists every part of a multipart upload, following ListParts' `Marker`
 * through all pages.
 *
 * @throws {@link UploadError} (with `partsLeft: true`) when a part's range
 * does not sit on a part boundary, which no upload made by Glacier's rules has.
 */
export async function listUploadState(
  target: { client: GlacierClient; accountId: string; vaultName: string },
  uploadId: string,
  signal?: AbortSignal,
): Promise<UploadState> {
  const parts = new Map<number, UploadedPart>();
  let partSize = 0;
  let archiveDescription: string | undefined;
  let marker: string | undefined;
  do {
    const page = await target.client.send(
      new ListPartsCommand({ accountId: target.accountId, vaultName: target.vaultName, uploadId, limit: 1000, ...(marker ? { marker } : {}) }),
      signal ? { abortSignal: signal } : {},
    );
    partSize = Number(page.PartSizeInBytes ?? 0);
    archiveDescription = page.ArchiveDescription ?? undefined;
    for (const part of page.Parts ?? []) {
      const m = /^(\d+)-(\d+)$/.exec(part.RangeInBytes ?? '');
      const start = Number(m?.[1]);
      const end = Number(m?.[2]);
      if (!m || !part.SHA256TreeHash || partSize <= 0 || start % partSize !== 0 || end < start) {
        throw new UploadError(`Multipart upload ${uploadId} lists a part with range ${JSON.stringify(part.RangeInBytes)}, which is not on a ${partSize}-byte part boundary.`, {
          uploadId,
          partsLeft: true,
        });
      }
      parts.set(start / partSize, { treeHash: part.SHA256TreeHash, size: end + 1 - start });
    }
    marker = page.Marker ?? undefined;
  } while (marker);
  return { partSize, archiveDescription, parts };
}
