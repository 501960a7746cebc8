/**
 * Vault operations: CreateVault, DescribeVault, ListVaults, DeleteVault.
 *
 * @module
 */
import type { Backend } from './backend.js';
import { isoDate } from './clock.js';
import { invalidParameter, limitExceeded } from './errors.js';
import { parseLimit, sendEmpty, sendJson, type RequestContext } from './http.js';
import { enforceDeny } from './policies.js';
import type { VaultRecord } from './state.js';

/** Vault names: 1-255 characters of a-z, A-Z, 0-9, `_`, `-` and `.`. */
export const VAULT_NAME_RE = /^[a-zA-Z0-9_.-]{1,255}$/;

/** Vaults per account (AWS: 1,000 per Region). */
export const MAX_VAULTS = 1000;

/** DescribeVault's JSON for a vault. */
export function describeVault(b: Backend, vault: VaultRecord): Record<string, unknown> {
  const daily = b.settings.inventory === 'daily';
  const inventoryDate = daily ? (vault.snapshot?.date ?? null) : vault.lastWrite;
  const count = daily ? (vault.snapshot?.count ?? 0) : vault.archiveCount;
  const size = daily ? (vault.snapshot?.bytes ?? 0) : vault.archiveBytes;
  return {
    CreationDate: isoDate(vault.created),
    LastInventoryDate: inventoryDate === null ? null : isoDate(inventoryDate),
    NumberOfArchives: count,
    SizeInBytes: size,
    VaultARN: b.vaultArn(vault.name),
    VaultName: vault.name,
  };
}

/** CreateVault: PUT /{accountId}/vaults/{vaultName}. Idempotent; an existing vault is left untouched. */
export async function createVault(b: Backend, ctx: RequestContext): Promise<void> {
  const name = ctx.params.vaultName!;
  if (!VAULT_NAME_RE.test(name)) {
    throw invalidParameter(`${name} is not a valid vault name. Vault names are 1 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'.`);
  }
  if (!b.store.vault(name)) {
    if (b.store.vaultCount() >= MAX_VAULTS) throw limitExceeded(`The maximum number of vaults (${MAX_VAULTS}) has been reached for this account.`);
    b.write(ctx, () => b.store.insertVault(name, b.now()));
  }
  sendEmpty(ctx.res, 201, { Location: b.vaultPath(name) });
}

/** DescribeVault: GET /{accountId}/vaults/{vaultName}. */
export async function describeVaultOp(b: Backend, ctx: RequestContext): Promise<void> {
  sendJson(ctx.res, 200, describeVault(b, b.vault(ctx.params)));
}

/** ListVaults: GET /{accountId}/vaults, ASCII-sorted, default limit 10. */
export async function listVaults(b: Backend, ctx: RequestContext): Promise<void> {
  const limit = parseLimit(ctx.query, 10);
  // Like AWS, the marker is the ARN of the vault at which the listing continues.
  const marker = ctx.query.get('marker');
  let from = '';
  if (marker !== null) {
    const m = /^arn:aws[a-z-]*:glacier:[^:]*:\d{12}:vaults\/([a-zA-Z0-9_.-]{1,255})$/.exec(marker);
    if (!m) throw invalidParameter(`Invalid marker: ${marker}. Expected a vault ARN from a previous ListVaults answer.`);
    from = m[1]!;
  }
  b.sweep();
  const names = b.store.vaultNames(from, limit + 1);
  const nextName = names[limit];
  const next = nextName === undefined ? null : b.vaultArn(nextName);
  const list = names.slice(0, limit).flatMap((name) => {
    const vault = b.store.vault(name);
    return vault ? [describeVault(b, b.tick(vault))] : [];
  });
  sendJson(ctx.res, 200, { Marker: next, VaultList: list });
}

/** True when AWS would refuse to delete the vault: archives, or (daily mode) writes since the last inventory. */
function vaultBusy(b: Backend, vault: VaultRecord): boolean {
  if (vault.archiveCount > 0) return true;
  if (b.settings.inventory === 'daily') {
    if ((vault.snapshot?.count ?? 0) > 0) return true;
    if (vault.lastWrite !== null && (vault.snapshot === null || vault.lastWrite > vault.snapshot.date)) return true;
  }
  return false;
}

/** DeleteVault: DELETE /{accountId}/vaults/{vaultName}. Refused while the vault holds archives. */
export async function deleteVault(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  enforceDeny(b, vault, 'glacier:DeleteVault');
  if (vaultBusy(b, vault)) throw invalidParameter(`Vault not empty or recently written to: ${b.vaultArn(vault.name)}`);
  const released = b.write(ctx, () => b.store.deleteVault(vault.name));
  await b.release(released);
  sendEmpty(ctx.res, 204);
}
