/**
 * The whole-vault export, to a directory or to S3: every archive of the
 * vault's inventory is retrieved (paced to a daily budget and a cap on jobs
 * in flight), streamed from its job, checked against the inventory's tree
 * hash, and only then put in place under its decoded name. Progress lives in
 * a ledger (see `ledger.ts`), so the same call continues after any
 * interruption, days later; with a PostgreSQL ledger, any number of workers
 * on any number of machines run the same call as one export (see
 * `export-worker.ts`).
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { S3ClientConfig, StorageClass } from '@aws-sdk/client-s3';
import type { Job } from '../resources/job.js';
import type { Vault } from '../resources/vault.js';
import type { Tier } from '../validation.js';
import { parseInventory, type InventoryArchive } from '../transfer/inventory.js';
import { BLOCKED, DirectoryDestination, type ExportDestination } from './destination.js';
import { ExportWorker } from './export-worker.js';
import { newestInventoryJob } from './inventory-source.js';
import { SqliteLedger } from './ledger-sqlite.js';
import { PostgresLedger } from './ledger-postgres.js';
import { EXPORT_STATE_DIR, type ArchiveName, type ArchiveNamer } from './names.js';
import { countArchives, plannedArchives } from './plan.js';
import type { ExportLedger, LedgerCounts, PlannedArchive } from './ledger.js';
import { ExportClock } from './pacing.js';
import { parseS3Url, S3Destination } from './s3-destination.js';

/** Progress of an export, as reported to `onProgress`. */
export interface ExportProgress {
  /** Archives and bytes per ledger state. */
  counts: LedgerCounts;
  /** Archives in the plan. */
  total: number;
  /** What just happened. */
  event: 'planned' | 'started' | 'verified' | 'retry' | 'failed' | 'deleted' | 'waiting';
  /** The archive concerned, if any. */
  archiveId?: string;
  /** With `waiting`: real milliseconds until the next poll. */
  nextPollMs?: number;
  /**
   * With `verified`: the name the archive was written under instead of
   * `name`, because a different file already had that name in the target.
   */
  writtenAs?: string;
  /** With `writtenAs`: the name the plan gave the archive. */
  name?: string;
}

/** A namer of one's own, for the `names` option. */
export interface NamerFactory {
  /** Makes the namer of a plan. */
  namer: () => ArchiveNamer;
}

/** Retrieval requests an export started. */
export interface RequestCount {
  /** Their tier. */
  tier: Tier;
  /** How many. */
  count: number;
  /** Bytes they retrieve. */
  bytes: number;
}

/** Options of {@link exportVault}. */
export interface ExportOptions {
  /** The target: a directory (created if missing), or `s3://bucket/prefix`. */
  to: string;
  /**
   * Where the ledger lives: a SQLite file path, or `postgres://…` for a
   * ledger many workers share. Default: `<to>/.glacier-export/ledger.sqlite`
   * for a directory; for S3, `.glacier-export/s3-<bucket>-<hash>.sqlite` in
   * the current directory.
   */
  state?: string;
  /** A ledger of one's own (instead of `state`); the caller closes it. */
  ledger?: ExportLedger;
  /** A destination of one's own (instead of the one `to` names); the caller closes it. */
  destination?: ExportDestination;
  /** With an S3 target: the objects' storage class (default `DEEP_ARCHIVE`). */
  storageClass?: StorageClass;
  /** With an S3 target: the S3 client's settings (region, endpoint, credentials, profile), apart from Glacier's. */
  s3?: S3ClientConfig;
  /** A claim's lease, wall-clock ms: a worker silent this long loses its claims to the others (default 10 min). */
  leaseMs?: number;
  /** This worker's id in the ledger (default host:pid:random). */
  workerId?: string;
  /** Retrieval tier (default `Bulk`, the cheapest). */
  tier?: Tier;
  /** Most bytes of retrievals started in any rolling 24 h (default: no limit). */
  bytesPerDay?: number;
  /** Most jobs started but not yet downloaded (default 100). */
  maxJobsInFlight?: number;
  /**
   * How files are named: `auto` (the default) decodes the archive
   * descriptions (see `decodeDescription`), `id` names each file by its
   * archive id, a function gives each archive's path (made safe and
   * de-duplicated like decoded ones), and a namer factory takes over entirely.
   */
  names?: 'auto' | 'id' | ((archive: InventoryArchive) => string) | NamerFactory;
  /** Only archives whose name matches one of these globs (`**` crosses folders); default all. */
  include?: readonly string[];
  /** No archive whose name matches one of these globs. */
  exclude?: readonly string[];
  /** Which archives to export, after include and exclude (default all). */
  filter?: (archive: InventoryArchive, name: ArchiveName) => boolean;
  /** An inventory job id to plan from (default: the newest whole-vault inventory, else a new one). */
  inventoryJobId?: string;
  /** A saved inventory file (Glacier's JSON or CSV, as `glacier inventory --output` writes it) to plan from instead of a job. */
  inventoryFile?: string;
  /** Delete each archive from the vault once its file is verified. */
  deleteAfterVerify?: boolean;
  /** Downloads at once (default 2). */
  concurrency?: number;
  /** Retrievals per archive before it is marked failed (default 5). */
  maxAttempts?: number;
  /** Export-clock speed-up, to rehearse against `glacier-local --time-scale` (default 1). */
  timeScale?: number;
  /** One pass only: start what the budget allows, download what is ready, then return. */
  once?: boolean;
  /** Longest wait between polls, export-clock ms (default 15 min). */
  maxPollInterval?: number;
  /** Called as the export advances. */
  onProgress?: (p: ExportProgress) => void;
  /** Stops the export (the ledger keeps its state). */
  signal?: AbortSignal;
}

