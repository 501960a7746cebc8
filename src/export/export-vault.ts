/**
 * The whole-vault export to a directory: every archive of the vault's
 * inventory is retrieved (paced to a daily budget and a cap on jobs in
 * flight), downloaded with the verified, resumable download, checked
 * against the inventory's tree hash, and only then renamed into place under
 * its decoded name. Progress lives in a ledger (see `ledger.ts`), so the
 * same call continues after any interruption, days later.
 *
 * @module
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { Job } from '../resources/job.js';
import type { Vault } from '../resources/vault.js';
import type { Tier } from '../validation.js';
import { parseInventory, type InventoryArchive } from '../transfer/inventory.js';
import { isTransientError } from '../transfer/retry.js';
import { newestInventoryJob } from './inventory-source.js';
import { EXPORT_STATE_DIR, placeUnder, type ArchiveName, type ArchiveNamer } from './names.js';
import { countArchives, plannedArchives } from './plan.js';
import { SqliteLedger, type ExportLedger, type LedgerArchive, type LedgerCounts, type PlannedArchive } from './ledger.js';
import { ExportClock, Pacer } from './pacing.js';

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
  /** The target directory (created if missing). */
  to: string;
  /** The ledger; default a SQLite ledger in `<to>/.glacier-export/ledger.sqlite`. */
  ledger?: ExportLedger;
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
  /** The ledger's path, for the default ledger. */
  ledgerPath?: string;
  /** The manifest written at the end: one JSON line per archive (id, path, size, tree hash, status, error). */
  manifestPath: string;
}

/** Writes the manifest of a ledger to `path` (atomically: a temporary file, then a rename). */
export async function writeManifest(ledger: ExportLedger, path: string): Promise<void> {
  const out = createWriteStream(`${path}.tmp`);
  const lines = (function* () {
    for (const a of ledger.all()) {
      yield `${JSON.stringify({ archiveId: a.archiveId, path: a.name, size: a.size, treeHash: a.treeHash, status: a.state, ...(a.error ? { error: a.error } : {}) })}\n`;
    }
  })();
  await pipeline(Readable.from(lines), out);
  await rename(`${path}.tmp`, path);
}

function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? '';
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Exports a whole vault to a directory; resolves when done, after one pass with `once`, or rejects when `signal` aborts. */
export async function exportVault(vault: Vault, options: ExportOptions): Promise<ExportReport> {
  const to = resolve(options.to);
  const stateDir = join(to, EXPORT_STATE_DIR);
  const staging = join(stateDir, 'staging');
  await mkdir(staging, { recursive: true });
  const ledgerPath = options.ledger ? undefined : join(stateDir, 'ledger.sqlite');
  const ledger = options.ledger ?? new SqliteLedger(ledgerPath!);
  try {
    return await run(vault, options, to, staging, ledger, ledgerPath);
  } finally {
    if (!options.ledger) ledger.close();
  }
}

async function run(vault: Vault, o: ExportOptions, to: string, staging: string, ledger: ExportLedger, ledgerPath: string | undefined): Promise<ExportReport> {
  const clock = new ExportClock(o.timeScale ?? 1);
  const signal = o.signal;
  const identity = `${vault.accountId}/${vault.name}`;
  const known = ledger.getMeta<string>('vault');
  if (known !== undefined && known !== identity) throw new Error(`The ledger belongs to the export of vault ${known}, not ${identity}. Use another target or ledger.`);
  if (!ledger.planned()) await plan(vault, o, to, ledger, clock, identity);
  const total = Object.values(ledger.counts()).reduce((n, c) => n + c.archives, 0);
  const report = (event: ExportProgress['event'], archiveId?: string) =>
    o.onProgress?.({ counts: ledger.counts(), total, event, ...(archiveId ? { archiveId } : {}) });
  report('planned');
  const pacer = new Pacer(ledger, clock, { bytesPerDay: o.bytesPerDay, maxJobsInFlight: o.maxJobsInFlight ?? 100 });
  await adoptStartingJobs(vault, ledger);
  const maxPoll = o.maxPollInterval ?? 15 * 60 * 1000;
  let pollMs = 1000;
  for (;;) {
    signal?.throwIfAborted();
    const progressed = (await collect(vault, o, to, staging, ledger, report, signal)) + (await start(vault, o, ledger, pacer, report));
    const counts = ledger.counts();
    const finished = counts.pending.archives + counts.starting.archives + counts.requested.archives === 0;
    if (finished || o.once) {
      const manifestPath = join(dirname(staging), 'manifest.jsonl');
      await writeManifest(ledger, manifestPath);
      const spent = ledger.spentTotal();
      const skipped = (ledger.getMeta<number>('inventoryArchives') ?? total) - total;
      const requests = { tier: o.tier ?? 'Bulk', count: spent.requests, bytes: spent.bytes };
      return { total, counts, finished, skipped, requests, manifestPath, ...(ledgerPath ? { ledgerPath } : {}) };
    }
    pollMs = progressed > 0 ? 1000 : Math.min(maxPoll, pollMs * 2);
    o.onProgress?.({ counts, total, event: 'waiting', nextPollMs: Math.max(10, pollMs / clock.scale) });
    await clock.sleep(pollMs, signal);
  }
}

