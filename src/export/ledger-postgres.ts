/**
 * The shared ledger: a PostgreSQL database that any number of export
 * workers, on any number of machines, use as one export. Same schema and
 * same statements as the embedded ledger (`ledger-sql.ts`); claims take rows
 * with `FOR UPDATE SKIP LOCKED`, start claims (which check the global
 * budget) run one at a time under a transaction-scoped advisory lock, and
 * planning holds a session advisory lock, released by PostgreSQL itself if
 * the planning worker dies.
 *
 * Plain `pg` (node-postgres) rather than a queue library (pg-boss,
 * graphile-worker): the ledger already is the queue (one row per archive,
 * with its state), and a queue library's own tables would duplicate it and
 * could not check the budget and the job cap in the same transaction as the
 * claim.
 *
 * @module
 */
import pg from 'pg';
import { LEDGER_ADDED_COLUMNS, LEDGER_SCHEMA, SqlLedger, type SqlDriver, type SqlQuery } from './ledger-sql.js';

/** The first key of every advisory lock the ledger takes ("glac"). */
const LOCK_SPACE = 0x676c6163;

/** `?` placeholders to PostgreSQL's `$n`. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** BIGINT (20) and NUMERIC (1700, from sums) as numbers: sizes and times stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 || oid === 1700 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** A connection string without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable connection string)';
  }
}

class PostgresDriver implements SqlDriver {
  readonly lockRows = 'FOR UPDATE SKIP LOCKED';

  constructor(
    readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    return (await this.pool.query(numbered(sql), params as unknown[])).rows as R[];
  }

  async transaction<T>(fn: (q: SqlQuery) => Promise<T>, exclusive = false): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      if (exclusive) await client.query("SELECT pg_advisory_xact_lock($1, hashtext('start'))", [LOCK_SPACE]);
      const result = await fn({ query: async (sql, params = []) => (await client.query(numbered(sql), params as unknown[])).rows });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [LOCK_SPACE, name]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [LOCK_SPACE, name]).catch(() => undefined);
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Options of {@link PostgresLedger.connect}. */
export interface PostgresLedgerOptions {
  /** Connections this worker keeps open (default 4). */
  maxConnections?: number;
}

/** A ledger in a PostgreSQL database, shared by every worker given the same connection string. */
export class PostgresLedger extends SqlLedger {
  /**
   * Connects to `url` (`postgres://user:password@host:port/database`; a
   * schema of its own with `?options=-csearch_path%3Dmy_export`) and
   * creates the ledger's tables if they are missing.
   */
  static async connect(url: string, options: PostgresLedgerOptions = {}): Promise<PostgresLedger> {
    const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 4, types });
    // An idle connection that fails (the server restarted) must not end the process; the next query reports it.
    pool.on('error', () => undefined);
    const driver = new PostgresDriver(pool, redactUrl(url));
    try {
      await driver.withLock('schema', async () => {
        for (const statement of LEDGER_SCHEMA) await driver.query(statement);
        for (const [name, definition] of LEDGER_ADDED_COLUMNS) await driver.query(`ALTER TABLE archives ADD COLUMN IF NOT EXISTS ${name} ${definition}`);
      });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new Error(`Could not open the export ledger at ${driver.location}: ${(err as Error).message}`, { cause: err });
    }
    return new PostgresLedger(driver);
  }
}
