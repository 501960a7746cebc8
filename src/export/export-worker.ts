/**
 * One worker of a whole-vault export. Any number of workers, in one process
 * or on many machines, run this same loop against one ledger; everything
 * they share goes through the ledger's claims, so none of them coordinates
 * with another directly:
 *
 * - **start**: claim the oldest pending archive under the global budget and
 *   job cap, initiate its retrieval, record the job;
 * - **scan**: one worker at a time (a compare-and-set on the ledger) lists
 *   the vault's jobs and marks the archives whose output is ready;
 * - **write**: claim a ready archive, stream it to the destination, verified;
 * - **adopt**: a `starting` claim whose worker went quiet is looked up in the
 *   vault's job list, so its retrieval is never started twice.
 *
 * @module
 */
import type { Job } from '../resources/job.js';
import type { Vault } from '../resources/vault.js';
import { isTransientError } from '../transfer/retry.js';
import { BLOCKED, ExportWriteError, type ExportDestination } from './destination.js';
import type { ExportOptions, ExportProgress } from './export-vault.js';
import type { ExportLedger, LedgerArchive, LedgerCounts, LedgerWorker } from './ledger.js';
import { refusalBackoff, type ExportClock } from './pacing.js';

/** Default lease of a claim: a worker silent this long (wall clock) loses its claims. */
export const DEFAULT_LEASE_MS = 10 * 60 * 1000;
/** Shortest export-clock time between two job scans (ListJobs is free; one worker scans at a time). */
const MIN_SCAN_INTERVAL = 1000;
/** Retrievals a worker initiates at once. */
const STARTERS = 4;
/** Failed downloads of one job's output before the archive is retrieved again. */
const MAX_WRITE_FAILURES = 3;

/** How a worker's run ended. */
export interface WorkerResult {
  /** True when every archive is verified (or deleted after it) or failed. */
  finished: boolean;
  /** Archives and bytes per state, at the end. */
  counts: LedgerCounts;
}

/** What a worker works with. */
export interface WorkerContext {
  /** The vault exported. */
  vault: Vault;
  /** The shared ledger. */
  ledger: ExportLedger;
  /** Where archives go. */
  destination: ExportDestination;
  /** The export clock (shared epoch). */
  clock: ExportClock;
  /** The export's options. */
  options: ExportOptions;
  /** Who this worker is. */
  worker: Omit<LedgerWorker, 'heartbeatAt' | 'done' | 'activity'>;
  /** Archives in the plan. */
  total: number;
}

function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? '';
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

const RELEASED = { leaseOwner: null, leaseUntil: null } as const;

/** A worker's loop; resolves when the export is finished, or after one pass with `once`. */
export class ExportWorker {
  readonly #c: WorkerContext;
  readonly #id: string;
  readonly #lease: number;
  readonly #signal: AbortSignal | undefined;
  /** Archives this worker verified since its last heartbeat. */
  #done = 0;
  #lastBeat = 0;
  /** True after this worker set a back-off, until a start succeeds. */
  #backoffSet = false;

  /** @param context - The export this worker joins. */
  constructor(context: WorkerContext) {
    this.#c = context;
    this.#id = context.worker.workerId;
    this.#lease = context.options.leaseMs ?? DEFAULT_LEASE_MS;
    this.#signal = context.options.signal;
  }

  async #report(event: ExportProgress['event'], archiveId?: string, extra: Partial<ExportProgress> = {}): Promise<void> {
    if (!this.#c.options.onProgress) return;
    this.#c.options.onProgress({ counts: await this.#c.ledger.counts(), total: this.#c.total, event, ...(archiveId ? { archiveId } : {}), ...extra });
  }

  /** Records a heartbeat with the archives verified since the last one; `working` beats at most every 2 s. */
  async #beat(activity: string): Promise<void> {
    if (activity === 'working' && Date.now() - this.#lastBeat < 2000) return;
    const done = this.#done;
    this.#done = 0;
    this.#lastBeat = Date.now();
    await this.#c.ledger.heartbeat({ ...this.#c.worker, activity }, done);
  }

