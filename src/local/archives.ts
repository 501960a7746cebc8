/**
 * Archive operations: UploadArchive and DeleteArchive.
 *
 * @module
 */
import type { Backend } from './backend.js';
import { DELETED_ARCHIVE_TTL_MS } from './backend.js';
import { DAY_MS } from './clock.js';
import { notFound } from './errors.js';
import { checkDescription, header, sendEmpty, type RequestContext } from './http.js';
import { newArchiveId } from './ids.js';
import { enforceDeny } from './policies.js';
import { declaredChecksums, receiveBody } from './receive.js';

/** UploadArchive: POST /{accountId}/vaults/{vaultName}/archives. */
export async function uploadArchive(b: Backend, ctx: RequestContext): Promise<void> {
  b.vault(ctx.params);
  const description = checkDescription(header(ctx.req, 'x-amz-archive-description'));
  const declared = declaredChecksums(ctx);
  const body = await receiveBody(b, ctx, declared);
  const id = newArchiveId();
  let vaultName: string;
  try {
    // The vault may have gone while the body arrived; a failed write leaves nothing.
    const vault = b.vault(ctx.params);
    vaultName = vault.name;
    b.write(ctx, () => {
      b.store.insertArchive(vault.name, { id, description, created: b.now(), size: body.size, treeHash: body.treeHash, segments: [{ key: body.key, size: body.size }] });
      b.store.updateVault(vault.name, b.writeMark(vault));
    });
  } catch (err) {
    await b.blobs.remove([body.key]);
    throw err;
  }
  sendEmpty(ctx.res, 201, {
    Location: `${b.vaultPath(vaultName)}/archives/${id}`,
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
  const archive = b.store.archive(vault.name, id);
  if (!archive || archive.deletedAt !== null) {
    if (archive && b.now() < archive.deletedAt! + DELETED_ARCHIVE_TTL_MS) return sendEmpty(ctx.res, 204);
    throw notFound(`Archive not found: ${id}`);
  }
  enforceDeny(b, vault, 'glacier:DeleteArchive', { archiveAgeDays: Math.floor((b.now() - archive.created) / DAY_MS) });
  const released = b.write(ctx, () => {
    const keys = b.store.deleteArchive(vault.name, archive, b.now());
    b.store.updateVault(vault.name, b.writeMark(vault));
    return keys;
  });
  await b.release(released);
  sendEmpty(ctx.res, 204);
}
