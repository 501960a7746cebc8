/**
 * Vault lock: InitiateVaultLock (InProgress for 24 hours), CompleteVaultLock,
 * AbortVaultLock and GetVaultLock. A Locked policy can no longer be changed or
 * removed. While InProgress or Locked, the lock policy's Deny statements are
 * enforced.
 *
 * @module
 */
import type { Backend } from './backend.js';
import { DAY_MS, isoDate } from './clock.js';
import { accessDenied, invalidParameter, notFound } from './errors.js';
import { sendEmpty, sendJson, type RequestContext } from './http.js';
import { newLockId } from './ids.js';
import { policyFromBody } from './policies.js';

/** InitiateVaultLock: POST /{accountId}/vaults/{vaultName}/lock-policy. */
export async function initiateVaultLock(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  if (vault.lock?.state === 'Locked') throw accessDenied(`The vault lock policy of ${b.vaultArn(vault.name)} is Locked and cannot be changed.`);
  if (vault.lock?.state === 'InProgress') {
    throw accessDenied(`A vault lock is already in progress for ${b.vaultArn(vault.name)}. Abort it before initiating a new one.`);
  }
  const policy = policyFromBody(ctx);
  const now = b.now();
  const lockId = newLockId();
  b.write(ctx, () => b.store.updateVault(vault.name, { lock: { policy, state: 'InProgress', lockId, created: now, expires: now + DAY_MS } }));
  sendEmpty(ctx.res, 201, { 'x-amz-lock-id': lockId });
}

/** CompleteVaultLock: POST /{accountId}/vaults/{vaultName}/lock-policy/{lockId}. */
export async function completeVaultLock(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const lock = vault.lock;
  const lockId = ctx.params.lockId!;
  if (!lock) throw invalidParameter(`No vault lock is in progress for ${b.vaultArn(vault.name)}; the lock ID ${lockId} is not valid.`);
  if (lock.lockId !== lockId) {
    if (lock.state === 'Locked') throw accessDenied(`The lock ID ${lockId} is not valid for the Locked vault ${b.vaultArn(vault.name)}.`);
    throw invalidParameter(`The lock ID ${lockId} is not valid for ${b.vaultArn(vault.name)}.`);
  }
  if (lock.state !== 'Locked') b.write(ctx, () => b.store.updateVault(vault.name, { lock: { ...lock, state: 'Locked' } }));
  sendEmpty(ctx.res, 204);
}

/** AbortVaultLock: DELETE /{accountId}/vaults/{vaultName}/lock-policy. */
export async function abortVaultLock(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  if (vault.lock?.state === 'Locked') throw accessDenied(`The vault lock of ${b.vaultArn(vault.name)} is Locked and cannot be aborted.`);
  if (vault.lock) b.write(ctx, () => b.store.updateVault(vault.name, { lock: null }));
  sendEmpty(ctx.res, 204);
}

/** GetVaultLock: GET /{accountId}/vaults/{vaultName}/lock-policy. */
export async function getVaultLock(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const lock = vault.lock;
  if (!lock) throw notFound(`No vault lock policy is set for the vault: ${b.vaultArn(vault.name)}`);
  sendJson(ctx.res, 200, {
    CreationDate: isoDate(lock.created),
    ExpirationDate: lock.state === 'InProgress' ? isoDate(lock.expires) : null,
    Policy: lock.policy,
    State: lock.state,
  });
}
