/**
 * The ledger's one implementation: the schema and every statement, over a
 * small driver that an embedded SQLite file and a PostgreSQL database both
 * provide. Statements use `?` placeholders and SQL both engines speak; the
 * only difference a driver adds is row locking (`FOR UPDATE SKIP LOCKED` on
 * PostgreSQL, where claims race between workers) and the lock that
 * serialises start claims (one writer at a time on SQLite anyway).
 *
 * @module
 */
import { DAY_MS } from './pacing.js';
import {
  ARCHIVE_STATES,
  type ArchiveState,
  type ExportLedger,
  type LedgerArchive,
  type LedgerCounts,
  type LedgerFields,
  type LedgerWorker,
  type PlannedArchive,
  type SpendTotal,
  type StartClaim,
  type StartClaimed,
  type StartWait,
} from './ledger.js';

/** Runs statements; `?` placeholders. */
export interface SqlQuery {
  /** Runs one statement and returns its rows. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/** What a database offers the ledger. */
export interface SqlDriver extends SqlQuery {
  /** Where it lives, for messages (no password). */
  readonly location: string;
  /** Appended to a claim's SELECT: `FOR UPDATE SKIP LOCKED`, or nothing. */
  readonly lockRows: string;
  /** Runs `fn` in one transaction; with `exclusive`, while no other worker runs an exclusive one. */
  transaction<T>(fn: (q: SqlQuery) => Promise<T>, exclusive?: boolean): Promise<T>;
  /** Runs `fn` holding a lock no other worker's `withLock(name)` holds at the same time (for a long task). */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Closes the connection(s). */
  close(): Promise<void>;
}

/** The schema, in SQL both engines take. */
export const LEDGER_SCHEMA = [
  'CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
  `CREATE TABLE IF NOT EXISTS archives (
    archive_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    size BIGINT NOT NULL,
    tree_hash TEXT NOT NULL,
    created TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    mtime BIGINT,
    state TEXT NOT NULL,
    job_id TEXT,
    job_started_at BIGINT,
    job_ready INTEGER NOT NULL DEFAULT 0,
    present INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    lease_owner TEXT,
    lease_until BIGINT,
    updated_at BIGINT NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS archives_by_state ON archives (state, created, archive_id)',
  'CREATE INDEX IF NOT EXISTS archives_by_creation ON archives (created, archive_id)',
  'CREATE INDEX IF NOT EXISTS archives_by_job ON archives (job_id)',
  'CREATE INDEX IF NOT EXISTS archives_by_name ON archives (name)',
  'CREATE TABLE IF NOT EXISTS spend (at BIGINT NOT NULL, bytes BIGINT NOT NULL, archive_id TEXT NOT NULL)',
  'CREATE INDEX IF NOT EXISTS spend_by_time ON spend (at)',
  `CREATE TABLE IF NOT EXISTS workers (
    worker_id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    activity TEXT NOT NULL,
    done BIGINT NOT NULL DEFAULT 0
  )`,
];

/** Columns added since the first ledgers, with their definitions (added when missing). */
export const LEDGER_ADDED_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['description', "TEXT NOT NULL DEFAULT ''"],
  ['job_ready', 'INTEGER NOT NULL DEFAULT 0'],
  ['present', 'INTEGER NOT NULL DEFAULT 0'],
  ['failures', 'INTEGER NOT NULL DEFAULT 0'],
  ['lease_owner', 'TEXT'],
  ['lease_until', 'BIGINT'],
];

interface Row {
  archive_id: string;
  name: string;
  size: number;
  tree_hash: string;
  created: string;
  description: string;
  mtime: number | null;
  state: ArchiveState;
  job_id: string | null;
  job_started_at: number | null;
  job_ready: number;
  present: number;
  attempts: number;
  failures: number;
  error: string | null;
  lease_owner: string | null;
  lease_until: number | null;
}

function fromRow(r: Row): LedgerArchive {
  return {
    archiveId: r.archive_id,
    name: r.name,
    size: r.size,
    treeHash: r.tree_hash,
    created: r.created,
    description: r.description,
    mtime: r.mtime,
    state: r.state,
    jobId: r.job_id,
    jobStartedAt: r.job_started_at,
    jobReady: r.job_ready === 1,
    present: r.present === 1,
    attempts: r.attempts,
    failures: r.failures,
    error: r.error,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until,
  };
}

const COLUMNS: Record<keyof LedgerFields, string> = {
  name: 'name',
  jobId: 'job_id',
  jobStartedAt: 'job_started_at',
  jobReady: 'job_ready',
  present: 'present',
  attempts: 'attempts',
  failures: 'failures',
  error: 'error',
  leaseOwner: 'lease_owner',
  leaseUntil: 'lease_until',
};

const ORDER = 'ORDER BY created, archive_id';
const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/** The ledger over a {@link SqlDriver}; see the `ledger` module for the schema and states. */
export class SqlLedger implements ExportLedger {
  #counts: { at: number; counts: LedgerCounts } | undefined;

  /** @param driver - The database. */
  constructor(protected readonly driver: SqlDriver) {}

  /** {@inheritDoc ExportLedger.location} */
  get location(): string {
    return this.driver.location;
  }

  /** {@inheritDoc ExportLedger.getMeta} */
  async getMeta<T>(key: string): Promise<T | undefined> {
    const [row] = await this.driver.query<{ value: string }>('SELECT value FROM meta WHERE key = ?', [key]);
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  /** {@inheritDoc ExportLedger.setMeta} */
  async setMeta(key: string, value: unknown): Promise<void> {
    await this.driver.query('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', [key, JSON.stringify(value)]);
  }

  /** {@inheritDoc ExportLedger.compareAndSetMeta} */
  async compareAndSetMeta(key: string, expected: unknown, value: unknown): Promise<boolean> {
    const rows =
      expected === undefined
        ? await this.driver.query('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING RETURNING key', [key, JSON.stringify(value)])
        : await this.driver.query('UPDATE meta SET value = ? WHERE key = ? AND value = ? RETURNING key', [JSON.stringify(value), key, JSON.stringify(expected)]);
    return rows.length === 1;
  }

  /** {@inheritDoc ExportLedger.withPlanLock} */
  withPlanLock<T>(fn: () => Promise<T>): Promise<T> {
    return this.driver.withLock('plan', fn);
  }

  /** {@inheritDoc ExportLedger.planned} */
  async planned(): Promise<boolean> {
    return (await this.getMeta<boolean>('planned')) === true;
  }

  /** {@inheritDoc ExportLedger.addToPlan} */
  async addToPlan(archives: readonly PlannedArchive[]): Promise<void> {
    const now = Date.now();
    await this.driver.transaction(async (q) => {
      // Rows of 400 per statement: few round trips, under both engines' limits on parameters.
      for (let i = 0; i < archives.length; i += 400) {
        const chunk = archives.slice(i, i + 400);
        const values = chunk.flatMap((a) => [a.archiveId, a.name, a.size, a.treeHash, a.created, a.description, a.mtime, now]);
        await q.query(
          `INSERT INTO archives(archive_id, name, size, tree_hash, created, description, mtime, state, updated_at) VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, 'pending', ?)").join(', ')} ON CONFLICT(archive_id) DO NOTHING`,
          values,
        );
      }
    });
    this.#counts = undefined;
  }

  /** {@inheritDoc ExportLedger.completePlan} */
  async completePlan(): Promise<void> {
    await this.setMeta('planned', true);
  }

  /** {@inheritDoc ExportLedger.all} */
  async *all(): AsyncIterable<LedgerArchive> {
    let after = { created: '', id: '' };
    for (;;) {
      const rows = await this.driver.query<Row>(`SELECT * FROM archives WHERE (created, archive_id) > (?, ?) ${ORDER} LIMIT 5000`, [after.created, after.id]);
      for (const r of rows) yield fromRow(r);
      const last = rows.at(-1);
      if (!last || rows.length < 5000) return;
      after = { created: last.created, id: last.archive_id };
    }
  }

  /** {@inheritDoc ExportLedger.inState} */
  async inState(states: readonly ArchiveState[], limit?: number): Promise<LedgerArchive[]> {
    const rows = await this.driver.query<Row>(
      `SELECT * FROM archives WHERE state IN (${marks(states.length)}) ${ORDER}${limit === undefined ? '' : ' LIMIT ?'}`,
      limit === undefined ? states : [...states, limit],
    );
    return rows.map(fromRow);
  }

  /** {@inheritDoc ExportLedger.archive} */
  async archive(archiveId: string): Promise<LedgerArchive | undefined> {
    const [r] = await this.driver.query<Row>('SELECT * FROM archives WHERE archive_id = ?', [archiveId]);
    return r && fromRow(r);
  }

  /** {@inheritDoc ExportLedger.update} */
  async update(archiveId: string, state: ArchiveState, fields: LedgerFields = {}, owner?: string): Promise<boolean> {
    const sets = ['state = ?', 'updated_at = ?'];
    const values: unknown[] = [state, Date.now()];
    for (const [k, v] of Object.entries(fields) as Array<[keyof LedgerFields, unknown]>) {
      sets.push(`${COLUMNS[k]} = ?`);
      values.push(typeof v === 'boolean' ? Number(v) : v);
    }
    const rows = await this.driver.query(
      `UPDATE archives SET ${sets.join(', ')} WHERE archive_id = ?${owner === undefined ? '' : ' AND lease_owner = ?'} RETURNING archive_id`,
      owner === undefined ? [...values, archiveId] : [...values, archiveId, owner],
    );
    if (rows.length === 0 && owner === undefined) throw new Error(`The ledger has no archive ${archiveId}.`);
    this.#counts = undefined;
    return rows.length === 1;
  }

  /** {@inheritDoc ExportLedger.claimStart} */
  async claimStart(c: StartClaim): Promise<LedgerArchive | StartWait> {
    const { archives, wait } = await this.claimStarts({ ...c, limit: 1 });
    return archives[0] ?? wait!;
  }

  /** {@inheritDoc ExportLedger.claimStarts} */
  async claimStarts(c: StartClaim): Promise<StartClaimed> {
    const limit = Math.max(1, c.limit ?? 1);
    const result = await this.driver.transaction(async (q): Promise<StartClaimed> => {
      const [state] = await q.query<{ backoff: string | null; n: number }>(
        "SELECT (SELECT value FROM meta WHERE key = 'backoffUntil') AS backoff, (SELECT count(*) FROM archives WHERE state IN ('starting', 'requested')) AS n",
      );
      const until = state!.backoff === null ? 0 : (JSON.parse(state!.backoff) as number);
      if (c.now < until) return { archives: [], wait: { wait: 'backoff', until } };
      const room = c.maxJobsInFlight - state!.n;
      if (room <= 0) return { archives: [], wait: { wait: 'jobs' } };
      const rows = await q.query<Row>(`SELECT * FROM archives WHERE state = 'pending' ${ORDER} LIMIT ? ${this.driver.lockRows}`, [Math.min(limit, room)]);
      let wait: StartWait | undefined = rows.length < limit ? (rows.length === room ? { wait: 'jobs' } : { wait: 'none' }) : undefined;
      let chosen = rows;
      if (c.bytesPerDay !== undefined && rows.length > 0) {
        const [spent] = await q.query<{ b: number; oldest: number | null }>('SELECT coalesce(sum(bytes), 0) AS b, min(at) AS oldest FROM spend WHERE at >= ?', [c.now - DAY_MS]);
        let total = spent!.b;
        chosen = [];
        for (const r of rows) {
          // An archive larger than the whole budget starts alone, so none waits forever.
          if (total > 0 && total + r.size > c.bytesPerDay) {
            const oldest = spent!.oldest ?? c.now;
            wait = { wait: 'budget', until: oldest + DAY_MS + 1 };
            break;
          }
          total += r.size;
          chosen.push(r);
        }
      }
      if (chosen.length === 0) return { archives: [], wait: wait ?? { wait: 'none' } };
      const ids = chosen.map((r) => r.archive_id);
      await q.query(`UPDATE archives SET state = 'starting', lease_owner = ?, lease_until = ?, updated_at = ? WHERE archive_id IN (${marks(ids.length)})`, [c.worker, c.leaseUntil, Date.now(), ...ids]);
      await q.query(`INSERT INTO spend(at, bytes, archive_id) VALUES ${chosen.map(() => '(?, ?, ?)').join(', ')}`, chosen.flatMap((r) => [c.now, r.size, r.archive_id]));
      return { archives: chosen.map((r) => fromRow({ ...r, state: 'starting', lease_owner: c.worker, lease_until: c.leaseUntil })), ...(wait ? { wait } : {}) };
    }, true);
    if (result.archives.length > 0) this.#counts = undefined;
    return result;
  }

  /** {@inheritDoc ExportLedger.refund} */
  async refund(archiveId: string): Promise<void> {
    await this.driver.query('DELETE FROM spend WHERE archive_id = ? AND at = (SELECT max(at) FROM spend WHERE archive_id = ?)', [archiveId, archiveId]);
  }

  /** {@inheritDoc ExportLedger.claim} */
  async claim(state: ArchiveState, worker: string, leaseUntil: number, now: number, limit: number, jobReady?: boolean): Promise<LedgerArchive[]> {
    return this.driver.transaction(async (q) => {
      const ready = jobReady === undefined ? '' : ` AND job_ready = ${jobReady ? 1 : 0}`;
      const rows = await q.query<Row>(
        `SELECT * FROM archives WHERE state = ?${ready} AND (lease_until IS NULL OR lease_until < ?) ${ORDER} LIMIT ? ${this.driver.lockRows}`,
        [state, now, limit],
      );
      if (rows.length === 0) return [];
      await q.query(`UPDATE archives SET lease_owner = ?, lease_until = ? WHERE archive_id IN (${marks(rows.length)})`, [worker, leaseUntil, ...rows.map((r) => r.archive_id)]);
      return rows.map((r) => fromRow({ ...r, lease_owner: worker, lease_until: leaseUntil }));
    });
  }

  /** {@inheritDoc ExportLedger.renew} */
  async renew(archiveIds: readonly string[], worker: string, leaseUntil: number): Promise<void> {
    if (archiveIds.length === 0) return;
    await this.driver.query(`UPDATE archives SET lease_until = ? WHERE lease_owner = ? AND archive_id IN (${marks(archiveIds.length)})`, [leaseUntil, worker, ...archiveIds]);
  }

  /** {@inheritDoc ExportLedger.markPresent} */
  async markPresent(names: readonly string[]): Promise<void> {
    for (let i = 0; i < names.length; i += 500) {
      const chunk = names.slice(i, i + 500);
      await this.driver.query(`UPDATE archives SET present = 1 WHERE name IN (${marks(chunk.length)})`, chunk);
    }
  }

  /** {@inheritDoc ExportLedger.markReady} */
  async markReady(jobIds: readonly string[]): Promise<void> {
    for (let i = 0; i < jobIds.length; i += 500) {
      const chunk = jobIds.slice(i, i + 500);
      await this.driver.query(`UPDATE archives SET job_ready = 1 WHERE state = 'requested' AND job_ready = 0 AND job_id IN (${marks(chunk.length)})`, chunk);
    }
  }

  /** {@inheritDoc ExportLedger.spend} */
  async spend(at: number, bytes: number, archiveId: string): Promise<void> {
    await this.driver.query('INSERT INTO spend(at, bytes, archive_id) VALUES (?, ?, ?)', [at, bytes, archiveId]);
  }

  /** {@inheritDoc ExportLedger.spentSince} */
  async spentSince(since: number): Promise<number> {
    const [r] = await this.driver.query<{ b: number }>('SELECT coalesce(sum(bytes), 0) AS b FROM spend WHERE at >= ?', [since]);
    return r!.b;
  }

  /** {@inheritDoc ExportLedger.spentTotal} */
  async spentTotal(): Promise<SpendTotal> {
    const [r] = await this.driver.query<SpendTotal>('SELECT count(*) AS requests, coalesce(sum(bytes), 0) AS bytes FROM spend');
    return r!;
  }

  /** {@inheritDoc ExportLedger.counts} */
  async counts(maxAgeMs = 1000): Promise<LedgerCounts> {
    if (!this.#counts || Date.now() - this.#counts.at > maxAgeMs) {
      const counts = Object.fromEntries(ARCHIVE_STATES.map((s) => [s, { archives: 0, bytes: 0 }])) as LedgerCounts;
      const rows = await this.driver.query<{ state: ArchiveState; n: number; b: number }>('SELECT state, count(*) AS n, coalesce(sum(size), 0) AS b FROM archives GROUP BY state');
      for (const r of rows) counts[r.state] = { archives: r.n, bytes: r.b };
      this.#counts = { at: Date.now(), counts };
    }
    return structuredClone(this.#counts.counts);
  }

  /** {@inheritDoc ExportLedger.heartbeat} */
  async heartbeat(w: Omit<LedgerWorker, 'heartbeatAt' | 'done'>, done = 0): Promise<void> {
    await this.driver.query(
      `INSERT INTO workers(worker_id, host, pid, started_at, heartbeat_at, activity, done) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(worker_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, activity = excluded.activity, done = workers.done + excluded.done`,
      [w.workerId, w.host, w.pid, w.startedAt, Date.now(), w.activity, done],
    );
  }

  /** {@inheritDoc ExportLedger.workers} */
  async workers(): Promise<LedgerWorker[]> {
    const rows = await this.driver.query<{ worker_id: string; host: string; pid: number; started_at: number; heartbeat_at: number; activity: string; done: number }>(
      'SELECT * FROM workers ORDER BY started_at, worker_id',
    );
    return rows.map((r) => ({ workerId: r.worker_id, host: r.host, pid: r.pid, startedAt: r.started_at, heartbeatAt: r.heartbeat_at, activity: r.activity, done: r.done }));
  }

  /** {@inheritDoc ExportLedger.close} */
  async close(): Promise<void> {
    await this.driver.close();
  }
}
