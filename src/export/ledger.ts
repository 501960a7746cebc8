/**
 * The export ledger: what a whole-vault export has planned and done, kept
 * so that an export can stop at any moment (Ctrl-C, `kill -9`, a reboot) and
 * the same command continues where it stopped, days later.
 *
 * The runner sees only the {@link ExportLedger} interface; this module's
 * {@link SqliteLedger} keeps it in an embedded SQLite database (through
 * `better-sqlite3`, as the local endpoint does). SQLite because every change
 * is one small transaction, committed and fsynced before the runner acts on
 * it, and because the same tables carry over to the PostgreSQL ledger that
 * lets many workers share one export.
 *
 * Schema (`ledger.sqlite`):
 *
 * | table | columns | what |
 * |---|---|---|
 * | `meta` | `key`, `value` (JSON) | the export's identity: vault, account, inventory job, options |
 * | `archives` | `archive_id` (key), `name`, `size`, `tree_hash`, `created`, `mtime`, `state`, `job_id`, `job_started_at`, `attempts`, `error`, `updated_at` | one row per archive of the plan |
 * | `spend` | `at`, `bytes`, `archive_id` | each retrieval started, for the rolling 24 h budget |
 *
 * An archive's `state` goes `pending` → `starting` (a retrieval is about to be
 * initiated) → `requested` (with its job id and time) → `verified` (its file
 * is in place and matched its tree hash) → `deleted` (with deleteAfterVerify);
 * or to `failed` with the reason, after too many attempts. `starting` exists
 * so that a crash between InitiateJob and its record never starts a second
 * retrieval: the next run finds the job by listing the vault's jobs.
 *
 * @module
 */
import Database from 'better-sqlite3';

/** An archive's state in the ledger. */
export type ArchiveState = 'pending' | 'starting' | 'requested' | 'verified' | 'deleted' | 'failed';

/** One archive of the plan. */
export interface LedgerArchive {
  /** The archive id. */
  archiveId: string;
  /** Its file's path relative to the export's target. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** The inventory's SHA256TreeHash. */
  treeHash: string;
  /** The inventory's CreationDate (ISO 8601). */
  created: string;
  /** Modification time from the description, ms since the epoch, or null. */
  mtime: number | null;
  /** Where it stands. */
  state: ArchiveState;
  /** Its retrieval job, from `requested` on. */
  jobId: string | null;
  /** When that job was started (export clock, ms). */
  jobStartedAt: number | null;
  /** Retrievals started for it so far. */
  attempts: number;
  /** Why it failed, or the last retryable error. */
  error: string | null;
}

/** A number of archives and their bytes. */
export interface ArchiveTally {
  /** Archives. */
  archives: number;
  /** Their total size in bytes. */
  bytes: number;
}

/** An archive as the plan records it. */
export type PlannedArchive = Omit<LedgerArchive, 'state' | 'jobId' | 'jobStartedAt' | 'attempts' | 'error'>;

/** Counts of archives and bytes per state. */
export type LedgerCounts = Record<ArchiveState, ArchiveTally>;

/** All retrievals started by an export. */
export interface SpendTotal {
  /** Retrieval requests. */
  requests: number;
  /** Bytes they retrieve. */
  bytes: number;
}

/** A retrieval recorded against the budget. */
export interface Spend {
  /** When it started (export clock, ms). */
  at: number;
  /** Bytes retrieved. */
  bytes: number;
}

