/**
 * Multipart uploads: Initiate, UploadMultipartPart, ListParts,
 * ListMultipartUploads, Complete and Abort.
 *
 * A completed archive keeps its parts' blobs as its segments, so completing
 * copies no bytes.
 *
 * @module
 */
import { combineTreeHashes, isValidPartSize } from '../transfer/tree-hash.js';
import type { Backend } from './backend.js';
import { isoDate } from './clock.js';
import { invalidParameter, missingParameter, notFound } from './errors.js';
import { checkDescription, header, paginate, parseLimit, sendEmpty, sendJson, sortableNumber, type RequestContext } from './http.js';
import { newArchiveId, newUploadId } from './ids.js';
import { declaredChecksums, receiveBody } from './receive.js';
import type { UploadRecord, VaultRecord } from './state.js';

/** Parts per upload (AWS: 10,000). */
export const MAX_PARTS = 10_000;

function uploadNotFound(id: string): Error {
  return notFound(`Multipart upload not found for upload ID: ${id}`);
}

function upload(vault: VaultRecord, id: string): UploadRecord {
  const u = vault.uploads.get(id);
  if (!u) throw uploadNotFound(id);
  return u;
}

/** InitiateMultipartUpload: POST /{accountId}/vaults/{vaultName}/multipart-uploads. */
export async function initiateMultipartUpload(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const description = checkDescription(header(ctx.req, 'x-amz-archive-description'));
  const partSizeText = header(ctx.req, 'x-amz-part-size');
  if (partSizeText === undefined || partSizeText === '') throw missingParameter('Required header x-amz-part-size is missing.');
  const partSize = /^\d+$/.test(partSizeText) ? Number(partSizeText) : NaN;
  if (!isValidPartSize(partSize)) {
    throw invalidParameter(`Invalid part size: ${partSizeText}. Part size must be a megabyte (1024 KB) multiplied by a power of 2, from 1 MiB to 4 GiB.`);
  }
  const id = newUploadId();
  vault.uploads.set(id, { id, description, partSize, created: b.now(), parts: new Map() });
  await b.commitAndRelease();
  sendEmpty(ctx.res, 201, { Location: `${b.vaultPath(vault.name)}/multipart-uploads/${id}`, 'x-amz-multipart-upload-id': id });
}