/** What an export has done, as of its return. */
export interface ExportReport {
  /** Archives in the plan. */
  total: number;
  /** Archives and bytes per ledger state. */
  counts: LedgerCounts;
  /** True when every archive is verified (or deleted after it) or failed. */
  finished: boolean;
  /** Archives of the inventory the filters left out. */
  skipped: number;
  /** Retrieval requests started (all runs, retries included), with their tier, and the bytes they retrieve. */
  requests: RequestCount;
  /** Where the ledger is (a path, or the database URL without its password). */
  ledgerPath?: string;
  /** The manifest written at the end: one JSON line per archive (id, path, size, tree hash, status, error); an s3:// URL for an S3 target. */
  manifestPath: string;
}

/** The manifest's lines: one JSON object per archive of the ledger, oldest first. */
export async function* manifestLines(ledger: ExportLedger): AsyncGenerator<string> {
  for await (const a of ledger.all()) {
    yield `${JSON.stringify({ archiveId: a.archiveId, path: a.name, size: a.size, treeHash: a.treeHash, status: a.state, ...(a.error ? { error: a.error } : {}) })}\n`;
  }
}

/** The destination `to` names. */
export function destinationFor(o: Pick<ExportOptions, 'to' | 'storageClass' | 's3'>): ExportDestination {
  if (o.to.startsWith('s3://')) return new S3Destination({ url: o.to, ...(o.storageClass ? { storageClass: o.storageClass } : {}), ...(o.s3 ? { client: o.s3 } : {}) });
  return new DirectoryDestination(o.to);
}

/** Where the default ledger of a target is. */
export function defaultStatePath(to: string): string {
  if (!to.startsWith('s3://')) return join(resolve(to), EXPORT_STATE_DIR, 'ledger.sqlite');
  const { bucket, prefix } = parseS3Url(to);
  return resolve(EXPORT_STATE_DIR, `s3-${bucket}-${createHash('sha256').update(prefix).digest('hex').slice(0, 8)}.sqlite`);
}

/** True when `state` names a PostgreSQL ledger (a `postgres://` or `postgresql://` URL) rather than a SQLite file. */
export function isPostgresState(state: string): boolean {
  return /^postgres(ql)?:\/\//.test(state);
}

/** Opens the ledger `state` names: PostgreSQL for a `postgres://` or `postgresql://` URL, else a SQLite file. */
export async function openLedger(state: string): Promise<ExportLedger> {
  if (isPostgresState(state)) return PostgresLedger.connect(state);
  await mkdir(dirname(resolve(state)), { recursive: true });
  return new SqliteLedger(state);
}

/**
 * Exports a whole vault to a directory or to S3; resolves when done, after
 * one pass with `once`, or rejects when `signal` aborts. Run it in several
 * processes with the same PostgreSQL `state` and they share the work.
 */
export async function exportVault(vault: Vault, options: ExportOptions): Promise<ExportReport> {
  const destination = options.destination ?? destinationFor(options);
  let ledger: ExportLedger | undefined;
  try {
    await destination.prepare();
    const state = options.state ?? defaultStatePath(options.to);
    ledger = options.ledger ?? (await openLedger(state));
    return await run(vault, options, destination, ledger);
  } finally {
    if (!options.ledger) await ledger?.close();
    if (!options.destination) await destination.close();
  }
}

