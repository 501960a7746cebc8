/**
 * The endpoint's metadata store: an embedded SQLite database (better-sqlite3).
 *
 * Why SQLite rather than a home-made journal: every operation is a small,
 * indexed read or write whose cost does not grow with the vault (a B-tree
 * lookup), a vault of a million archives is opened without being read into
 * memory, inventories are read in order from an index in batches, and
 * atomicity and crash safety come from a engine that is tested for exactly
 * that. Each change is one transaction, committed (WAL, `synchronous=FULL`:
 * fsynced) before the request is answered, so `kill -9` at any moment loses
 * nothing that was acknowledged, and a failed write is rolled back: nothing
 * partial is ever visible, in memory or on disk.
 *
 * The database is opened in exclusive locking mode: the lock is an OS file
 * lock that dies with its process, so a second endpoint on the same data
 * directory is refused while the first runs, and a crashed one (whatever its
 * process id, PID 1 in a container included) never blocks a restart.
 *
 * Blob references: each stored blob key is referenced by the archives, parts
 * and job outputs that use it (table `blob_refs`); a blob is deleted once
 * nothing references it.
 *
 * @module
 */
import type { ArchiveRecord, CapacityRecord, DataRetrievalPolicy, LockRecord, Segment, SnapshotRecord, VaultRecord } from './state.js';
import { isStoredKey, owner } from './store-base.js';
import { WorkStore } from './store-work.js';

/** One archive row, live or deleted. */
export interface ArchiveRow extends ArchiveRecord {
  /** When it was deleted, or null while it lives. */
  deletedAt: number | null;
}

/** An inventory line as read from the store. */
export interface InventoryRow {
  /** The archive id. */
  id: string;
  /** Its description. */
  description: string;
  /** Creation time, ms since the epoch. */
  created: number;
  /** Size in bytes. */
  size: number;
  /** Its tree hash. */
  treeHash: string;
}

/** What an inventory selects: the archives alive at `asOf`, created in `[from, to)`, after `after` in (created, id) order. */
export interface InventoryQuery {
  /** The moment the inventory describes. */
  asOf: number;
  /** Created at or after (ms), or -Infinity. */
  from: number;
  /** Created before (ms), or Infinity. */
  to: number;
  /** Start at or after this (created, id). */
  after: { created: number; id: string } | null;
}


interface VaultRow {
  name: string;
  created: number;
  last_write: number | null;
  pending_since: number | null;
  snapshot_date: number | null;
  snapshot_count: number | null;
  snapshot_bytes: number | null;
  access_policy: string | null;
  notifications: string | null;
  lock: string | null;
  tags: string;
  archive_count: number;
  archive_bytes: number;
}

function vaultFromRow(r: VaultRow): VaultRecord {
  const snapshot: SnapshotRecord | null = r.snapshot_date === null ? null : { date: r.snapshot_date, count: r.snapshot_count ?? 0, bytes: r.snapshot_bytes ?? 0 };
  return {
    name: r.name,
    created: r.created,
    lastWrite: r.last_write,
    pendingSince: r.pending_since,
    snapshot,
    accessPolicy: r.access_policy,
    notifications: r.notifications === null ? null : (JSON.parse(r.notifications) as VaultRecord['notifications']),
    lock: r.lock === null ? null : (JSON.parse(r.lock) as LockRecord),
    tags: JSON.parse(r.tags) as Record<string, string>,
    archiveCount: r.archive_count,
    archiveBytes: r.archive_bytes,
  };
}

/** The vault fields {@link Store.updateVault} can change. */
export type VaultChanges = Partial<Pick<VaultRecord, 'lastWrite' | 'pendingSince' | 'snapshot' | 'accessPolicy' | 'notifications' | 'lock' | 'tags'>>;

/** The metadata store. Every method is synchronous; changes go through {@link Store.transaction}. *//** The metadata store. Every method is synchronous; changes go through {@link Store.transaction}. */
export class Store extends WorkStore {
  // ---- account ----


  /** The account's data retrieval policy. */
  dataRetrievalPolicy(): DataRetrievalPolicy {
    return this.meta<DataRetrievalPolicy>('dataRetrievalPolicy', { Rules: [{ Strategy: 'FreeTier' }] });
  }

  /** Replaces the data retrieval policy. */
  setDataRetrievalPolicy(policy: DataRetrievalPolicy): void {
    this.setMeta('dataRetrievalPolicy', policy);
  }

  /** True once a first-version `metadata.json` was imported (see `legacy.ts`). */
  legacyImported(): boolean {
    return this.meta<boolean>('legacyImported', false);
  }

