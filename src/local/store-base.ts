/**
 * The database under the metadata store (see `store.ts`): opening it with its
 * exclusive lock, prepared statements, transactions, account-level values and
 * blob references. `store-work.ts` and `store.ts` build the tables' methods on it.
 *
 * @module
 */
import Database from 'better-sqlite3';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';

/** The owner string of a blob reference: `a/VAULT/ID` (archive), `p/VAULT/UPLOAD/START` (part), `j/VAULT/ID` (job output). */
export function owner(kind: 'a' | 'p' | 'j', vault: string, id: string, extra?: number): string {
  return extra === undefined ? `${kind}/${vault}/${id}` : `${kind}/${vault}/${id}/${extra}`;
}

/** True for keys of stored blobs (synthetic archives have generated keys and no blob). */
export function isStoredKey(key: string): boolean {
  return !key.startsWith('syn-');
}

/** The database, its statements and its blob references. */
export class StoreBase {
  protected readonly db: Database.Database;
  private readonly stmts = new Map<string, Database.Statement>();

  /**
   * Opens (creating if needed) the database at `path`, or an in-memory one for `:memory:`.
   * Throws when another process (or another endpoint in this one) holds it.
   */
  constructor(path: string) {
    this.db = new Database(path, { timeout: 0 });
    try {
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('cache_size = -65536');
      this.db.pragma('foreign_keys = OFF');
      // The first write takes the exclusive lock and keeps it until close.
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec(SCHEMA);
      const version = this.db.prepare("SELECT value FROM meta WHERE key = 'version'").pluck().get() as string | undefined;
      if (version === undefined) this.db.prepare("INSERT INTO meta(key, value) VALUES ('version', ?)").run(String(SCHEMA_VERSION));
      else if (Number(version) !== SCHEMA_VERSION) throw new Error(`Unsupported metadata format version ${version} (this endpoint reads version ${SCHEMA_VERSION}).`);
      this.db.exec('COMMIT');
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') throw Object.assign(new Error('The metadata database is locked by another endpoint.'), { code: 'EBUSY' });
      throw err;
    }
  }

  protected s(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /**
   * Runs `fn` in one transaction and commits it durably. When `fn` or the
   * commit throws, everything `fn` changed is rolled back and the error is rethrown.
   * `beforeCommit` runs last inside the transaction (fault injection hooks in here).
   */
  transaction<T>(fn: () => T, beforeCommit?: () => void): T {
    return this.db.transaction(() => {
      const result = fn();
      beforeCommit?.();
      return result;
    })();
  }

  /** Closes the database (and releases its lock). */
  close(): void {
    if (this.db.open) this.db.close();
  }

  /** A JSON value of the account (data retrieval policy, capacity). */
  protected meta<T>(key: string, fallback: T): T {
    const v = this.s('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
    return v === undefined ? fallback : (JSON.parse(v) as T);
  }

  protected setMeta(key: string, value: unknown): void {
    this.s('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }

  // ---- blob references ----

  protected addRefs(ref: string, segments: readonly { key: string }[]): void {
    for (const s of segments) if (isStoredKey(s.key)) this.s('INSERT OR IGNORE INTO blob_refs(key, owner) VALUES (?, ?)').run(s.key, ref);
  }

  protected dropRefs(ref: string): string[] {
    const keys = this.s('SELECT key FROM blob_refs WHERE owner = ?').pluck().all(ref) as string[];
    this.s('DELETE FROM blob_refs WHERE owner = ?').run(ref);
    return keys;
  }

  protected dropRefsWithPrefix(prefix: string): string[] {
    const end = `${prefix.slice(0, -1)}0`; // '/' + 1
    const keys = this.s('SELECT key FROM blob_refs WHERE owner >= ? AND owner < ?').pluck().all(prefix, end) as string[];
    this.s('DELETE FROM blob_refs WHERE owner >= ? AND owner < ?').run(prefix, end);
    return keys;
  }

  /** True while something references the blob. */
  isReferenced(key: string): boolean {
    return this.s('SELECT 1 FROM blob_refs WHERE key = ? LIMIT 1').pluck().get(key) !== undefined;
  }
}
