/**
 * Imports a data directory written by the endpoint's first versions, whose
 * metadata was one JSON document (`metadata.json`, format version 1), into
 * the SQLite store, so that upgrading the endpoint loses nothing: vaults with
 * their settings, archives, in-progress uploads and their parts, completed
 * and aborted uploads, jobs, the retrieval policy and capacity units. The
 * blobs stay where they are. After a successful import the document is
 * renamed `metadata.json.imported`.
 *
 * @module
 */
import { readFile, rename } from 'node:fs/promises';
import type { ArchiveRecord, CapacityRecord, CompletedUpload, DataRetrievalPolicy, JobRecord, LockRecord, PartRecord } from './state.js';
import type { Store } from './store.js';

/** A vault as format version 1 stored it. */
interface LegacyVault {
  name: string;
  created: number;
  archives: ArchiveRecord[];
  deletedArchives?: Array<[string, number]>;
  uploads: Array<{ id: string; description: string; partSize: number; created: number; parts: PartRecord[] }>;
  completedUploads?: CompletedUpload[];
  abortedUploads?: Array<[string, number]>;
  jobs: JobRecord[];
  lastWrite: number | null;
  snapshot: { date: number; entries: Array<{ Size: number }> } | null;
  pendingSince: number | null;
  accessPolicy: string | null;
  notifications: { SNSTopic: string; Events: string[] } | null;
  lock: LockRecord | null;
  tags: Array<[string, string]>;
}

/** The whole document of format version 1. */
interface LegacyDocument {
  version: number;
  dataRetrievalPolicy: DataRetrievalPolicy;
  capacity: CapacityRecord[];
  vaults: LegacyVault[];
}

/**
 * Copies a version-1 document into the store, in one transaction that also
 * marks it imported. In-progress uploads get `now` as their last activity (the
 * old format kept none), so none is dropped as idle by the import itself.
 */
export function importLegacyDocument(store: Store, doc: LegacyDocument, now: number): void {
  if (doc.version !== 1) throw new Error(`Unsupported legacy metadata format version ${String(doc.version)}.`);
  store.transaction(() => {
    store.setLegacyImported();
    store.setDataRetrievalPolicy(doc.dataRetrievalPolicy);
    store.setCapacity(doc.capacity);
    for (const v of doc.vaults) {
      store.insertVault(v.name, v.created);
      for (const a of v.archives) store.insertArchive(v.name, a);
      for (const u of v.uploads) {
        store.insertUpload(v.name, { id: u.id, description: u.description, partSize: u.partSize, created: u.created, lastActivity: now });
        for (const p of u.parts) store.putPart(v.name, u.id, p, now);
      }
      for (const c of v.completedUploads ?? []) store.insertFinishedUpload(v.name, c);
      for (const [uploadId, at] of v.abortedUploads ?? []) store.insertFinishedUpload(v.name, { uploadId, at });
      for (const j of v.jobs) store.insertJob(v.name, j);
      const snapshot = v.snapshot && { date: v.snapshot.date, count: v.snapshot.entries.length, bytes: v.snapshot.entries.reduce((s, e) => s + e.Size, 0) };
      store.updateVault(v.name, {
        lastWrite: v.lastWrite,
        pendingSince: v.pendingSince,
        snapshot,
        accessPolicy: v.accessPolicy,
        notifications: v.notifications,
        lock: v.lock,
        tags: Object.fromEntries(v.tags),
      });
    }
  });
}

/**
 * Imports `path` (a version-1 `metadata.json`) into `store` unless that was
 * done already (a crash before the rename), then renames it `*.imported`.
 */
export async function importLegacyFile(store: Store, path: string, now: number): Promise<void> {
  if (!store.legacyImported()) importLegacyDocument(store, JSON.parse(await readFile(path, 'utf8')) as LegacyDocument, now);
  await rename(path, `${path}.imported`);
}
