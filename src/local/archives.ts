/**
 * Archive operations: UploadArchive and DeleteArchive.
 *
 * @module
 */
import type { Backend } from './backend.js';
import { DAY_MS } from './clock.js';
import { checkDescription, header, sendEmpty, type RequestContext } from './http.js';
import { newArchiveId } from './ids.js';
import { enforceDeny } from './policies.js';
import { declaredChecksums, receiveBody } from './receive.js';
import { notFound } from './errors.js';

/** UploadArchive: POST /{accountId}/vaults/{vaultName}/archives. */
export async function uploadArchive(b: Backend, ctx: RequestContext): Promise<void> {
  b.vault(ctx.params);
  const description = checkDescription(header(ctx.req, 'x-amz-archive-description'));
  const declared = declaredChecksums(ctx);
  const body = await receiveBody(b, ctx, declared);
  let vault;
  try {
    vault = b.vault(ctx.params);
  } catch (err) {
    await b.blobs.remove([body.key]);
    throw err;
  }
  const id = newArchiveId();
  vault.archives.set(id, { id, description, created: b.now(), size: body.size, treeHash: body.treeHash, segments: [{ key: body.key, size: body.size }] });
  b.markWrite(vault);
  await b.commitAndRelease();
  sendEmpty(ctx.res, 201, {
    Location: `${b.vaultPath(vault.name)}/archives/${id}`,
    'x-amz-archive-id': id,
    'x-amz-sha256-tree-hash': body.treeHash,
  });
}

/**
 * DeleteArchive: DELETE /{accountId}/vaults/{vaultName}/archives/{archiveId}.
 * Idempotent for a day for archives that existed; retrieval jobs already started keep their output.
 */
export async function deleteArchive(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const id = ctx.params.archiveId!;
  const archive = vault.archives.get(id);
  if (!archive) {
    if (vault.deletedArchives.has(id)) return sendEmpty(ctx.res, 204);
    throw notFound(`Archive not found: ${id}`);
  }
  enforceDeny(b, vault, 'glacier:DeleteArchive', { archiveAgeDays: Math.floor((b.now() - archive.created) / DAY_MS) });
  vault.archives.delete(id);
  vault.deletedArchives.set(id, b.now());
  b.markWrite(vault);
  await b.commitAndRelease(archive.segments.map((s) => s.key));
  sendEmpty(ctx.res, 204);
}