/** UploadMultipartPart: PUT /{accountId}/vaults/{vaultName}/multipart-uploads/{uploadId}. Re-sending a range replaces it. */
export async function uploadMultipartPart(b: Backend, ctx: RequestContext): Promise<void> {
  const uploadId = ctx.params.uploadId!;
  const first = upload(b.vault(ctx.params), uploadId);
  const rangeText = header(ctx.req, 'content-range');
  if (rangeText === undefined || rangeText === '') throw missingParameter('Required header Content-Range is missing.');
  const m = /^bytes (\d+)-(\d+)\/\*$/.exec(rangeText.trim());
  if (!m) throw invalidParameter(`Invalid Content-Range: ${rangeText}. Expected "bytes START-END/*".`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  const size = end - start + 1;
  if (end < start || start % first.partSize !== 0 || size > first.partSize) {
    throw invalidParameter(
      `Invalid Content-Range: ${rangeText}. A part must start at a multiple of the part size (${first.partSize}) and hold at most that many bytes.`,
    );
  }
  if (start / first.partSize >= MAX_PARTS) throw invalidParameter(`Invalid Content-Range: ${rangeText}. An upload has at most ${MAX_PARTS} parts.`);
  const length = header(ctx.req, 'content-length');
  if (length !== undefined && length !== String(size)) {
    throw invalidParameter(`Content-Range and Content-Length mismatch: the range ${rangeText} holds ${size} bytes but Content-Length is ${length}.`);
  }
  const declared = declaredChecksums(ctx);
  const body = await receiveBody(b, ctx, declared, size);
  let current: UploadRecord;
  try {
    current = upload(b.vault(ctx.params), uploadId);
  } catch (err) {
    await b.blobs.remove([body.key]);
    throw err;
  }
  const replaced = current.parts.get(start);
  current.parts.set(start, { start, size, treeHash: body.treeHash, key: body.key });
  await b.commitAndRelease(replaced ? [replaced.key] : []);
  sendEmpty(ctx.res, 204, { 'x-amz-sha256-tree-hash': body.treeHash });
}

/** ListParts: GET /{accountId}/vaults/{vaultName}/multipart-uploads/{uploadId}, default limit 50. */
export async function listParts(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const u = upload(vault, ctx.params.uploadId!);
  const limit = parseLimit(ctx.query, 50);
  const parts = [...u.parts.values()].sort((x, y) => x.start - y.start);
  const { page, next } = paginate(parts, (p) => sortableNumber(p.start), limit, ctx.query.get('marker'));
  sendJson(ctx.res, 200, {
    ArchiveDescription: u.description,
    CreationDate: isoDate(u.created),
    Marker: next,
    MultipartUploadId: u.id,
    PartSizeInBytes: u.partSize,
    Parts: page.map((p) => ({ RangeInBytes: `${p.start}-${p.start + p.size - 1}`, SHA256TreeHash: p.treeHash })),
    VaultARN: b.vaultArn(vault.name),
  });
}

/** ListMultipartUploads: GET /{accountId}/vaults/{vaultName}/multipart-uploads, default limit 50. */
export async function listMultipartUploads(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const limit = parseLimit(ctx.query, 50);
  const key = (u: UploadRecord) => `${sortableNumber(u.created)}|${u.id}`;
  const uploads = [...vault.uploads.values()].sort((x, y) => (key(x) < key(y) ? -1 : 1));
  const { page, next } = paginate(uploads, key, limit, ctx.query.get('marker'));
  sendJson(ctx.res, 200, {
    Marker: next,
    UploadsList: page.map((u) => ({
      ArchiveDescription: u.description,
      CreationDate: isoDate(u.created),
      MultipartUploadId: u.id,
      PartSizeInBytes: u.partSize,
      VaultARN: b.vaultArn(vault.name),
    })),
  });
}

/** CompleteMultipartUpload: POST /{accountId}/vaults/{vaultName}/multipart-uploads/{uploadId}. */
export async function completeMultipartUpload(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const uploadId = ctx.params.uploadId!;
  const sizeText = header(ctx.req, 'x-amz-archive-size');
  if (sizeText === undefined || sizeText === '') throw missingParameter('Required header x-amz-archive-size is missing.');
  const treeHashText = header(ctx.req, 'x-amz-sha256-tree-hash');
  if (treeHashText === undefined || treeHashText === '') throw missingParameter('Required header x-amz-sha256-tree-hash is missing.');
  if (!/^\d+$/.test(sizeText)) throw invalidParameter(`Invalid x-amz-archive-size: ${sizeText}`);
  const archiveSize = Number(sizeText);
  const declaredTree = treeHashText.toLowerCase();
  const done = vault.completedUploads.get(uploadId);
  if (done && !vault.uploads.has(uploadId) && done.size === archiveSize && done.treeHash === declaredTree && vault.archives.has(done.archiveId)) {
    sendEmpty(ctx.res, 201, {
      Location: `${b.vaultPath(vault.name)}/archives/${done.archiveId}`,
      'x-amz-archive-id': done.archiveId,
      'x-amz-sha256-tree-hash': done.treeHash,
    });
    return;
  }
  const u = upload(vault, uploadId);
  const parts = [...u.parts.values()].sort((x, y) => x.start - y.start);
  let expectedStart = 0;
  for (const [i, p] of parts.entries()) {
    if (p.start !== expectedStart) {
      throw invalidParameter(`Archive is incomplete: the part at byte range ${expectedStart}-${p.start - 1} is missing.`);
    }
    if (i < parts.length - 1 && p.size !== u.partSize) {
      throw invalidParameter(`Invalid part at byte range ${p.start}-${p.start + p.size - 1}: every part but the last must be ${u.partSize} bytes.`);
    }
    expectedStart += p.size;
  }
  if (archiveSize === 0 || expectedStart !== archiveSize) {
    throw invalidParameter(
      expectedStart < archiveSize
        ? `Archive is incomplete: the part at byte range ${expectedStart}-${archiveSize - 1} is missing.`
        : `Archive size mismatch: x-amz-archive-size is ${archiveSize} but the uploaded parts hold ${expectedStart} bytes.`,
    );
  }
  const treeHash = combineTreeHashes(parts.map((p) => p.treeHash));
  if (treeHash !== declaredTree) throw invalidParameter(`Checksum mismatch: expected ${declaredTree} but calculated ${treeHash}`);
  const id = newArchiveId();
  const now = b.now();
  vault.archives.set(id, {
    id,
    description: u.description,
    created: now,
    size: archiveSize,
    treeHash,
    segments: parts.map((p) => ({ key: p.key, size: p.size })),
  });
  vault.uploads.delete(uploadId);
  vault.completedUploads.set(uploadId, { uploadId, archiveId: id, size: archiveSize, treeHash, at: now });
  b.markWrite(vault);
  await b.commitAndRelease();
  sendEmpty(ctx.res, 201, { Location: `${b.vaultPath(vault.name)}/archives/${id}`, 'x-amz-archive-id': id, 'x-amz-sha256-tree-hash': treeHash });
}

/**
 * AbortMultipartUpload: DELETE /{accountId}/vaults/{vaultName}/multipart-uploads/{uploadId}.
 * As in AWS, aborting an already-aborted upload succeeds for a while; aborting a completed one fails.
 */
export async function abortMultipartUpload(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  if (vault.abortedUploads.has(ctx.params.uploadId!)) return sendEmpty(ctx.res, 204);
  const u = upload(vault, ctx.params.uploadId!);
  vault.uploads.delete(u.id);
  vault.abortedUploads.set(u.id, b.now());
  await b.commitAndRelease([...u.parts.values()].map((p) => p.key));
  sendEmpty(ctx.res, 204);
}
