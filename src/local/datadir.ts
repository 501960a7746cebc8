/**
 * Opening the endpoint's storage: the metadata store and the blob store, on
 * disk in a data directory or in memory.
 *
 * A data directory holds `metadata.sqlite` (with its write-ahead log), `blobs/`
 * and `tmp/`. One written by the endpoint's first versions (`metadata.json`) is
 * imported at its first opening. Opening it takes the store's exclusive lock first, so that
 * nothing is touched while another endpoint uses it; then leftover temporary
 * files and blobs that no committed metadata references (a crash between a
 * blob's write and its commit, or between a commit and a blob's deletion)
 * are removed.
 *
 * @module
 */
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DiskBlobStore, MemoryBlobStore, type BlobStore } from './blobs.js';
import { importLegacyFile } from './legacy.js';
import { Store } from './store.js';

/** The metadata database's file name inside a data directory. */
export const METADATA_FILE = 'metadata.sqlite';
/** The metadata file of the endpoint's first versions (one JSON document). */
export const LEGACY_METADATA_FILE = 'metadata.json';

/** Opened storage. */
export interface Storage {
  /** The metadata. */
  store: Store;
  /** The bytes. */
  blobs: BlobStore;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens the storage of a data directory (created if missing), or in-memory
 * storage when `dataDir` is undefined. Rejects when another endpoint holds
 * the directory.
 */
export async function openStorage(dataDir: string | undefined): Promise<Storage> {
  if (dataDir === undefined) return { store: new Store(':memory:'), blobs: new MemoryBlobStore() };
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, METADATA_FILE);
  let store: Store;
  try {
    store = new Store(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'EBUSY') {
      throw new Error(`The data directory ${dataDir} is in use by another glacier-local endpoint (its metadata database is locked). Stop that endpoint, or use another --data-dir.`);
    }
    throw err;
  }
  try {
    // A directory of the first versions: its metadata is imported before any blob could look orphaned.
    const legacy = join(dataDir, LEGACY_METADATA_FILE);
    if (await exists(legacy)) await importLegacyFile(store, legacy, Date.now());
    const blobs = await DiskBlobStore.open(dataDir);
    const orphans = (await blobs.keys()).filter((k) => !store.isReferenced(k));
    if (orphans.length > 0) await blobs.remove(orphans);
    return { store, blobs };
  } catch (err) {
    store.close();
    throw err;
  }
}