  /** Records that the first-version metadata was imported. */
  setLegacyImported(): void {
    this.setMeta('legacyImported', true);
  }

  /** Purchased provisioned capacity units. */
  capacity(): CapacityRecord[] {
    return this.meta<CapacityRecord[]>('capacity', []);
  }

  /** Replaces the provisioned capacity units. */
  setCapacity(units: CapacityRecord[]): void {
    this.setMeta('capacity', units);
  }

  // ---- vaults ----

  /** The vault, or undefined. */
  vault(name: string): VaultRecord | undefined {
    const r = this.s('SELECT * FROM vaults WHERE name = ?').get(name) as VaultRow | undefined;
    return r && vaultFromRow(r);
  }

  /** How many vaults there are. */
  vaultCount(): number {
    return this.s('SELECT count(*) FROM vaults').pluck().get() as number;
  }

  /** Up to `limit` vault names at or after `from`, in ASCII order. */
  vaultNames(from: string, limit: number): string[] {
    return this.s('SELECT name FROM vaults WHERE name >= ? ORDER BY name LIMIT ?').pluck().all(from, limit) as string[];
  }

  /** Creates an empty vault. */
  insertVault(name: string, created: number): void {
    this.s('INSERT INTO vaults(name, created) VALUES (?, ?)').run(name, created);
  }

  /** Changes a vault's own fields. */
  updateVault(name: string, changes: VaultChanges): void {
    const sets: string[] = [];
    const values: unknown[] = [];
    const put = (column: string, value: unknown) => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    if ('lastWrite' in changes) put('last_write', changes.lastWrite);
    if ('pendingSince' in changes) put('pending_since', changes.pendingSince);
    if ('snapshot' in changes) {
      put('snapshot_date', changes.snapshot?.date ?? null);
      put('snapshot_count', changes.snapshot?.count ?? null);
      put('snapshot_bytes', changes.snapshot?.bytes ?? null);
    }
    if ('accessPolicy' in changes) put('access_policy', changes.accessPolicy);
    if ('notifications' in changes) put('notifications', changes.notifications === null ? null : JSON.stringify(changes.notifications));
    if ('lock' in changes) put('lock', changes.lock === null ? null : JSON.stringify(changes.lock));
    if ('tags' in changes) put('tags', JSON.stringify(changes.tags));
    if (sets.length === 0) return;
    this.db.prepare(`UPDATE vaults SET ${sets.join(', ')} WHERE name = ?`).run(...values, name);
  }

  /** Deletes a vault and everything left in it; returns the blob keys it referenced. */
  deleteVault(name: string): string[] {
    const prefix = `${name}/`;
    const keys = this.s("SELECT key FROM blob_refs WHERE owner >= ? AND owner < ? OR owner >= ? AND owner < ? OR owner >= ? AND owner < ?")
      .pluck()
      .all(`a/${prefix}`, `a/${name}0`, `p/${prefix}`, `p/${name}0`, `j/${prefix}`, `j/${name}0`) as string[];
    for (const kind of ['a', 'p', 'j']) this.s('DELETE FROM blob_refs WHERE owner >= ? AND owner < ?').run(`${kind}/${prefix}`, `${kind}/${name}0`);
    for (const table of ['archives', 'uploads', 'parts', 'finished_uploads', 'jobs']) this.db.prepare(`DELETE FROM ${table} WHERE vault = ?`).run(name);
    this.s('DELETE FROM vaults WHERE name = ?').run(name);
    return keys;
  }

  // ---- archives ----

  /** The archive row (live or deleted), or undefined. */
  archive(vault: string, id: string): ArchiveRow | undefined {
    const r = this.s('SELECT id, description, created, size, tree_hash, segments, deleted_at FROM archives WHERE vault = ? AND id = ?').get(vault, id) as
      | { id: string; description: string; created: number; size: number; tree_hash: string; segments: string; deleted_at: number | null }
      | undefined;
    if (!r) return undefined;
    return { id: r.id, description: r.description, created: r.created, size: r.size, treeHash: r.tree_hash, segments: JSON.parse(r.segments) as Segment[], deletedAt: r.deleted_at };
  }

  /** Adds a live archive and counts it in its vault. */
  insertArchive(vault: string, a: Omit<ArchiveRow, 'deletedAt'>): void {
    this.s('INSERT INTO archives(vault, id, description, created, size, tree_hash, segments) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      vault,
      a.id,
      a.description,
      a.created,
      a.size,
      a.treeHash,
      JSON.stringify(a.segments),
    );
    this.s('UPDATE vaults SET archive_count = archive_count + 1, archive_bytes = archive_bytes + ? WHERE name = ?').run(a.size, vault);
    this.addRefs(owner('a', vault, a.id), a.segments);
  }