async function run(vault: Vault, o: ExportOptions, destination: ExportDestination, ledger: ExportLedger): Promise<ExportReport> {
  const identity = `${vault.accountId}/${vault.name}`;
  await ledger.withPlanLock(async () => {
    const known = await ledger.getMeta<string>('vault');
    if (known !== undefined && known !== identity) throw new Error(`The ledger belongs to the export of vault ${known}, not ${identity}. Use another target or ledger.`);
    const target = await ledger.getMeta<string>('destination');
    if (target !== undefined && target !== destination.location) throw new Error(`The ledger belongs to the export to ${target}, not ${destination.location}. Use another ledger (state).`);
    if (!(await ledger.planned())) await plan(vault, o, destination, ledger, identity);
    await unblock(ledger);
  });
  const clock = new ExportClock(o.timeScale ?? 1, (await ledger.getMeta<number>('clockEpoch')) ?? Date.now());
  const total = Object.values(await ledger.counts(0)).reduce((n, c) => n + c.archives, 0);
  o.onProgress?.({ counts: await ledger.counts(), total, event: 'planned' });
  const worker = {
    workerId: o.workerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    host: hostname(),
    pid: process.pid,
    startedAt: Date.now(),
  };
  const { finished, counts } = await new ExportWorker({ vault, ledger, destination, clock, options: o, worker, total }).run();
  if (finished) await destination.finish?.();
  const manifestPath = await destination.writeManifest(manifestLines(ledger));
  const spent = await ledger.spentTotal();
  const skipped = ((await ledger.getMeta<number>('inventoryArchives')) ?? total) - total;
  const requests = { tier: o.tier ?? 'Bulk', count: spent.requests, bytes: spent.bytes };
  return { total, counts, finished, skipped, requests, manifestPath, ledgerPath: ledger.location };
}

/**
 * Archives that failed because something was in their way (a link, a file
 * where a folder belongs, a folder without permission) are tried again on
 * every run: a person may have moved it. One whose job may still be
 * serving its output goes back to waiting for it (a job that expired is
 * found so and retrieved again); the others start over.
 */
async function unblock(ledger: ExportLedger): Promise<void> {
  for (const a of await ledger.inState(['failed'])) {
    if (!a.error?.startsWith(BLOCKED)) continue;
    await ledger.update(a.archiveId, a.jobId ? 'requested' : 'pending', { jobReady: false, failures: 0 });
  }
}

/** The inventory a plan reads: a saved file, or a job (waited for). */
async function inventoryFor(vault: Vault, o: ExportOptions, ledger: ExportLedger, clock: ExportClock): Promise<AsyncIterable<InventoryArchive>> {
  if (o.inventoryFile !== undefined) {
    const format = /\.csv$/i.test(o.inventoryFile) ? 'CSV' : 'JSON';
    await ledger.setMeta('inventoryFile', resolve(o.inventoryFile));
    return parseInventory(createReadStream(o.inventoryFile), format);
  }
  let job: Job | undefined = o.inventoryJobId ? vault.Job(o.inventoryJobId) : await newestInventoryJob(vault);
  job ??= await vault.initiateInventoryRetrieval({ format: 'JSON' });
  await ledger.setMeta('inventoryJobId', job.id);
  for (let wait = 1000; ; wait = Math.min(wait * 2, 15 * 60 * 1000)) {
    await job.load();
    if (job.statusCode === 'Succeeded') break;
    if (job.statusCode === 'Failed') throw new Error(`Inventory job ${job.id} failed: ${job.statusMessage ?? 'no reason given'}. Run the export again to request a new one.`);
    await clock.sleep(wait, o.signal);
  }
  return job.inventory();
}

/** Takes the inventory, names and filters its archives, and records the plan (one worker, under the plan lock). */
async function plan(vault: Vault, o: ExportOptions, destination: ExportDestination, ledger: ExportLedger, identity: string): Promise<void> {
  await ledger.setMeta('vault', identity);
  await ledger.setMeta('destination', destination.location);
  await ledger.compareAndSetMeta('clockEpoch', undefined, Date.now());
  const clock = new ExportClock(o.timeScale ?? 1, (await ledger.getMeta<number>('clockEpoch'))!);
  const inventory = await inventoryFor(vault, o, ledger, clock);
  // Streamed: the inventory is read, named and recorded in batches, never held whole.
  let batch: PlannedArchive[] = [];
  const counter = countArchives(inventory);
  for await (const { archive: a, name } of plannedArchives(counter.archives, o, destination.namesRoot)) {
    batch.push({ archiveId: a.archiveId, name: name.path, size: a.size, treeHash: a.sha256TreeHash, created: a.creationDate, description: a.archiveDescription, mtime: name.mtime ?? null });
    if (batch.length >= 10_000) {
      await ledger.addToPlan(batch);
      batch = [];
    }
  }
  await ledger.addToPlan(batch);
  // What the destination holds already is listed once; only those archives are checked before retrieval.
  if (destination.existingNames) {
    let names: string[] = [];
    for await (const name of destination.existingNames()) {
      names.push(name);
      if (names.length >= 5_000) {
        await ledger.markPresent(names);
        names = [];
      }
    }
    await ledger.markPresent(names);
  }
  await ledger.setMeta('inventoryArchives', counter.count);
  await ledger.completePlan();
}
