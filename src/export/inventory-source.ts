/**
 * Which inventory a whole-vault operation works from (an export, a purge):
 * the vault's newest succeeded whole-vault inventory, else one still
 * running, else a new one; and whether the vault has changed since it was
 * taken. `glacier purge`, `glacier inventory` and the export share these.
 *
 * @module
 */
import type { Job } from '../resources/job.js';
import type { Vault } from '../resources/vault.js';

/**
 * True for an inventory job of the whole vault: not limited to a date range
 * or a page (`StartDate`, `EndDate`, `Limit`, `Marker`).
 */
export function isFullInventory(job: Job): boolean {
  if (job.action !== 'InventoryRetrieval') return false;
  const p = job.inventoryRetrievalParameters;
  return !p?.StartDate && !p?.EndDate && !p?.Limit && !p?.Marker;
}

/**
 * Finds a whole-vault inventory job of the vault that is still running, in
 * the given format, so that a second request does not start another.
 */
export async function runningInventoryJob(vault: Vault, format: string): Promise<Job | undefined> {
  for await (const job of vault.jobsInProgress.all()) {
    if (isFullInventory(job) && (job.inventoryRetrievalParameters?.Format ?? 'JSON') === format) return job;
  }
  return undefined;
}

/** The newest succeeded whole-vault inventory job of the vault, else the newest running one (JSON, or a succeeded one of any format). */
export async function newestInventoryJob(vault: Vault): Promise<Job | undefined> {
  let succeeded: Job | undefined;
  let running: Job | undefined;
  const time = (d: Date | string | undefined) => (d === undefined ? 0 : new Date(d).getTime());
  for await (const job of vault.jobs.all()) {
    // A job limited to a date range or a page would miss archives.
    if (!isFullInventory(job)) continue;
    if ((job.inventoryRetrievalParameters?.Format ?? 'JSON') !== 'JSON' && job.statusCode !== 'Succeeded') continue;
    if (job.statusCode === 'Succeeded' && (!succeeded || time(job.completionDate) > time(succeeded.completionDate))) succeeded = job;
    if (job.statusCode === 'InProgress' && (!running || time(job.creationDate) > time(running.creationDate))) running = job;
  }
  return succeeded ?? running;
}

/**
 * True when the vault's own snapshot (DescribeVault) was taken after the
 * inventory job started and counts more archives than `listed`: archives
 * were added after the inventory was taken.
 */
export async function isInventoryStale(vault: Vault, job: Job, listed: number): Promise<boolean> {
  await vault.reload();
  const snapshot = vault.lastInventoryDate;
  if (!snapshot || job.creationDate === undefined) return false;
  return new Date(snapshot).getTime() > new Date(job.creationDate).getTime() && (vault.numberOfArchives ?? 0) > listed;
}
