/**
 * The MultipartUpload resource: an upload in progress, made of parts.
 *
 * @module
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  UploadMultipartPartCommand,
  type GlacierClient,
  type PartListElement,
  type UploadListElement,
  type UploadMultipartPartCommandInput,
} from '@aws-sdk/client-glacier';
import { ResourceCollection, type ListFilter } from '../collections/collection.js';
import { partsSource } from '../collections/sources.js';
import { ValidationError } from '../errors.js';
import { checkRangeBounds } from '../validation.js';
import { Archive, type ArchiveData } from './archive.js';
import { Resource, defineAccessors, makeResource, hydrate, responseData, responseId } from './base.js';
import { MULTIPART_UPLOAD_MODEL } from './model.js';
import { checkOptions, sendOptions, type InclusiveRange, type RequestOptions } from './options.js';
import type { Vault } from './vault.js';

/** The identifiers of a {@link MultipartUpload}. */
export interface MultipartUploadIdentifiers {
  /** `-` or a 12-digit account id. */
  accountId: string;
  /** The vault's name. */
  vaultName: string;
  /** The multipart upload id. */
  id: string;
}

/** Options of {@link MultipartUpload.complete}. */
export interface CompleteOptions extends RequestOptions {
  /** The archive's total length in bytes. */
  archiveSize: number | string;
  /** The SHA-256 tree hash of the whole archive (see `combineTreeHashes` for building it from part hashes). */
  checksum: string;
}

/** Options of {@link MultipartUpload.uploadPart}. */
export interface UploadPartOptions extends RequestOptions {
  /** The part's bytes, inclusive: `"bytes 0-1048575/*"` or `{ start, end }`. */
  range: string | InclusiveRange;
  /** The part's content. The SDK hashes strings and byte arrays (and file streams with a path). */
  body: NonNullable<UploadMultipartPartCommandInput['body']>;
  /** The part's tree hash, if already computed. */
  checksum?: string;
}

/** What {@link MultipartUpload.uploadPart} returns. */
export interface UploadPartResult {
  /** Glacier's SHA-256 tree hash of the part. */
  checksum: string | undefined;
}

const TREE_HASH = /^[0-9a-f]{64}$/;

function checkChecksum(checksum: unknown): string {
  if (typeof checksum !== 'string' || !TREE_HASH.test(checksum)) {
    throw new ValidationError('checksum', `checksum must be a SHA-256 tree hash of 64 lower-case hex digits, got ${JSON.stringify(checksum)}.`);
  }
  return checksum;
}

function partRange(range: UploadPartOptions['range']): { header: string; length: number } {
  let start: number;
  let end: number;
  if (typeof range === 'string') {
    const m = /^bytes (\d+)-(\d+)\/\*$/.exec(range.trim());
    if (!m) throw new ValidationError('range', `Invalid part range ${JSON.stringify(range)}: write it as "bytes start-end/*", inclusive.`);
    start = Number(m[1]);
    end = Number(m[2]);
  } else {
    ({ start, end } = checkRangeBounds(range, 'range', 'part range', 'bytes start-end/*'));
  }
  if (end < start) throw new ValidationError('range', `Invalid part range ${start}-${end}: the end must not come before the start.`);
  return { header: `bytes ${start}-${end}/*`, length: end - start + 1 };
}

function bodyLength(body: unknown): number | undefined {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (ArrayBuffer.isView(body)) return body.byteLength;
  return undefined;
}

/**
 * A multipart upload in progress. Glacier has no call that describes one
 * upload: its attributes come from `vault.multipartUploads` or from listing
 * its parts with {@link MultipartUpload.parts}. For whole uploads (with
 * concurrency, retries and resume) use `vault.uploadArchive()`.
 */
export class MultipartUpload extends Resource<MultipartUploadIdentifiers, UploadListElement> {
  /** The account id (`-` for the credentials' own account). */
  declare readonly accountId: string;
  /** The vault's name. */
  declare readonly vaultName: string;
  /** The multipart upload id. */
  declare readonly id: string;
  /** The multipart upload id (boto3's `multipart_upload_id`, the same as {@link MultipartUpload.id}). */
  declare readonly multipartUploadId: string;
  /** The description the upload was initiated with. */
  declare readonly archiveDescription: string | undefined;
  /** When the upload was initiated (ISO-8601 UTC). */
  declare readonly creationDate: string | undefined;
  /** The part size in bytes (every part but the last has exactly this size). */
  declare readonly partSizeInBytes: number | undefined;
  /** The vault's ARN. */
  declare readonly vaultArn: string | undefined;

