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
import { checkDescription, encodeMarker, header, listMarker, parseLimit, sendEmpty, sendJson, sortableNumber, type RequestContext } from './http.js';
import { newArchiveId, newUploadId } from './ids.js';
import { declaredChecksums, receiveBody } from './receive.js';
import { COMPLETED_UPLOAD_TTL_MS, IDLE_UPLOAD_TTL_MS } from './backend.js';
import type { UploadRecord, VaultRecord } from './state.js';

/** Parts per upload (AWS: 10,000). */
export const MAX_PARTS = 10_000;

function uploadNotFound(id: string): Error {
  return notFound(`Multipart upload not found for upload ID: ${id}`);
}

/** The in-progress upload; 404 when there is none, or it was idle for a day. */
function upload(b: Backend, vault: VaultRecord, id: string): UploadRecord {
  const u = b.store.upload(vault.name, id);
  if (!u || b.now() >= u.lastActivity + IDLE_UPLOAD_TTL_MS) throw uploadNotFound(id);
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
  const now = b.now();
  b.write(ctx, () => b.store.insertUpload(vault.name, { id, description, partSize, created: now, lastActivity: now }));
  sendEmpty(ctx.res, 201, { Location: `${b.vaultPath(vault.name)}/multipart-uploads/${id}`, 'x-amz-multipart-upload-id': id });
}

/** UploadMultipartPart: PUT /{accountId}/vaults/{vaultName}/multipart-uploads/{uploadId}. Re-sending a range replaces it. */
export async function uploadMultipartPart(b: Backend, ctx: RequestContext): Promise<void> {
  const uploadId = ctx.params.uploadId!;
  const first = upload(b, b.vault(ctx.params), uploadId);
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
  let released: string[];
  try {
    // The upload may have been completed or aborted while the body arrived; a failed write leaves nothing.
    const vault = b.vault(ctx.params);
    upload(b, vault, uploadId);
    released = b.write(ctx, () => b.store.putPart(vault.name, uploadId, { start, size, treeHash: body.treeHash, key: body.key }, b.now()));
  } catch (err) {
    await b.blobs.remove([body.key]);
    throw err;
  }
  await b.release(released);
  sendEmpty(ctx.res, 204, { 'x-amz-sha256-tree-hash': body.treeHash });
}

/** ListParts: GET /{accountId}/vaults/{vaultName}/multipart-uploads/{uploadId}, default limit 50. */
export async function listParts(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const u = upload(b, vault, ctx.params.uploadId!);
  const limit = parseLimit(ctx.query, 50);
  const marker = ctx.query.get('marker');
  let from = 0;
  if (marker !== null) {
    const text = /^[A-Za-z0-9_-]+$/.test(marker) ? Buffer.from(marker, 'base64url').toString('utf8') : '';
    if (!/^\d{16}$/.test(text)) throw invalidParameter(`Invalid marker: ${marker}`);
    from = Number(text);
  }
  const parts = b.store.parts(vault.name, u.id, from, limit + 1);
  const page = parts.slice(0, limit);
  const nextPart = parts[limit];
  const next = nextPart === undefined ? null : encodeMarker(sortableNumber(nextPart.start));
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
  const uploads = b.store.uploadPage(vault.name, listMarker(ctx.query.get('marker')), b.now() - IDLE_UPLOAD_TTL_MS, limit + 1);
  const page = uploads.slice(0, limit);
  const nextUpload = uploads[limit];
  const next = nextUpload === undefined ? null : encodeMarker(`${sortableNumber(nextUpload.created)}|${nextUpload.id}`);
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
  const done = b.store.finishedUpload(vault.name, uploadId, b.now() - COMPLETED_UPLOAD_TTL_MS);
  const live = (archiveId: string) => b.store.archive(vault.name, archiveId)?.deletedAt === null;
  if (done && !done.aborted && done.size === archiveSize && done.treeHash === declaredTree && live(done.archiveId)) {
    sendEmpty(ctx.res, 201, {
      Location: `${b.vaultPath(vault.name)}/archives/${done.archiveId}`,
      'x-amz-archive-id': done.archiveId,
      'x-amz-sha256-tree-hash': done.treeHash,
    });
    return;
  }
  const u = upload(b, vault, uploadId);
  const parts = b.store.parts(vault.name, uploadId);
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
  // One transaction: the archive appears, the upload and its parts go, the completion is remembered.
  b.write(ctx, () => {
    b.store.deleteUpload(vault.name, uploadId);
    b.store.insertArchive(vault.name, { id, description: u.description, created: now, size: archiveSize, treeHash, segments: parts.map((p) => ({ key: p.key, size: p.size })) });
    b.store.insertFinishedUpload(vault.name, { uploadId, archiveId: id, size: archiveSize, treeHash, at: now });
    b.store.updateVault(vault.name, b.writeMark(vault));
  });
  sendEmpty(ctx.res, 201, { Location: `${b.vaultPath(vault.name)}/archives/${id}`, 'x-amz-archive-id': id, 'x-amz-sha256-tree-hash': treeHash });
}

/**
 * AbortMultipartUpload: DELETE /{accountId}/vaults/{vaultName}/multipart-uploads/{uploadId}.
 * As in AWS, aborting an already-aborted upload succeeds for a while; aborting a completed one fails.
 */
export async function abortMultipartUpload(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  if (b.store.finishedUpload(vault.name, ctx.params.uploadId!, b.now() - COMPLETED_UPLOAD_TTL_MS)?.aborted) return sendEmpty(ctx.res, 204);
  const u = upload(b, vault, ctx.params.uploadId!);
  const released = b.write(ctx, () => {
    const keys = b.store.deleteUpload(vault.name, u.id);
    b.store.insertFinishedUpload(vault.name, { uploadId: u.id, at: b.now() });
    return keys;
  });
  await b.release(released);
  sendEmpty(ctx.res, 204);
}
