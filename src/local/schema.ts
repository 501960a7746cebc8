/**
 * The SQLite schema of the endpoint's metadata store (see `store.ts`).
 *
 * Archives, uploads, parts and jobs are rows keyed by (vault, id), with an
 * index in creation order for inventories and listings, so that every
 * operation reads or writes a few rows whatever the size of the vault.
 * Deleted archives keep their row (with `deleted_at`) for a day, for
 * idempotent deletes and for daily inventory snapshots.
 *
 * @module
 */

/** The format version stored in `meta`. */
export const SCHEMA_VERSION = 2;

/** Statements that create the schema when it is missing. */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vaults (
  name TEXT PRIMARY KEY,
  created INTEGER NOT NULL,
  last_write INTEGER,
  pending_since INTEGER,
  snapshot_date INTEGER,
  snapshot_count INTEGER,
  snapshot_bytes INTEGER,
  access_policy TEXT,
  notifications TEXT,
  lock TEXT,
  tags TEXT NOT NULL DEFAULT '{}',
  archive_count INTEGER NOT NULL DEFAULT 0,
  archive_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS archives (
  vault TEXT NOT NULL,
  id TEXT NOT NULL,
  description TEXT NOT NULL,
  created INTEGER NOT NULL,
  size INTEGER NOT NULL,
  tree_hash TEXT NOT NULL,
  segments TEXT NOT NULL,
  deleted_at INTEGER,
  UNIQUE (vault, id)
);
CREATE INDEX IF NOT EXISTS archives_by_creation ON archives (vault, created, id);
CREATE INDEX IF NOT EXISTS archives_deleted ON archives (vault, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS uploads (
  vault TEXT NOT NULL,
  id TEXT NOT NULL,
  description TEXT NOT NULL,
  part_size INTEGER NOT NULL,
  created INTEGER NOT NULL,
  last_activity INTEGER NOT NULL,
  PRIMARY KEY (vault, id)
);
CREATE INDEX IF NOT EXISTS uploads_by_creation ON uploads (vault, created, id);
CREATE INDEX IF NOT EXISTS uploads_by_activity ON uploads (last_activity);
CREATE TABLE IF NOT EXISTS parts (
  vault TEXT NOT NULL,
  upload_id TEXT NOT NULL,
  start INTEGER NOT NULL,
  size INTEGER NOT NULL,
  tree_hash TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (vault, upload_id, start)
);
CREATE TABLE IF NOT EXISTS finished_uploads (
  vault TEXT NOT NULL,
  id TEXT NOT NULL,
  outcome TEXT NOT NULL,
  at INTEGER NOT NULL,
  archive_id TEXT,
  size INTEGER,
  tree_hash TEXT,
  PRIMARY KEY (vault, id)
);
CREATE INDEX IF NOT EXISTS finished_uploads_by_time ON finished_uploads (at);
CREATE TABLE IF NOT EXISTS jobs (
  vault TEXT NOT NULL,
  id TEXT NOT NULL,
  created INTEGER NOT NULL,
  completes_at INTEGER NOT NULL,
  action TEXT NOT NULL,
  tier TEXT,
  failure TEXT,
  output_size INTEGER NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (vault, id)
);
CREATE INDEX IF NOT EXISTS jobs_by_creation ON jobs (vault, created, id);
CREATE INDEX IF NOT EXISTS jobs_by_completion ON jobs (completes_at);
CREATE INDEX IF NOT EXISTS jobs_by_tier ON jobs (tier, created);
CREATE TABLE IF NOT EXISTS blob_refs (
  key TEXT NOT NULL,
  owner TEXT NOT NULL,
  PRIMARY KEY (key, owner)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blob_refs_by_owner ON blob_refs (owner);
`;