  /** Runs until the export is finished (or one pass with `once`); returns the final counts. */
  async run(): Promise<WorkerResult> {
    const { clock, ledger, options: o } = this.#c;
    const maxPoll = o.maxPollInterval ?? 15 * 60 * 1000;
    let pollMs = 1000;
    let lastDone = -1;
    for (let pass = 0; ; pass++) {
      this.#signal?.throwIfAborted();
      await this.#beat('working');
      await this.#adoptLapsedStarts();
      const [started, moved] = await Promise.all([this.#startRetrievals(), this.#collect(pass === 0 || o.once === true, pollMs)]);
      const counts = await ledger.counts(0);
      const finished = counts.pending.archives + counts.starting.archives + counts.requested.archives === 0;
      if (finished || o.once) {
        await this.#beat(finished ? 'finished' : 'paused');
        return { finished, counts };
      }
      // Progress by any worker keeps the pace; a quiet export backs off, up to maxPollInterval.
      const done = counts.verified.archives + counts.deleted.archives + counts.failed.archives;
      const progressed = started + moved > 0;
      pollMs = progressed || done !== lastDone ? 1000 : Math.min(maxPoll, pollMs * 2);
      lastDone = done;
      // After progress of its own, the next pass starts at once: more may be ready or startable.
      if (progressed) continue;
      await this.#beat('waiting');
      await this.#report('waiting', undefined, { nextPollMs: Math.max(10, pollMs / clock.scale) });
      await clock.sleep(pollMs, this.#signal);
    }
  }

  /** Archives claimed `starting` by a worker that went quiet: adopt the job it started, if any, else make them pending again. */
  async #adoptLapsedStarts(): Promise<void> {
    const { ledger, vault, clock } = this.#c;
    const lapsed = await ledger.claim('starting', this.#id, Date.now() + this.#lease, Date.now(), 1000);
    if (lapsed.length === 0) return;
    const waiting = new Map(lapsed.map((a) => [a.archiveId, a]));
    for await (const job of vault.jobs.pageSize(1000)) {
      const a = job.archiveId !== undefined ? waiting.get(job.archiveId) : undefined;
      if (!a || job.action !== 'ArchiveRetrieval' || job.statusCode === 'Failed') continue;
      await ledger.update(a.archiveId, 'requested', { jobId: job.id, jobStartedAt: clock.now(), jobReady: false, attempts: a.attempts + 1, failures: 0, ...RELEASED }, this.#id);
      waiting.delete(a.archiveId);
    }
    for (const a of waiting.values()) {
      await ledger.refund(a.archiveId);
      await ledger.update(a.archiveId, 'pending', RELEASED, this.#id);
    }
  }

  /** Starts retrievals while the ledger's claims allow, a batch claimed per transaction; returns how many archives moved on. */
  async #startRetrievals(): Promise<number> {
    const { ledger, clock, options: o } = this.#c;
    let moved = 0;
    for (;;) {
      this.#signal?.throwIfAborted();
      const { archives, wait } = await ledger.claimStarts({
        worker: this.#id,
        leaseUntil: Date.now() + this.#lease,
        now: clock.now(),
        bytesPerDay: o.bytesPerDay,
        maxJobsInFlight: o.maxJobsInFlight ?? 100,
        limit: STARTERS * 2,
      });
      let next = 0;
      let stop = false;
      const starter = async () => {
        while (next < archives.length) {
          const a = archives[next++]!;
          // After a refusal, the rest of the batch goes back unstarted.
          if (stop) {
            await ledger.refund(a.archiveId);
            await ledger.update(a.archiveId, 'pending', RELEASED, this.#id);
            continue;
          }
          const outcome = await this.#startOne(a);
          if (outcome === 'stop') stop = true;
          else moved += outcome;
        }
      };
      await Promise.all(Array.from({ length: STARTERS }, starter));
      if (stop || wait || archives.length === 0) return moved;
    }
  }

  /** Starts one claimed archive's retrieval (or finds it at the destination); 1 when it moved on, 'stop' when starts must pause. */
  async #startOne(a: LedgerArchive): Promise<number | 'stop'> {
    const { ledger, vault, clock, destination, options: o } = this.#c;
    if (a.present && (await destination.has(a))) {
      await ledger.refund(a.archiveId);
      await ledger.update(a.archiveId, 'verified', { error: null, ...RELEASED }, this.#id);
      this.#done++;
      await this.#report('verified', a.archiveId);
      return 1;
    }
    let job: Job;
    try {
      job = await vault.Archive(a.archiveId).initiateArchiveRetrieval({ tier: o.tier ?? 'Bulk', description: 'glacier-resource export' });
    } catch (err) {
      await ledger.refund(a.archiveId);
      const name = errorName(err);
      if (name === 'ResourceNotFoundException') {
        await ledger.update(a.archiveId, 'failed', { error: `The archive is no longer in the vault: ${describe(err)}`, ...RELEASED }, this.#id);
        await this.#report('failed', a.archiveId);
        return 1;
      }
      await ledger.update(a.archiveId, 'pending', { error: describe(err), ...RELEASED }, this.#id);
      if (name === 'PolicyEnforcedException' || name === 'InsufficientCapacityException') {
        const ms = refusalBackoff((await ledger.getMeta<number>('backoffMs')) ?? 0);
        await ledger.setMeta('backoffMs', ms);
        this.#backoffSet = true;
        await ledger.setMeta('backoffUntil', clock.now() + ms);
        await this.#report('retry', a.archiveId);
        return 'stop';
      }
      // Throttling or a server error that outlasted the SDK's retries: try again at the next pass.
      if (isTransientError(err)) return 'stop';
      throw err;
    }
    const fields = { jobId: job.id, jobStartedAt: clock.now(), jobReady: false, attempts: a.attempts + 1, failures: 0, error: null, ...RELEASED };
    if (!(await ledger.update(a.archiveId, 'requested', fields, this.#id))) {
      // The claim lapsed while InitiateJob ran, and the worker that took it over found no job yet: record this one.
      const now = await ledger.archive(a.archiveId);
      if (now && (now.state === 'pending' || now.state === 'starting')) await ledger.update(a.archiveId, 'requested', fields);
    }
    if (this.#backoffSet) {
      this.#backoffSet = false;
      await ledger.setMeta('backoffMs', 0);
    }
    await this.#report('started', a.archiveId);
    return 1;
  }

  /** Sends an archive back to be retrieved again, or fails it after too many retrievals. */
  async #retrieveAgain(a: LedgerArchive, reason: string, owner?: string): Promise<void> {
    const failed = a.attempts >= (this.#c.options.maxAttempts ?? 5);
    await this.#c.ledger.update(a.archiveId, failed ? 'failed' : 'pending', { error: reason, jobId: null, jobReady: false, failures: 0, ...RELEASED }, owner);
    await this.#report(failed ? 'failed' : 'retry', a.archiveId);
  }

  /** Scans the jobs (when due), then writes ready outputs; returns how many archives moved on. */
  async #collect(force: boolean, pollMs: number): Promise<number> {
    // At most one scan per second of real time too: listing thousands of jobs is not free on compressed time.
    let moved = await this.#scan(force, Math.max(MIN_SCAN_INTERVAL, pollMs, 1000 * this.#c.clock.scale));
    const slots = Math.max(1, this.#c.options.concurrency ?? 2);
    // Claimed a batch at a time (one transaction), as many as there are slots to write them.
    for (;;) {
      this.#signal?.throwIfAborted();
      const batch = await this.#c.ledger.claim('requested', this.#id, Date.now() + this.#lease, Date.now(), slots, true);
      if (batch.length === 0) return moved;
      let next = 0;
      const slot = async () => {
        while (next < batch.length) moved += await this.#write(batch[next++]!);
      };
      await Promise.all(Array.from({ length: slots }, slot));
    }
  }

  /**
   * Lists the vault's jobs once and marks the archives whose output is
   * ready; a job that failed or is gone sends its archive back to be
   * retrieved. Only one worker scans at a time, at most once per interval.
   */
  async #scan(force: boolean, interval: number): Promise<number> {
    const { ledger, vault, clock } = this.#c;
    const now = clock.now();
    const last = await ledger.getMeta<{ at: number; by: string }>('scan');
    if (!force && last && now - last.at < interval) return 0;
    if (!(await ledger.compareAndSetMeta('scan', last, { at: now, by: this.#id }))) return 0;
    const waiting = (await ledger.inState(['requested'])).filter((a) => !a.jobReady);
    if (waiting.length === 0) return 0;
    const listed = new Map<string, Job>();
    for await (const job of vault.jobs.pageSize(1000)) listed.set(job.id, job);
    const ready: string[] = [];
    let moved = 0;
    for (const a of waiting) {
      let job = listed.get(a.jobId!);
      if (!job) {
        // Not listed: started after the listing, or expired. DescribeJob tells.
        job = vault.Job(a.jobId!);
        try {
          await job.load();
        } catch (err) {
          if (isTransientError(err)) continue;
          if (errorName(err) !== 'ResourceNotFoundException') throw err;
          await this.#retrieveAgain(a, `job ${a.jobId} expired before its output was downloaded`);
          moved++;
          continue;
        }
      }
      if (job.statusCode === 'Succeeded') ready.push(job.id);
      else if (job.statusCode === 'Failed') {
        await this.#retrieveAgain(a, `job ${a.jobId} failed: ${job.statusMessage ?? 'no reason given'}`);
        moved++;
      }
    }
    await ledger.markReady(ready);
    return moved + ready.length;
  }

  /** Writes one claimed, ready archive to the destination; returns 1 when it moved on. */
  async #write(a: LedgerArchive): Promise<number> {
    const { ledger, vault, destination, options: o } = this.#c;
    const renew = setInterval(() => void ledger.renew([a.archiveId], this.#id, Date.now() + this.#lease).catch(() => undefined), Math.max(1000, this.#lease / 3));
    renew.unref();
    let outcome;
    try {
      outcome = await destination.write(vault, a, this.#signal);
    } catch (err) {
      if (this.#signal?.aborted || !(err instanceof ExportWriteError)) throw err;
      if (err.kind === 'blocked') {
        // Tried again on the next run (see exportVault), once a person has moved what is in the way.
        await ledger.update(a.archiveId, 'failed', { error: `${BLOCKED}${err.message}`, ...RELEASED }, this.#id);
        await this.#report('failed', a.archiveId);
      } else if (err.kind === 'expired' || a.failures + 1 >= MAX_WRITE_FAILURES) {
        await this.#retrieveAgain(a, err.message, this.#id);
      } else {
        await ledger.update(a.archiveId, 'requested', { failures: a.failures + 1, error: err.message, ...RELEASED }, this.#id);
        await this.#report('retry', a.archiveId);
      }
      return 1;
    } finally {
      clearInterval(renew);
    }
    await ledger.update(a.archiveId, 'verified', { error: null, ...(outcome?.name ? { name: outcome.name } : {}), ...RELEASED }, this.#id);
    this.#done++;
    await this.#beat('working');
    await this.#report('verified', a.archiveId, outcome?.name ? { writtenAs: outcome.name, name: a.name } : {});
    if (o.deleteAfterVerify) {
      await vault.Archive(a.archiveId).delete();
      await ledger.update(a.archiveId, 'deleted');
      await this.#report('deleted', a.archiveId);
    }
    return 1;
  }
}
