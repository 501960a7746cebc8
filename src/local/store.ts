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
import Database from 'better-sqlite3';
import type { ArchiveRecord, CapacityRecord, CompletedUpload, DataRetrievalPolicy, JobRecord, LockRecord, PartRecord, Segment, SnapshotRecord, UploadRecord, VaultRecord } from './state.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';

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

/** Filters of {@link Store.jobPage}. */
export interface JobFilter {
  /** The current time. */
  now: number;
  /** Jobs completed (true) or in progress (false), or undefined for both. */
  completed?: boolean;
  /** Only jobs in this status. */
  status?: 'InProgress' | 'Succeeded' | 'Failed';
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

/** The owner string of a blob reference. */
function owner(kind: 'a' | 'p' | 'j', vault: string, id: string, extra?: number): string {
  return extra === undefined ? `${kind}/${vault}/${id}` : `${kind}/${vault}/${id}/${extra}`;
}

/** True for keys of stored blobs (synthetic archives have generated keys and no blob). */
function isStoredKey(key: string): boolean {
  return !key.startsWith('syn-');
}

/** The metadata store. Every method is synchronous; changes go through {@link Store.transaction}. */
export class Store {
  readonly #db: Database.Database;
  readonly #stmts = new Map<string, Database.Statement>();

  /**
   * Opens (creating if needed) the database at `path`, or an in-memory one for `:memory:`.
   * Throws when another process (or another endpoint in this one) holds it.
   */
  constructor(path: string) {
    this.#db = new Database(path, { timeout: 0 });
    try {
      this.#db.pragma('locking_mode = EXCLUSIVE');
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = FULL');
      this.#db.pragma('cache_size = -65536');
      this.#db.pragma('foreign_keys = OFF');
      // The first write takes the exclusive lock and keeps it until close.
      this.#db.exec('BEGIN IMMEDIATE');
      this.#db.exec(SCHEMA);
      const version = this.#db.prepare("SELECT value FROM meta WHERE key = 'version'").pluck().get() as string | undefined;
      if (version === undefined) this.#db.prepare("INSERT INTO meta(key, value) VALUES ('version', ?)").run(String(SCHEMA_VERSION));
      else if (Number(version) !== SCHEMA_VERSION) throw new Error(`Unsupported metadata format version ${version} (this endpoint reads version ${SCHEMA_VERSION}).`);
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      this.#db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') throw Object.assign(new Error('The metadata database is locked by another endpoint.'), { code: 'EBUSY' });
      throw err;
    }
  }