/** Takes the inventory, names and filters its archives, and records the plan. */
/** The inventory a plan reads: a saved file, or a job (waited for). */
async function inventoryFor(vault: Vault, o: ExportOptions, ledger: ExportLedger, clock: ExportClock): Promise<AsyncIterable<InventoryArchive>> {
  if (o.inventoryFile !== undefined) {
    const format = /\.csv$/i.test(o.inventoryFile) ? 'CSV' : 'JSON';
    ledger.setMeta('inventoryFile', resolve(o.inventoryFile));
    return parseInventory(createReadStream(o.inventoryFile), format);
  }
  let job: Job | undefined = o.inventoryJobId ? vault.Job(o.inventoryJobId) : await newestInventoryJob(vault);
  job ??= await vault.initiateInventoryRetrieval({ format: 'JSON' });
  ledger.setMeta('inventoryJobId', job.id);
  for (let wait = 1000; ; wait = Math.min(wait * 2, 15 * 60 * 1000)) {
    await job.load();
    if (job.statusCode === 'Succeeded') break;
    if (job.statusCode === 'Failed') throw new Error(`Inventory job ${job.id} failed: ${job.statusMessage ?? 'no reason given'}. Run the export again to request a new one.`);
    await clock.sleep(wait, o.signal);
  }
  return job.inventory();
}

async function plan(vault: Vault, o: ExportOptions, to: string, ledger: ExportLedger, clock: ExportClock, identity: string): Promise<void> {
  ledger.setMeta('vault', identity);
  const inventory = await inventoryFor(vault, o, ledger, clock);
  // Streamed: the inventory is read, named and recorded in batches, never held whole.
  let batch: PlannedArchive[] = [];
  const counter = countArchives(inventory);
  for await (const { archive: a, name } of plannedArchives(counter.archives, o, to)) {
    batch.push({ archiveId: a.archiveId, name: name.path, size: a.size, treeHash: a.sha256TreeHash, created: a.creationDate, mtime: name.mtime ?? null });
    if (batch.length >= 10_000) {
      ledger.addToPlan(batch);
      batch = [];
    }
  }
  ledger.addToPlan(batch);
  ledger.setMeta('inventoryArchives', counter.count);
  ledger.completePlan();
}

/**
 * A crash can fall between InitiateJob and its record: archives left
 * `starting` get the job the vault lists for them, if any, else go back to
 * `pending`. So no retrieval is started twice.
 */
async function adoptStartingJobs(vault: Vault, ledger: ExportLedger): Promise<void> {
  const starting = new Map(ledger.inState(['starting']).map((a) => [a.archiveId, a]));
  if (starting.size === 0) return;
  for await (const job of vault.jobs.all()) {
    const a = job.archiveId !== undefined ? starting.get(job.archiveId) : undefined;
    if (!a || job.action !== 'ArchiveRetrieval' || job.statusCode === 'Failed') continue;
    ledger.update(a.archiveId, 'requested', { jobId: job.id, jobStartedAt: job.creationDate ? new Date(job.creationDate).getTime() : Date.now(), attempts: a.attempts + 1 });
    starting.delete(a.archiveId);
  }
  for (const a of starting.values()) ledger.update(a.archiveId, 'pending');
}

/** Starts retrievals while pacing allows; returns how many. */
async function start(vault: Vault, o: ExportOptions, ledger: ExportLedger, pacer: Pacer, report: (e: ExportProgress['event'], id?: string) => void): Promise<number> {
  let started = 0;
  let inFlight = ledger.counts().requested.archives;
  for (;;) {
    o.signal?.throwIfAborted();
    const [next] = ledger.inState(['pending'], 1);
    if (!next || pacer.check(next.size, inFlight)) return started;
    ledger.update(next.archiveId, 'starting');
    let job: Job;
    try {
      job = await vault.Archive(next.archiveId).initiateArchiveRetrieval({ tier: o.tier ?? 'Bulk', description: 'glacier-resource export' });
    } catch (err) {
      ledger.update(next.archiveId, 'pending', { error: describe(err) });
      if (errorName(err) === 'PolicyEnforcedException' || errorName(err) === 'InsufficientCapacityException') {
        pacer.refused();
        report('retry', next.archiveId);
        return started;
      }
      if (errorName(err) === 'ResourceNotFoundException') {
        ledger.update(next.archiveId, 'failed', { error: `The archive is no longer in the vault: ${describe(err)}` });
        report('failed', next.archiveId);
        continue;
      }
      // Throttling or a server error that outlasted the SDK's retries: try again at the next poll.
      if (isTransientError(err)) return started;
      throw err;
    }
    ledger.update(next.archiveId, 'requested', { jobId: job.id, jobStartedAt: pacer.clock.now(), attempts: next.attempts + 1, error: null });
    pacer.started(next.size, next.archiveId);
    started++;
    inFlight++;
    report('started', next.archiveId);
  }
}

