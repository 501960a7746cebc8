/**
 * What is known of an archive without asking Glacier (which has no call that
 * describes one): its data from an upload or an inventory record, and the
 * checks on data a caller hands in.
 *
 * @module
 */
import { ValidationError } from '../errors.js';
import type { InventoryArchive } from '../transfer/inventory.js';

/**
 * What is known of an archive, in Glacier's member names: from the upload
 * that stored it or from an inventory.
 */
export interface ArchiveData {
  /** The archive id. */
  ArchiveId?: string;
  /** The archive's description. */
  ArchiveDescription?: string;
  /** When the archive was stored (ISO-8601 UTC), from an inventory. */
  CreationDate?: string;
  /** The archive's length in bytes. */
  Size?: number;
  /** The archive's SHA-256 tree hash. */
  SHA256TreeHash?: string;
  /** The archive's URI path, from the upload. */
  Location?: string;
}

/** Converts an inventory record to archive data. */
export function archiveDataFromInventory(record: InventoryArchive): ArchiveData {
  return {
    ArchiveId: record.archiveId,
    ArchiveDescription: record.archiveDescription,
    CreationDate: record.creationDate,
    Size: record.size,
    SHA256TreeHash: record.sha256TreeHash,
  };
}

const INVENTORY_RECORD_KEYS: readonly string[] = ['archiveId', 'archiveDescription', 'creationDate', 'size', 'sha256TreeHash'];
const ARCHIVE_DATA_KEYS: readonly string[] = ['ArchiveId', 'ArchiveDescription', 'CreationDate', 'Size', 'SHA256TreeHash', 'Location'];
const STRING_KEYS: readonly string[] = ['ArchiveId', 'ArchiveDescription', 'CreationDate', 'SHA256TreeHash', 'Location'];

/**
 * Reads what a caller gives `vault.Archive(id, data)`: an inventory record
 * (`job.inventory()`'s camelCase members) or archive data (Glacier's member
 * names). A member of neither, or a mix of both, is refused rather than
 * silently dropped, as is a value of the wrong type or data about another
 * archive.
 *
 * @throws ValidationError
 */
export function archiveDataFor(id: string, data: unknown): ArchiveData {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ValidationError('data', `Archive data must be an inventory record or archive data, got ${JSON.stringify(data)}.`);
  }
  const keys = Object.keys(data).filter((key) => (data as Record<string, unknown>)[key] !== undefined);
  const fromInventory = keys.length > 0 && keys.every((key) => INVENTORY_RECORD_KEYS.includes(key));
  if (!fromInventory) {
    const unknown = keys.filter((key) => !ARCHIVE_DATA_KEYS.includes(key));
    if (unknown.length > 0) {
      throw new ValidationError(
        'data',
        `Archive data for ${id} has ${unknown.map((key) => `'${key}'`).join(', ')}, which ${unknown.length === 1 ? 'is' : 'are'} not ` +
          `archive data; pass an inventory record (${INVENTORY_RECORD_KEYS.join(', ')}) or archive data ` +
          `(${ARCHIVE_DATA_KEYS.join(', ')}), not a mix.`,
      );
    }
  }
  const source = data as Record<string, unknown>;
  const archiveData: Record<string, unknown> = {};
  for (const key of keys) {
    const name = fromInventory ? ARCHIVE_DATA_KEYS[INVENTORY_RECORD_KEYS.indexOf(key)]! : key;
    const value = source[key];
    const valid = name === 'Size' ? typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 : STRING_KEYS.includes(name) && typeof value === 'string';
    if (!valid) {
      throw new ValidationError(
        'data',
        `Archive data for ${id}: ${key} must be ${name === 'Size' ? 'a whole number of bytes' : 'a string'}, got ${JSON.stringify(value)}.`,
      );
    }
    archiveData[name] = value;
  }
  if (archiveData.ArchiveId !== undefined && archiveData.ArchiveId !== id) {
    throw new ValidationError('data', `The data given for archive ${id} is about archive ${String(archiveData.ArchiveId)}.`);
  }
  return archiveData as ArchiveData;
}
