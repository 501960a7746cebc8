/**
 * The export ledger: what a whole-vault export has planned and done, kept
 * so that an export can stop at any moment (Ctrl-C, `kill -9`, a reboot) and
 * continue where it stopped, days later, and so that any number of workers
 * on any number of machines can share one export.
 *
 * The runner sees only the {@link ExportLedger} interface. One class,
 * `SqlLedger` (`ledger-sql.ts`), implements it over two drivers with the same
 * schema and the same statements: {@link SqliteLedger}, an embedded SQLite
 * file for one process (the default), and {@link PostgresLedger}, a
 * PostgreSQL database that many workers share (`--state postgres://…`).
 *
 * Schema:
 *
 * | table | columns | what |
 * |---|---|---|
 * | `meta` | `key`, `value` (JSON) | the export's identity: vault, inventory, clock epoch, options; the last job scan; the back-off after a refusal |
 * | `archives` | `archive_id` (key), `name`, `size`, `tree_hash`, `created`, `description`, `mtime`, `state`, `job_id`, `job_started_at`, `job_ready`, `present`, `attempts`, `failures`, `error`, `lease_owner`, `lease_until`, `updated_at` | one row per archive of the plan |
 * | `spend` | `at`, `bytes`, `archive_id` | each retrieval started, for the rolling 24 h budget |
 * | `workers` | `worker_id` (key), `host`, `pid`, `started_at`, `heartbeat_at`, `activity`, `done` | each worker that joined, for `--status` |
 *
 * An archive's `state` goes `pending` → `starting` (a worker claimed it and
 * is initiating its retrieval) → `requested` (with its job id and time) →
 * `verified` (its file or object is in place and matched its tree hash) →
 * `deleted` (with deleteAfterVerify); or to `failed` with the reason, after
 * too many attempts. A claim is a lease: `lease_owner` and `lease_until`
 * (wall-clock ms). A worker that dies leaves its leases to expire, and
 * another takes the work over: a `starting` archive is looked up in the
 * vault's job list first, so no retrieval is ever started twice.
 *
 * Times: `job_started_at` and `spend.at` are on the export clock (see
 * `ExportClock`, whose epoch is kept in `meta`, so every worker reads the
 * same clock); `lease_until`, `heartbeat_at` and `updated_at` are wall-clock.
 *
 * @module
 */

/** An archive's state in the ledger. */
export type ArchiveState = 'pending' | 'starting' | 'requested' | 'verified' | 'deleted' | 'failed';

/** Every state, in order. */
export const ARCHIVE_STATES: readonly ArchiveState[] = ['pending', 'starting', 'requested', 'verified', 'deleted', 'failed'];

/** One archive of the plan. */
export interface LedgerArchive {
  /** The archive id. */
  archiveId: string;
  /** Its file's path relative to the export's target (or its key under the prefix). */
  name: string;
  /** Size in bytes. */
  size: number;
  /** The inventory's SHA256TreeHash. */
  treeHash: string;
  /** The inventory's CreationDate (ISO 8601). */
  created: string;
  /** The archive's description, as the inventory gives it. */
  description: string;
  /** Modification time from the description, ms since the epoch, or null. */
  mtime: number | null;
  /** Where it stands. */
  state: ArchiveState;
  /** Its retrieval job, from `requested` on. */
  jobId: string | null;
  /** When that job was started (export clock, ms). */
  jobStartedAt: number | null;
  /** True once a job scan saw the job succeed (its output is ready). */
  jobReady: boolean;
  /** True when the plan found something under this name at the destination already (checked before retrieving). */
  present: boolean;
  /** Retrievals started for it so far. */
  attempts: number;
  /** Failed downloads of the current job's output. */
  failures: number;
  /** Why it failed, or the last retryable error. */
  error: string | null;
  /** The worker holding it, while a claim lasts. */
  leaseOwner: string | null;
  /** When that claim lapses (wall clock, ms). */
  leaseUntil: number | null;
}

/** A number of archives and their bytes. */
export interface ArchiveTally {
  /** Archives. */
  archives: number;
  /** Their total size in bytes. */
  bytes: number;
}

/** An archive as the plan records it. */
export type PlannedArchive = Pick<LedgerArchive, 'archiveId' | 'name' | 'size' | 'treeHash' | 'created' | 'description' | 'mtime'>;

/** The fields an update may set. */
export type LedgerFields = Partial<Pick<LedgerArchive, 'name' | 'jobId' | 'jobStartedAt' | 'jobReady' | 'present' | 'attempts' | 'failures' | 'error' | 'leaseOwner' | 'leaseUntil'>>;

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

/** A worker of the export, as `--status` shows it. */
export interface LedgerWorker {
  /** Its id (host, pid and a random part). */
  workerId: string;
  /** Its host name. */
  host: string;
  /** Its process id. */
  pid: number;
  /** When it joined (wall clock, ms). */
  startedAt: number;
  /** Its last sign of life (wall clock, ms). */
  heartbeatAt: number;
  /** What it was doing then. */
  activity: string;
  /** Archives it verified. */
  done: number;
}

