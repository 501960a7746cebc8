/**
 * The embedded ledger: one SQLite file (through `better-sqlite3`, as the
 * local endpoint uses), held by one process at a time. Every change is a
 * small transaction, committed and fsynced before the runner acts on it.
 *
 * @module
 */
import Database from 'better-sqlite3';
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { LedgerCounts, LedgerWorker } from './ledger.js';
import { LEDGER_ADDED_COLUMNS, LEDGER_SCHEMA, SqlLedger, type SqlDriver, type SqlQuery } from './ledger-sql.js';

/** better-sqlite3 behind the ledger's driver: statements run one at a time, in order, each transaction whole. */
class SqliteDriver implements SqlDriver {
  readonly lockRows = '';
  readonly #db: Database.Database;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #direct: SqlQuery = { query: async (sql, params) => this.#run(sql, params) };

  constructor(readonly location: string) {
    this.#db = new Database(location, { timeout: 0 });
    try {
      this.#db.pragma('locking_mode = EXCLUSIVE');
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = FULL');
      this.#db.exec('BEGIN IMMEDIATE');
      for (const statement of LEDGER_SCHEMA) this.#db.exec(statement);
      const have = new Set((this.#db.pragma('table_info(archives)') as Array<{ name: string }>).map((c) => c.name));
      for (const [name, definition] of LEDGER_ADDED_COLUMNS) if (!have.has(name)) this.#db.exec(`ALTER TABLE archives ADD COLUMN ${name} ${definition}`);
      // The file is held by this process alone: any lease in it was a dead process's.
      this.#db.exec('UPDATE archives SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL');
      this.#db.exec('COMMIT');
    } catch (err) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      this.#db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw Object.assign(new Error(`The export ledger ${location} is in use by another export. Stop it first, or give another ledger.`), { code: 'EBUSY' });
      }
      throw err;
    }
  }

  #run<R>(sql: string, params: readonly unknown[] = []): R[] {
    const statement = this.#db.prepare(sql);
    if (statement.reader) return statement.all(...params) as R[];
    statement.run(...params);
    return [];
  }

  /** Runs `fn` after everything queued before it, alone. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(fn);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.#serial(async () => this.#run<R>(sql, params));
  }

  transaction<T>(fn: (q: SqlQuery) => Promise<T>): Promise<T> {
    return this.#serial(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#direct);
        this.#db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** One process holds the file: the lock is already ours. */
  withLock<T>(_name: string, fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  async close(): Promise<void> {
    await this.#queue;
    if (this.#db.open) this.#db.close();
  }
}

/** What a running export last published of its SQLite ledger, for `--status` while the file is held. */
export interface LedgerSnapshot {
  /** When it was written (ms since the epoch). */
  at: number;
  /** The vault exported (`account/name`). */
  vault: string | undefined;
  /** Where it is exported to. */
  destination: string | undefined;
  /** Archives and bytes per state. */
  counts: LedgerCounts;
  /** The workers that joined, with their last heartbeat. */
  workers: LedgerWorker[];
}

/** Where the snapshot of the ledger at `path` is written. */
export function snapshotPath(path: string): string {
  return `${path}.status.json`;
}

/** The snapshot a running export wrote of the ledger at `path`, if any. */
export async function readLedgerSnapshot(path: string): Promise<LedgerSnapshot | undefined> {
  const text = await readFile(snapshotPath(path), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as LedgerSnapshot;
  } catch {
    return undefined;
  }
}

/**
 * A ledger in a SQLite file (see the `ledger` module for the schema). One
 * process uses it at a time: the file is locked (SQLite's exclusive locking
 * mode, which also keeps WAL working on network file systems). So that
 * `glacier export --status` can read it meanwhile, each heartbeat (at most
 * every 2 s) also writes a snapshot of the counts and workers beside it
 * (`ledger.sqlite.status.json`, replaced atomically).
 */
export class SqliteLedger extends SqlLedger {
  readonly #path: string;
  #snapshotAt = 0;

  /** Opens or creates the ledger at `path`. Throws (code `EBUSY`) when another export holds it. */
  constructor(path: string) {
    super(new SqliteDriver(path));
    this.#path = path;
  }

  /** Records a worker's heartbeat (see {@link ExportLedger.heartbeat}), and writes the snapshot for readers, at most every 2 s. */
  override async heartbeat(worker: Omit<LedgerWorker, 'heartbeatAt' | 'done'>, done = 0): Promise<void> {
    await super.heartbeat(worker, done);
    if (Date.now() - this.#snapshotAt < 2000) return;
    this.#snapshotAt = Date.now();
    const snapshot: LedgerSnapshot = {
      at: Date.now(),
      vault: await this.getMeta<string>('vault'),
      destination: await this.getMeta<string>('destination'),
      counts: await this.counts(0),
      workers: await this.workers(),
    };
    const path = snapshotPath(this.#path);
    await writeFile(`${path}.tmp`, JSON.stringify(snapshot));
    await rename(`${path}.tmp`, path);
  }
}