  /** Makes a MultipartUpload resource; no request is made. */
  constructor(client: GlacierClient, accountId: string, vaultName: string, id: string) {
    super(MULTIPART_UPLOAD_MODEL, client, [accountId, vaultName, id]);
  }

  /** Aborts the upload (AbortMultipartUpload); its parts are discarded. */
  async abort(options?: RequestOptions): Promise<void> {
    await this.request((c) =>
      c.send(
        new AbortMultipartUploadCommand({ accountId: this.accountId, vaultName: this.vaultName, uploadId: this.id }),
        sendOptions(options),
      ),
    );
    this.clearData();
  }

  /**
   * Completes the upload (CompleteMultipartUpload) and returns the stored
   * Archive, carrying its checksum, size and location (boto3 returns a dict).
   */
  async complete(options: CompleteOptions): Promise<Archive> {
    const opts = checkOptions(options, ['archiveSize', 'checksum', 'signal'], 'multipartUpload.complete()');
    const size = typeof opts.archiveSize === 'string' && /^\d+$/.test(opts.archiveSize) ? Number(opts.archiveSize) : opts.archiveSize;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
      throw new ValidationError('archiveSize', `archiveSize must be the archive's length in bytes (a positive integer), got ${JSON.stringify(opts.archiveSize)}.`);
    }
    const checksum = checkChecksum(opts.checksum);
    const description = this.loaded?.ArchiveDescription;
    const output = await this.request((c) =>
      c.send(
        new CompleteMultipartUploadCommand({
          accountId: this.accountId,
          vaultName: this.vaultName,
          uploadId: this.id,
          archiveSize: String(size),
          checksum,
        }),
        sendOptions(opts),
      ),
    );
    this.clearData();
    const archiveId = responseId(output.archiveId, 'CompleteMultipartUpload', 'archiveId');
    const data: ArchiveData = { ArchiveId: archiveId, Size: size, SHA256TreeHash: output.checksum ?? checksum };
    if (output.location !== undefined) data.Location = output.location;
    if (description !== undefined) data.ArchiveDescription = description;
    return hydrate(new Archive(this.client, this.accountId, this.vaultName, archiveId), data);
  }

  /**
   * The upload's parts (ListParts), paginated (boto3 makes one unpaginated
   * call). Listing also fills this upload's attributes.
   */
  parts(): ResourceCollection<PartListElement, ListFilter> {
    const name = `${this.toString()}.parts()`;
    return new ResourceCollection(
      partsSource(this.client, { accountId: this.accountId, vaultName: this.vaultName, uploadId: this.id }, name, (page) => {
        const { Parts: _, Marker: __, ...upload } = responseData(page);
        this.setData(upload);
      }),
    );
  }

  /**
   * Uploads one part (UploadMultipartPart) and returns Glacier's tree hash of
   * it. Parts may be sent in any order; sending a range again replaces it.
   */
  async uploadPart(options: UploadPartOptions): Promise<UploadPartResult> {
    const opts = checkOptions(options, ['range', 'body', 'checksum', 'signal'], 'multipartUpload.uploadPart()');
    const range = partRange(opts.range);
    const length = bodyLength(opts.body);
    if (length !== undefined && length !== range.length) {
      throw new ValidationError('body', `The body is ${length} bytes long, but range ${range.header} covers ${range.length}.`);
    }
    const output = await this.request((c) =>
      c.send(
        new UploadMultipartPartCommand({
          accountId: this.accountId,
          vaultName: this.vaultName,
          uploadId: this.id,
          range: range.header,
          body: opts.body,
          ...(opts.checksum === undefined ? {} : { checksum: checkChecksum(opts.checksum) }),
        }),
        sendOptions(opts),
      ),
    );
    return { checksum: output.checksum };
  }

  /** The upload's vault; no request is made. */
  Vault(): Vault {
    return makeResource<Vault>('Vault', this.client, this.accountId, this.vaultName);
  }
}

defineAccessors(MultipartUpload, MULTIPART_UPLOAD_MODEL);