  /** Adds many live archives with no stored blobs (synthetic ones) and counts them once. */
  insertSyntheticArchives(vault: string, archives: ReadonlyArray<Omit<ArchiveRow, 'deletedAt'>>): void {
    const insert = this.s('INSERT INTO archives(vault, id, description, created, size, tree_hash, segments) VALUES (?, ?, ?, ?, ?, ?, ?)');
    let bytes = 0;
    for (const a of archives) {
      if (a.segments.some((s) => isStoredKey(s.key))) throw new Error('insertSyntheticArchives takes synthetic archives only.');
      insert.run(vault, a.id, a.description, a.created, a.size, a.treeHash, JSON.stringify(a.segments));
      bytes += a.size;
    }
    this.s('UPDATE vaults SET archive_count = archive_count + ?, archive_bytes = archive_bytes + ? WHERE name = ?').run(archives.length, bytes, vault);
  }

  /** The next free synthetic index of a seed (so that seeding twice never repeats an archive), after reserving `count`. */
  reserveSyntheticIndexes(seed: number, count: number): number {
    const key = `synthetic-next-${seed}`;
    const next = this.meta<number>(key, 0);
    this.setMeta(key, next + count);
    return next;
  }

  /** Marks a live archive deleted at `at` (its row stays for idempotent deletes and snapshots); returns the blob keys it referenced. */
  deleteArchive(vault: string, a: ArchiveRow, at: number): string[] {
    this.s('UPDATE archives SET deleted_at = ? WHERE vault = ? AND id = ?').run(at, vault, a.id);
    this.s('UPDATE vaults SET archive_count = archive_count - 1, archive_bytes = archive_bytes - ? WHERE name = ?').run(a.size, vault);
    return this.dropRefs(owner('a', vault, a.id));
  }

  /** Up to `limit` inventory lines of a vault, in (created, id) order. */
  inventoryPage(vault: string, q: InventoryQuery, limit: number): InventoryRow[] {
    const after = q.after ?? { created: Number.MIN_SAFE_INTEGER, id: '' };
    const from = Number.isFinite(q.from) ? q.from : Number.MIN_SAFE_INTEGER;
    const to = Number.isFinite(q.to) ? q.to : Number.MAX_SAFE_INTEGER;
    const rows = this.s(
      `SELECT id, description, created, size, tree_hash FROM archives
       WHERE vault = ? AND (created, id) >= (?, ?) AND created <= ? AND created >= ? AND created < ?
         AND (deleted_at IS NULL OR deleted_at > ?)
       ORDER BY created, id LIMIT ?`,
    ).all(vault, after.created, after.id, q.asOf, from, to, q.asOf, limit) as Array<{ id: string; description: string; created: number; size: number; tree_hash: string }>;
    return rows.map((r) => ({ id: r.id, description: r.description, created: r.created, size: r.size, treeHash: r.tree_hash }));
  }

  /**
   * Count and bytes of the archives alive at `date`, computed from the live
   * counters and the changes since `date` (so it reads only recent rows).
   */
  countAt(vault: VaultRecord, date: number): { count: number; bytes: number } {
    const newer = this.s('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM archives WHERE vault = ? AND created > ? AND deleted_at IS NULL').get(vault.name, date) as { n: number; b: number };
    const gone = this.s('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM archives WHERE vault = ? AND deleted_at > ? AND created <= ?').get(vault.name, date, date) as {
      n: number;
      b: number;
    };
    return { count: vault.archiveCount - newer.n + gone.n, bytes: vault.archiveBytes - newer.b + gone.b };
  }

  /** Forgets deleted archive rows that no snapshot and no idempotent retry needs; returns how many. */
  purgeDeletedArchives(before: number, daily: boolean, limit: number): number {
    return this.s(
      `DELETE FROM archives WHERE rowid IN (
         SELECT a.rowid FROM archives a JOIN vaults v ON v.name = a.vault
         WHERE a.deleted_at IS NOT NULL AND a.deleted_at <= ? AND (? = 0 OR a.deleted_at <= coalesce(v.snapshot_date, -1))
         LIMIT ?)`,
    ).run(before, daily ? 1 : 0, limit).changes;
  }

}

export type { JobFilter } from './store-work.js';