/** What a start claim asks for: the limits that hold across all workers. */
export interface StartClaim {
  /** The claiming worker. */
  worker: string;
  /** Its lease, wall clock ms. */
  leaseUntil: number;
  /** Now, on the export clock. */
  now: number;
  /** Most bytes of retrievals started in any rolling 24 h, or undefined. */
  bytesPerDay: number | undefined;
  /** Most jobs started but not yet downloaded. */
  maxJobsInFlight: number;
  /** Most archives to claim at once (default 1). */
  limit?: number;
}

/** What a start claim got: archives (oldest first), and why it got no more, if it did not get `limit`. */
export interface StartClaimed {
  /** The archives claimed, `starting`, their bytes recorded against the budget. */
  archives: LedgerArchive[];
  /** Why not more. */
  wait?: StartWait;
}

/** Why no retrieval may start now, and when one might. */
export interface StartWait {
  /** `jobs`: too many in flight; `budget`: the 24 h budget is spent; `backoff`: after a refusal; `none`: nothing pending. */
  wait: 'jobs' | 'budget' | 'backoff' | 'none';
  /** When (export clock, ms) a start may be possible, when known. */
  until?: number;
}

/** What the export runner needs of a ledger. Every method is one transaction. */
export interface ExportLedger {
  /** Where the ledger lives (a file path, or a database URL without its password). */
  readonly location: string;
  /** A value of the export's identity, or undefined. */
  getMeta<T>(key: string): Promise<T | undefined>;
  /** Sets a value of the export's identity. */
  setMeta(key: string, value: unknown): Promise<void>;
  /** Sets `key` to `value` only if it still holds `expected` (undefined: absent); true when it did. */
  compareAndSetMeta(key: string, expected: unknown, value: unknown): Promise<boolean>;
  /** Runs `fn` while no other worker runs a `withPlanLock` of this ledger (the first worker plans; the others wait, then join). */
  withPlanLock<T>(fn: () => Promise<T>): Promise<T>;
  /** True once the plan (every archive) is recorded. */
  planned(): Promise<boolean>;
  /** Adds archives to the plan, `pending` (archives already in it are left as they are). */
  addToPlan(archives: readonly PlannedArchive[]): Promise<void>;
  /** Marks the plan complete: every archive of the inventory is in it. */
  completePlan(): Promise<void>;
  /** Every archive, oldest first, read in batches (never all in memory). */
  all(): AsyncIterable<LedgerArchive>;
  /** Archives in these states, oldest first (by CreationDate, then id), at most `limit`. */
  inState(states: readonly ArchiveState[], limit?: number): Promise<LedgerArchive[]>;
  /** One archive. */
  archive(archiveId: string): Promise<LedgerArchive | undefined>;
  /**
   * Moves an archive to `state` with the given fields. With `owner`, only
   * while that worker still holds its lease; returns whether it changed.
   */
  update(archiveId: string, state: ArchiveState, fields?: LedgerFields, owner?: string): Promise<boolean>;
  /**
   * Claims the oldest pending archive for a retrieval and records its bytes
   * against the budget, if the budget, the cap on jobs in flight and any
   * back-off allow; all checked and changed at once, across all workers.
   */
  claimStart(claim: StartClaim): Promise<LedgerArchive | StartWait>;
  /** {@link ExportLedger.claimStart} for up to `claim.limit` archives in one transaction. */
  claimStarts(claim: StartClaim): Promise<StartClaimed>;
  /** Takes back the budget a claimed start recorded, when it did not start a job. */
  refund(archiveId: string): Promise<void>;
  /** Claims up to `limit` archives in `state` whose lease has lapsed (never held, or held by a worker gone quiet), with `jobReady` when given. */
  claim(state: ArchiveState, worker: string, leaseUntil: number, now: number, limit: number, jobReady?: boolean): Promise<LedgerArchive[]>;
  /** Extends this worker's leases on these archives. */
  renew(archiveIds: readonly string[], worker: string, leaseUntil: number): Promise<void>;
  /** Marks the archives of these names as present at the destination already. */
  markPresent(names: readonly string[]): Promise<void>;
  /** Marks the `requested` archives of these jobs ready to download. */
  markReady(jobIds: readonly string[]): Promise<void>;
  /** Records bytes of retrieval started at `at` (export clock). */
  spend(at: number, bytes: number, archiveId: string): Promise<void>;
  /** Bytes of retrieval started at or after `since`. */
  spentSince(since: number): Promise<number>;
  /** Retrievals started so far (all runs, all workers), and their bytes. */
  spentTotal(): Promise<SpendTotal>;
  /** Archives and bytes per state (at most `maxAgeMs` old; default 1 s, 0 for exact). */
  counts(maxAgeMs?: number): Promise<LedgerCounts>;
  /** Records a worker's sign of life (and counts one archive it verified with `done`). */
  heartbeat(worker: Omit<LedgerWorker, 'heartbeatAt' | 'done'>, done?: number): Promise<void>;
  /** The workers that joined. */
  workers(): Promise<LedgerWorker[]>;
  /** Closes the ledger. */
  close(): Promise<void>;
}