  #s(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  /**
   * Runs `fn` in one transaction and commits it durably. When `fn` or the
   * commit throws, everything `fn` changed is rolled back and the error is rethrown.
   * `beforeCommit` runs last inside the transaction (fault injection hooks in here).
   */
  transaction<T>(fn: () => T, beforeCommit?: () => void): T {
    return this.#db.transaction(() => {
      const result = fn();
      beforeCommit?.();
      return result;
    })();
  }

  /** Closes the database (and releases its lock). */
  close(): void {
    if (this.#db.open) this.#db.close();
  }

  // ---- account ----

  /** A JSON value of the account (data retrieval policy, capacity). */
  #meta<T>(key: string, fallback: T): T {
    const v = this.#s('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
    return v === undefined ? fallback : (JSON.parse(v) as T);
  }

  #setMeta(key: string, value: unknown): void {
    this.#s('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }

  /** The account's data retrieval policy. */
  dataRetrievalPolicy(): DataRetrievalPolicy {
    return this.#meta<DataRetrievalPolicy>('dataRetrievalPolicy', { Rules: [{ Strategy: 'FreeTier' }] });
  }

  /** Replaces the data retrieval policy. */
  setDataRetrievalPolicy(policy: DataRetrievalPolicy): void {
    this.#setMeta('dataRetrievalPolicy', policy);
  }

  /** Purchased provisioned capacity units. */
  capacity(): CapacityRecord[] {
    return this.#meta<CapacityRecord[]>('capacity', []);
  }

  /** Replaces the provisioned capacity units. */
  setCapacity(units: CapacityRecord[]): void {
    this.#setMeta('capacity', units);
  }

  // ---- vaults ----

  /** The vault, or undefined. */
  vault(name: string): VaultRecord | undefined {
    const r = this.#s('SELECT * FROM vaults WHERE name = ?').get(name) as VaultRow | undefined;
    return r && vaultFromRow(r);
  }

  /** How many vaults there are. */
  vaultCount(): number {
    return this.#s('SELECT count(*) FROM vaults').pluck().get() as number;
  }

  /** Up to `limit` vault names at or after `from`, in ASCII order. */
  vaultNames(from: string, limit: number): string[] {
    return this.#s('SELECT name FROM vaults WHERE name >= ? ORDER BY name LIMIT ?').pluck().all(from, limit) as string[];
  }

  /** Creates an empty vault. */
  insertVault(name: string, created: number): void {
    this.#s('INSERT INTO vaults(name, created) VALUES (?, ?)').run(name, created);
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
    this.#db.prepare(`UPDATE vaults SET ${sets.join(', ')} WHERE name = ?`).run(...values, name);
  }

  /** Deletes a vault and everything left in it; returns the blob keys it referenced. */
  deleteVault(name: string): string[] {
    const prefix = `${name}/`;
    const keys = this.#s("SELECT key FROM blob_refs WHERE owner >= ? AND owner < ? OR owner >= ? AND owner < ? OR owner >= ? AND owner < ?")
      .pluck()
      .all(`a/${prefix}`, `a/${name}0`, `p/${prefix}`, `p/${name}0`, `j/${prefix}`, `j/${name}0`) as string[];
    for (const kind of ['a', 'p', 'j']) this.#s('DELETE FROM blob_refs WHERE owner >= ? AND owner < ?').run(`${kind}/${prefix}`, `${kind}/${name}0`);
    for (const table of ['archives', 'uploads', 'parts', 'finished_uploads', 'jobs']) this.#db.prepare(`DELETE FROM ${table} WHERE vault = ?`).run(name);
    this.#s('DELETE FROM vaults WHERE name = ?').run(name);
    return keys;
  }

  // ---- archives ----

  /** The archive row (live or deleted), or undefined. */
  archive(vault: string, id: string): ArchiveRow | undefined {
    const r = this.#s('SELECT id, description, created, size, tree_hash, segments, deleted_at FROM archives WHERE vault = ? AND id = ?').get(vault, id) as
      | { id: string; description: string; created: number; size: number; tree_hash: string; segments: string; deleted_at: number | null }
      | undefined;
    if (!r) return undefined;
    return { id: r.id, description: r.description, created: r.created, size: r.size, treeHash: r.tree_hash, segments: JSON.parse(r.segments) as Segment[], deletedAt: r.deleted_at };
  }

  /** Adds a live archive and counts it in its vault. */
  insertArchive(vault: string, a: Omit<ArchiveRow, 'deletedAt'>): void {
    this.#s('INSERT INTO archives(vault, id, description, created, size, tree_hash, segments) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      vault,
      a.id,
      a.description,
      a.created,
      a.size,
      a.treeHash,
      JSON.stringify(a.segments),
    );
    this.#s('UPDATE vaults SET archive_count = archive_count + 1, archive_bytes = archive_bytes + ? WHERE name = ?').run(a.size, vault);
    this.#addRefs(owner('a', vault, a.id), a.segments);
  }

  /** Adds many live archives with no stored blobs (synthetic ones) and counts them once. */
  insertSyntheticArchives(vault: string, archives: ReadonlyArray<Omit<ArchiveRow, 'deletedAt'>>): void {
    const insert = this.#s('INSERT INTO archives(vault, id, description, created, size, tree_hash, segments) VALUES (?, ?, ?, ?, ?, ?, ?)');
    let bytes = 0;
    for (const a of archives) {
      if (a.segments.some((s) => isStoredKey(s.key))) throw new Error('insertSyntheticArchives takes synthetic archives only.');
      insert.run(vault, a.id, a.description, a.created, a.size, a.treeHash, JSON.stringify(a.segments));
      bytes += a.size;
    }
    this.#s('UPDATE vaults SET archive_count = archive_count + ?, archive_bytes = archive_bytes + ? WHERE name = ?').run(archives.length, bytes, vault);
  }

  /** The next free synthetic index of a seed (so that seeding twice never repeats an archive), after reserving `count`. */
  reserveSyntheticIndexes(seed: number, count: number): number {
    const key = `synthetic-next-${seed}`;
    const next = this.#meta<number>(key, 0);
    this.#setMeta(key, next + count);
    return next;
  }

  /** Marks a live archive deleted at `at` (its row stays for idempotent deletes and snapshots); returns the blob keys it referenced. */
  deleteArchive(vault: string, a: ArchiveRow, at: number): string[] {
    this.#s('UPDATE archives SET deleted_at = ? WHERE vault = ? AND id = ?').run(at, vault, a.id);
    this.#s('UPDATE vaults SET archive_count = archive_count - 1, archive_bytes = archive_bytes - ? WHERE name = ?').run(a.size, vault);
    return this.#dropRefs(owner('a', vault, a.id));
  }

  /** Up to `limit` inventory lines of a vault, in (created, id) order. */
  inventoryPage(vault: string, q: InventoryQuery, limit: number): InventoryRow[] {
    const after = q.after ?? { created: Number.MIN_SAFE_INTEGER, id: '' };
    const from = Number.isFinite(q.from) ? q.from : Number.MIN_SAFE_INTEGER;
    const to = Number.isFinite(q.to) ? q.to : Number.MAX_SAFE_INTEGER;
    const rows = this.#s(
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
    const newer = this.#s('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM archives WHERE vault = ? AND created > ? AND deleted_at IS NULL').get(vault.name, date) as { n: number; b: number };
    const gone = this.#s('SELECT count(*) AS n, coalesce(sum(size), 0) AS b FROM archives WHERE vault = ? AND deleted_at > ? AND created <= ?').get(vault.name, date, date) as {
      n: number;
      b: number;
    };
    return { count: vault.archiveCount - newer.n + gone.n, bytes: vault.archiveBytes - newer.b + gone.b };
  }

  /** Forgets deleted archive rows that no snapshot and no idempotent retry needs; returns how many. */
  purgeDeletedArchives(before: number, daily: boolean, limit: number): number {
    return this.#s(
      `DELETE FROM archives WHERE rowid IN (
         SELECT a.rowid FROM archives a JOIN vaults v ON v.name = a.vault
         WHERE a.deleted_at IS NOT NULL AND a.deleted_at <= ? AND (? = 0 OR a.deleted_at <= coalesce(v.snapshot_date, -1))
         LIMIT ?)`,
    ).run(before, daily ? 1 : 0, limit).changes;
  }

  // ---- multipart uploads ----

  /** The in-progress upload, or undefined. */
  upload(vault: string, id: string): UploadRecord | undefined {
    const r = this.#s('SELECT id, description, part_size, created, last_activity FROM uploads WHERE vault = ? AND id = ?').get(vault, id) as
      | { id: string; description: string; part_size: number; created: number; last_activity: number }
      | undefined;
    return r && { id: r.id, description: r.description, partSize: r.part_size, created: r.created, lastActivity: r.last_activity };
  }

  /** Up to `limit` uploads of a vault created at or after `from` (by (created, id)). */
  uploadPage(vault: string, from: { created: number; id: string }, idleSince: number, limit: number): UploadRecord[] {
    const rows = this.#s(
      'SELECT id, description, part_size, created, last_activity FROM uploads WHERE vault = ? AND (created, id) >= (?, ?) AND last_activity > ? ORDER BY created, id LIMIT ?',
    ).all(vault, from.created, from.id, idleSince, limit) as Array<{ id: string; description: string; part_size: number; created: number; last_activity: number }>;
    return rows.map((r) => ({ id: r.id, description: r.description, partSize: r.part_size, created: r.created, lastActivity: r.last_activity }));
  }

  /** Starts an upload. */
  insertUpload(vault: string, u: UploadRecord): void {
    this.#s('INSERT INTO uploads(vault, id, description, part_size, created, last_activity) VALUES (?, ?, ?, ?, ?, ?)').run(vault, u.id, u.description, u.partSize, u.created, u.lastActivity);
  }

  /** The parts of an upload starting at or after `from`, by start byte. */
  parts(vault: string, uploadId: string, from = 0, limit = -1): PartRecord[] {
    const rows = this.#s('SELECT start, size, tree_hash, key FROM parts WHERE vault = ? AND upload_id = ? AND start >= ? ORDER BY start LIMIT ?').all(vault, uploadId, from, limit) as Array<{
      start: number;
      size: number;
      tree_hash: string;
      key: string;
    }>;
    return rows.map((r) => ({ start: r.start, size: r.size, treeHash: r.tree_hash, key: r.key }));
  }

  /** Stores (or replaces) a part; returns the replaced part's blob keys that lost their reference. */
  putPart(vault: string, uploadId: string, p: PartRecord, now: number): string[] {
    const ref = owner('p', vault, uploadId, p.start);
    const released = this.#dropRefs(ref);
    this.#s('INSERT INTO parts(vault, upload_id, start, size, tree_hash, key) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(vault, upload_id, start) DO UPDATE SET size = excluded.size, tree_hash = excluded.tree_hash, key = excluded.key').run(
      vault,
      uploadId,
      p.start,
      p.size,
      p.treeHash,
      p.key,
    );
    this.#s('UPDATE uploads SET last_activity = ? WHERE vault = ? AND id = ?').run(now, vault, uploadId);
    this.#addRefs(ref, [p]);
    return released;
  }

  /** Removes an upload and its parts; returns the blob keys that lost a reference. */
  deleteUpload(vault: string, id: string): string[] {
    const released = this.#dropRefsWithPrefix(`${owner('p', vault, id)}/`);
    this.#s('DELETE FROM parts WHERE vault = ? AND upload_id = ?').run(vault, id);
    this.#s('DELETE FROM uploads WHERE vault = ? AND id = ?').run(vault, id);
    return released;
  }

  /** Uploads idle since before `before`, at most `limit`. */
  idleUploads(before: number, limit: number): Array<{ vault: string; id: string }> {
    return this.#s('SELECT vault, id FROM uploads WHERE last_activity <= ? LIMIT ?').all(before, limit) as Array<{ vault: string; id: string }>;
  }

  /** A completed (or aborted: archiveId null) upload remembered since `since`, or undefined. */
  finishedUpload(vault: string, id: string, since: number): (CompletedUpload & { aborted: boolean }) | undefined {
    const r = this.#s('SELECT id, outcome, at, archive_id, size, tree_hash FROM finished_uploads WHERE vault = ? AND id = ? AND at > ?').get(vault, id, since) as
      | { id: string; outcome: string; at: number; archive_id: string | null; size: number | null; tree_hash: string | null }
      | undefined;
    return r && { uploadId: r.id, archiveId: r.archive_id ?? '', size: r.size ?? 0, treeHash: r.tree_hash ?? '', at: r.at, aborted: r.outcome === 'aborted' };
  }

  /** Remembers a completed or aborted upload. */
  insertFinishedUpload(vault: string, done: CompletedUpload | { uploadId: string; at: number }): void {
    const c = 'archiveId' in done ? done : undefined;
    this.#s('INSERT OR REPLACE INTO finished_uploads(vault, id, outcome, at, archive_id, size, tree_hash) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      vault,
      done.uploadId,
      c ? 'completed' : 'aborted',
      done.at,
      c?.archiveId ?? null,
      c?.size ?? null,
      c?.treeHash ?? null,
    );
  }

  /** Forgets finished uploads from before `before`. */
  purgeFinishedUploads(before: number): void {
    this.#s('DELETE FROM finished_uploads WHERE at <= ?').run(before);
  }

  // ---- jobs ----

  /** The job, or undefined. */
  job(vault: string, id: string): JobRecord | undefined {
    const doc = this.#s('SELECT doc FROM jobs WHERE vault = ? AND id = ?').pluck().get(vault, id) as string | undefined;
    return doc === undefined ? undefined : (JSON.parse(doc) as JobRecord);
  }

  /** Adds a job. */
  insertJob(vault: string, job: JobRecord): void {
    this.#s('INSERT INTO jobs(vault, id, created, completes_at, action, tier, failure, output_size, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      vault,
      job.id,
      job.created,
      job.completesAt,
      job.action,
      job.tier,
      job.failure ?? null,
      job.output.size,
      JSON.stringify(job),
    );
    this.#addRefs(owner('j', vault, job.id), job.output.segments);
  }

  /** Up to `limit` jobs of a vault at or after `from` in (created, id) order, completed after `expiredBefore`, filtered. */
  jobPage(vault: string, from: { created: number; id: string }, expiredBefore: number, f: JobFilter, limit: number): JobRecord[] {
    const where = ['vault = ?', '(created, id) >= (?, ?)', 'completes_at > ?'];
    const values: unknown[] = [vault, from.created, from.id, expiredBefore];
    if (f.completed === true) where.push('completes_at <= ?');
    if (f.completed === false) where.push('completes_at > ?');
    if (f.completed !== undefined) values.push(f.now);
    if (f.status === 'InProgress') where.push('completes_at > ?');
    if (f.status === 'Succeeded') where.push('completes_at <= ? AND failure IS NULL');
    if (f.status === 'Failed') where.push('completes_at <= ? AND failure IS NOT NULL');
    if (f.status !== undefined) values.push(f.now);
    const docs = this.#s(`SELECT doc FROM jobs WHERE ${where.join(' AND ')} ORDER BY created, id LIMIT ?`).pluck().all(...values, limit) as string[];
    return docs.map((d) => JSON.parse(d) as JobRecord);
  }

  /** Bytes of Standard archive retrievals created since `since`, across all vaults. */
  standardBytesSince(since: number): number {
    return this.#s("SELECT coalesce(sum(output_size), 0) FROM jobs WHERE action = 'ArchiveRetrieval' AND tier = 'Standard' AND created >= ?").pluck().get(since) as number;
  }

  /** Removes up to `limit` jobs that completed before `before`; returns the blob keys that lost a reference. */
  purgeJobs(before: number, limit: number): string[] {
    const gone = this.#s('SELECT vault, id FROM jobs WHERE completes_at <= ? LIMIT ?').all(before, limit) as Array<{ vault: string; id: string }>;
    const released: string[] = [];
    for (const j of gone) {
      released.push(...this.#dropRefs(owner('j', j.vault, j.id)));
      this.#s('DELETE FROM jobs WHERE vault = ? AND id = ?').run(j.vault, j.id);
    }
    return released;
  }

  // ---- blob references ----

  #addRefs(ref: string, segments: readonly { key: string }[]): void {
    for (const s of segments) if (isStoredKey(s.key)) this.#s('INSERT OR IGNORE INTO blob_refs(key, owner) VALUES (?, ?)').run(s.key, ref);
  }

  #dropRefs(ref: string): string[] {
    const keys = this.#s('SELECT key FROM blob_refs WHERE owner = ?').pluck().all(ref) as string[];
    this.#s('DELETE FROM blob_refs WHERE owner = ?').run(ref);
    return keys;
  }

  #dropRefsWithPrefix(prefix: string): string[] {
    const end = `${prefix.slice(0, -1)}0`; // '/' + 1
    const keys = this.#s('SELECT key FROM blob_refs WHERE owner >= ? AND owner < ?').pluck().all(prefix, end) as string[];
    this.#s('DELETE FROM blob_refs WHERE owner >= ? AND owner < ?').run(prefix, end);
    return keys;
  }

  /** True while something references the blob. */
  isReferenced(key: string): boolean {
    return this.#s('SELECT 1 FROM blob_refs WHERE key = ? LIMIT 1').pluck().get(key) !== undefined;
  }
}