/** Polls the jobs in flight and downloads the outputs that are ready; returns how many archives moved on. */
async function collect(
  vault: Vault,
  o: ExportOptions,
  to: string,
  staging: string,
  ledger: ExportLedger,
  report: (e: ExportProgress['event'], id?: string) => void,
  signal: AbortSignal | undefined,
): Promise<number> {
  const ready: LedgerArchive[] = [];
  let moved = 0;
  const retry = (a: LedgerArchive, reason: string) => {
    const failed = a.attempts >= (o.maxAttempts ?? 5);
    ledger.update(a.archiveId, failed ? 'failed' : 'pending', { error: reason, jobId: null });
    report(failed ? 'failed' : 'retry', a.archiveId);
    moved++;
  };
  const polled = ledger.inState(['requested']);
  let nextPoll = 0;
  // DescribeJob costs nothing on AWS; a few at a time keep a large flight quick to poll.
  const poller = async () => {
    while (nextPoll < polled.length) {
      signal?.throwIfAborted();
      const a = polled[nextPoll++]!;
      const job = vault.Job(a.jobId!);
      try {
        await job.load();
      } catch (err) {
        if (isTransientError(err)) continue; // look again at the next poll
        if (errorName(err) !== 'ResourceNotFoundException') throw err;
        retry(a, `job ${a.jobId} expired before its output was downloaded`);
        continue;
      }
      if (job.statusCode === 'Succeeded') ready.push(a);
      else if (job.statusCode === 'Failed') retry(a, `job ${a.jobId} failed: ${job.statusMessage ?? 'no reason given'}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, poller));
  ready.sort((x, y) => (x.created < y.created ? -1 : x.created > y.created ? 1 : x.archiveId < y.archiveId ? -1 : 1));
  let next = 0;
  const worker = async () => {
    while (next < ready.length) {
      const a = ready[next++]!;
      moved += await download(vault, o, to, staging, ledger, a, report, retry, signal);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 2) }, worker));
  return moved;
}

/** Downloads one ready output, verifies it against the inventory and renames it into place. */
async function download(
  vault: Vault,
  o: ExportOptions,
  to: string,
  staging: string,
  ledger: ExportLedger,
  a: LedgerArchive,
  report: (e: ExportProgress['event'], id?: string) => void,
  retry: (a: LedgerArchive, reason: string) => void,
  signal: AbortSignal | undefined,
): Promise<number> {
  const target = placeUnder(to, a.name)!;
  const temp = join(staging, createHash('sha256').update(a.archiveId).digest('hex').slice(0, 40));
  let result;
  try {
    result = await vault.Job(a.jobId!).download(temp, { ...(signal ? { signal } : {}) });
  } catch (err) {
    if (signal?.aborted) throw err;
    if (errorName(err) === 'ResourceNotFoundException') {
      retry(a, `job ${a.jobId} expired while its output was downloaded`);
      return 0;
    }
    retry(a, `download failed: ${describe(err)}`);
    return 0;
  }
  if (result.treeHash !== a.treeHash) {
    await rm(temp, { force: true });
    retry(a, `the downloaded bytes' tree hash ${result.treeHash ?? '(none)'} is not the inventory's ${a.treeHash}`);
    return 0;
  }
  if (a.mtime !== null) await utimes(temp, new Date(a.mtime), new Date(a.mtime));
  await mkdir(dirname(target), { recursive: true });
  const existing = await stat(target).catch(() => undefined);
  if (existing && !existing.isFile()) {
    ledger.update(a.archiveId, 'failed', { error: `${a.name} exists in the target and is not a file; move it away and run the export again` });
    report('failed', a.archiveId);
    return 1;
  }
  await rename(temp, target);
  ledger.update(a.archiveId, 'verified', { error: null });
  report('verified', a.archiveId);
  if (o.deleteAfterVerify) {
    await vault.Archive(a.archiveId).delete();
    ledger.update(a.archiveId, 'deleted');
    report('deleted', a.archiveId);
  }
  return 1;
}