/** What the export runner needs of a ledger. */
export interface ExportLedger {
  /** A value of the export's identity, or undefined. */
  getMeta<T>(key: string): T | undefined;
  /** Sets a value of the export's identity. */
  setMeta(key: string, value: unknown): void;
  /** True once the plan (every archive) is recorded. */
  planned(): boolean;
  /** Adds archives to the plan, `pending` (archives already in it are left as they are); one transaction. */
  addToPlan(archives: Iterable<PlannedArchive>): void;
  /** Marks the plan complete: every archive of the inventory is in it. */
  completePlan(): void;
  /** Every archive, oldest first, read in batches (never all in memory). */
  all(): Iterable<LedgerArchive>;
  /** Archives in these states, oldest first (by CreationDate, then id), at most `limit`. */
  inState(states: readonly ArchiveState[], limit?: number): LedgerArchive[];
  /** One archive. */
  archive(archiveId: string): LedgerArchive | undefined;
  /** Moves an archive to `state`, with the given fields. */
  update(archiveId: string, state: ArchiveState, fields?: Partial<Pick<LedgerArchive, 'jobId' | 'jobStartedAt' | 'attempts' | 'error'>>): void;
  /** Records bytes of retrieval started at `at`. */
  spend(at: number, bytes: number, archiveId: string): void;
  /** Bytes of retrieval started at or after `since`. */
  spentSince(since: number): number;
  /** Retrievals started so far (all runs), and their bytes. */
  spentTotal(): SpendTotal;
  /** The oldest spend at or after `since`, if any (when the window next frees budget). */
  oldestSpendSince(since: number): Spend | undefined;
  /** Archives and bytes per state. */
  counts(): LedgerCounts;
  /** Closes the ledger. */
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS archives (
  archive_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  tree_hash TEXT NOT NULL,
  created TEXT NOT NULL,
  mtime INTEGER,
  state TEXT NOT NULL,
  job_id TEXT,
  job_started_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS archives_by_state ON archives (state, created, archive_id);
CREATE INDEX IF NOT EXISTS archives_by_creation ON archives (created, archive_id);
CREATE TABLE IF NOT EXISTS spend (at INTEGER NOT NULL, bytes INTEGER NOT NULL, archive_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS spend_by_time ON spend (at);
`;

const STATES: readonly ArchiveState[] = ['pending', 'starting', 'requested', 'verified', 'deleted', 'failed'];

interface Row {
  archive_id: string;
  name: string;
  size: number;
  tree_hash: string;
  created: string;
  mtime: number | null;
  state: ArchiveState;
  job_id: string | null;
  job_started_at: number | null;
  attempts: number;
  error: string | null;
}

function fromRow(r: Row): LedgerArchive {
  return {
    archiveId: r.archive_id,
    name: r.name,
    size: r.size,
    treeHash: r.tree_hash,
    created: r.created,
    mtime: r.mtime,
    state: r.state,
    jobId: r.job_id,
    jobStartedAt: r.job_started_at,
    attempts: r.attempts,
    error: r.error,
  };
}

/** A ledger in a SQLite file (see the module's schema). One export (one process) uses it at a time. */
export class SqliteLedger implements ExportLedger {
  readonly #db: Database.Database;
  /** Counts per state, kept in step with every change once read (one process holds the ledger). */
  #counts: LedgerCounts | undefined;

  /** Opens or creates the ledger at `path`. Throws when another export holds it. */
  constructor(path: string) {
    this.#db = new Database(path, { timeout: 0 });
    try {
      this.#db.pragma('locking_mode = EXCLUSIVE');
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = FULL');
      this.#db.exec('BEGIN IMMEDIATE');
      this.#db.exec(SCHEMA);
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      this.#db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw Object.assign(new Error(`The export ledger ${path} is in use by another export. Stop it first, or give another ledger.`), { code: 'EBUSY' });
      }
      throw err;
    }
  }

  /** {@inheritDoc ExportLedger.getMeta} */
  getMeta<T>(key: string): T | undefined {
    const v = this.#db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
    return v === undefined ? undefined : (JSON.parse(v) as T);
  }

  /** {@inheritDoc ExportLedger.setMeta} */
  setMeta(key: string, value: unknown): void {
    this.#db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }

  /** {@inheritDoc ExportLedger.planned} */
  planned(): boolean {
    return this.getMeta<boolean>('planned') === true;
  }

  /** {@inheritDoc ExportLedger.addToPlan} */
  addToPlan(archives: Iterable<PlannedArchive>): void {
    const insert = this.#db.prepare(
      "INSERT OR IGNORE INTO archives(archive_id, name, size, tree_hash, created, mtime, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)",
    );
    this.#db.transaction(() => {
      const now = Date.now();
      for (const a of archives) insert.run(a.archiveId, a.name, a.size, a.treeHash, a.created, a.mtime, now);
    })();
    this.#counts = undefined;
  }

  /** {@inheritDoc ExportLedger.completePlan} */
  completePlan(): void {
    this.setMeta('planned', true);
  }

  /** {@inheritDoc ExportLedger.all} */
  *all(): Iterable<LedgerArchive> {
    let after = { created: '', id: '' };
    for (;;) {
      const rows = this.#db.prepare('SELECT * FROM archives WHERE (created, archive_id) > (?, ?) ORDER BY created, archive_id LIMIT 5000').all(after.created, after.id) as Row[];
      for (const r of rows) yield fromRow(r);
      const last = rows.at(-1);
      if (!last || rows.length < 5000) return;
      after = { created: last.created, id: last.archive_id };
    }
  }

  /** {@inheritDoc ExportLedger.inState} */
  inState(states: readonly ArchiveState[], limit = -1): LedgerArchive[] {
    const rows = this.#db
      .prepare(`SELECT * FROM archives WHERE state IN (${states.map(() => '?').join(', ')}) ORDER BY created, archive_id LIMIT ?`)
      .all(...states, limit) as Row[];
    return rows.map(fromRow);
  }

  /** {@inheritDoc ExportLedger.archive} */
  archive(archiveId: string): LedgerArchive | undefined {
    const r = this.#db.prepare('SELECT * FROM archives WHERE archive_id = ?').get(archiveId) as Row | undefined;
    return r && fromRow(r);
  }

  /** {@inheritDoc ExportLedger.update} */
  update(archiveId: string, state: ArchiveState, fields: Partial<Pick<LedgerArchive, 'jobId' | 'jobStartedAt' | 'attempts' | 'error'>> = {}): void {
    const sets = ['state = ?', 'updated_at = ?'];
    const values: unknown[] = [state, Date.now()];
    const columns: Record<string, string> = { jobId: 'job_id', jobStartedAt: 'job_started_at', attempts: 'attempts', error: 'error' };
    for (const [k, v] of Object.entries(fields)) {
      sets.push(`${columns[k]!} = ?`);
      values.push(v);
    }
    const before = this.#db.prepare('SELECT state, size FROM archives WHERE archive_id = ?').get(archiveId) as { state: ArchiveState; size: number } | undefined;
    if (!before) throw new Error(`The ledger has no archive ${archiveId}.`);
    this.#db.prepare(`UPDATE archives SET ${sets.join(', ')} WHERE archive_id = ?`).run(...values, archiveId);
    if (this.#counts) {
      this.#counts[before.state].archives--;
      this.#counts[before.state].bytes -= before.size;
      this.#counts[state].archives++;
      this.#counts[state].bytes += before.size;
    }
  }

  /** {@inheritDoc ExportLedger.spend} */
  spend(at: number, bytes: number, archiveId: string): void {
    this.#db.prepare('INSERT INTO spend(at, bytes, archive_id) VALUES (?, ?, ?)').run(at, bytes, archiveId);
  }

  /** {@inheritDoc ExportLedger.spentSince} */
  spentSince(since: number): number {
    return this.#db.prepare('SELECT coalesce(sum(bytes), 0) FROM spend WHERE at >= ?').pluck().get(since) as number;
  }

  /** {@inheritDoc ExportLedger.spentTotal} */
  spentTotal(): SpendTotal {
    return this.#db.prepare('SELECT count(*) AS requests, coalesce(sum(bytes), 0) AS bytes FROM spend').get() as SpendTotal;
  }

  /** {@inheritDoc ExportLedger.oldestSpendSince} */
  oldestSpendSince(since: number): Spend | undefined {
    return this.#db.prepare('SELECT at, bytes FROM spend WHERE at >= ? ORDER BY at LIMIT 1').get(since) as Spend | undefined;
  }

  /** {@inheritDoc ExportLedger.counts} */
  counts(): LedgerCounts {
    if (!this.#counts) {
      const counts = Object.fromEntries(STATES.map((s) => [s, { archives: 0, bytes: 0 }])) as LedgerCounts;
      const rows = this.#db.prepare('SELECT state, count(*) AS n, coalesce(sum(size), 0) AS b FROM archives GROUP BY state').all() as Array<{ state: ArchiveState; n: number; b: number }>;
      for (const r of rows) counts[r.state] = { archives: r.n, bytes: r.b };
      this.#counts = counts;
    }
    return structuredClone(this.#counts);
  }

  /** {@inheritDoc ExportLedger.close} */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
