/**
 * The metadata store's tables of work in progress: multipart uploads and
 * their parts, recently finished uploads, and jobs (see `store.ts`).
 *
 * @module
 */
import type { CompletedUpload, JobRecord, PartRecord, UploadRecord } from './state.js';
import { owner, StoreBase } from './store-base.js';

/** Filters of {@link WorkStore.jobPage}. */
export interface JobFilter {
  /** The current time. */
  now: number;
  /** Jobs completed (true) or in progress (false), or undefined for both. */
  completed?: boolean;
  /** Only jobs in this status. */
  status?: 'InProgress' | 'Succeeded' | 'Failed';
}

/** Uploads, parts, finished uploads and jobs. */
export class WorkStore extends StoreBase {
  // ---- multipart uploads ----

  /** The in-progress upload, or undefined. */
  upload(vault: string, id: string): UploadRecord | undefined {
    const r = this.s('SELECT id, description, part_size, created, last_activity FROM uploads WHERE vault = ? AND id = ?').get(vault, id) as
      | { id: string; description: string; part_size: number; created: number; last_activity: number }
      | undefined;
    return r && { id: r.id, description: r.description, partSize: r.part_size, created: r.created, lastActivity: r.last_activity };
  }

  /** Up to `limit` uploads of a vault created at or after `from` (by (created, id)). */
  uploadPage(vault: string, from: { created: number; id: string }, idleSince: number, limit: number): UploadRecord[] {
    const rows = this.s(
      'SELECT id, description, part_size, created, last_activity FROM uploads WHERE vault = ? AND (created, id) >= (?, ?) AND last_activity > ? ORDER BY created, id LIMIT ?',
    ).all(vault, from.created, from.id, idleSince, limit) as Array<{ id: string; description: string; part_size: number; created: number; last_activity: number }>;
    return rows.map((r) => ({ id: r.id, description: r.description, partSize: r.part_size, created: r.created, lastActivity: r.last_activity }));
  }

  /** Starts an upload. */
  insertUpload(vault: string, u: UploadRecord): void {
    this.s('INSERT INTO uploads(vault, id, description, part_size, created, last_activity) VALUES (?, ?, ?, ?, ?, ?)').run(vault, u.id, u.description, u.partSize, u.created, u.lastActivity);
  }

  /** The parts of an upload starting at or after `from`, by start byte. */
  parts(vault: string, uploadId: string, from = 0, limit = -1): PartRecord[] {
    const rows = this.s('SELECT start, size, tree_hash, key FROM parts WHERE vault = ? AND upload_id = ? AND start >= ? ORDER BY start LIMIT ?').all(vault, uploadId, from, limit) as Array<{
      start: number;
      size: number;
      tree_hash: string;
      key: string;
    }>;
    return rows.map((r) => ({ start: r.start, size: r.size, treeHash: r.tree_hash, key: r.key }));
  }

  /** Stores (or replaces) a part; returns the replaced part's blob keys that lost their reference. */
  putPart(vault: string, uploadId: string, p: PartRecord, now: number): string[] {
    const ref = owner('p', vault, uploadId, p.start);
    const released = this.dropRefs(ref);
    this.s('INSERT INTO parts(vault, upload_id, start, size, tree_hash, key) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(vault, upload_id, start) DO UPDATE SET size = excluded.size, tree_hash = excluded.tree_hash, key = excluded.key').run(
      vault,
      uploadId,
      p.start,
      p.size,
      p.treeHash,
      p.key,
    );
    this.s('UPDATE uploads SET last_activity = ? WHERE vault = ? AND id = ?').run(now, vault, uploadId);
    this.addRefs(ref, [p]);
    return released;
  }

  /** Removes an upload and its parts; returns the blob keys that lost a reference. */
  deleteUpload(vault: string, id: string): string[] {
    const released = this.dropRefsWithPrefix(`${owner('p', vault, id)}/`);
    this.s('DELETE FROM parts WHERE vault = ? AND upload_id = ?').run(vault, id);
    this.s('DELETE FROM uploads WHERE vault = ? AND id = ?').run(vault, id);
    return released;
  }

  /** Uploads idle since before `before`, at most `limit`. */
  idleUploads(before: number, limit: number): Array<{ vault: string; id: string }> {
    return this.s('SELECT vault, id FROM uploads WHERE last_activity <= ? LIMIT ?').all(before, limit) as Array<{ vault: string; id: string }>;
  }

  /** A completed (or aborted: archiveId null) upload remembered since `since`, or undefined. */
  finishedUpload(vault: string, id: string, since: number): (CompletedUpload & { aborted: boolean }) | undefined {
    const r = this.s('SELECT id, outcome, at, archive_id, size, tree_hash FROM finished_uploads WHERE vault = ? AND id = ? AND at > ?').get(vault, id, since) as
      | { id: string; outcome: string; at: number; archive_id: string | null; size: number | null; tree_hash: string | null }
      | undefined;
    return r && { uploadId: r.id, archiveId: r.archive_id ?? '', size: r.size ?? 0, treeHash: r.tree_hash ?? '', at: r.at, aborted: r.outcome === 'aborted' };
  }

  /** Remembers a completed or aborted upload. */
  insertFinishedUpload(vault: string, done: CompletedUpload | { uploadId: string; at: number }): void {
    const c = 'archiveId' in done ? done : undefined;
    this.s('INSERT OR REPLACE INTO finished_uploads(vault, id, outcome, at, archive_id, size, tree_hash) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      vault,
      done.uploadId,
      c ? 'completed' : 'aborted',
      done.at,
      c?.archiveId ?? null,
      c?.size ?? null,
      c?.treeHash ?? null,
    );
  }

  /** Forgets finished uploads from before `before`. */
  purgeFinishedUploads(before: number): void {
    this.s('DELETE FROM finished_uploads WHERE at <= ?').run(before);
  }

  // ---- jobs ----

  /** The job, or undefined. */
  job(vault: string, id: string): JobRecord | undefined {
    const doc = this.s('SELECT doc FROM jobs WHERE vault = ? AND id = ?').pluck().get(vault, id) as string | undefined;
    return doc === undefined ? undefined : (JSON.parse(doc) as JobRecord);
  }

  /** Adds a job. */
  insertJob(vault: string, job: JobRecord): void {
    this.s('INSERT INTO jobs(vault, id, created, completes_at, action, tier, failure, output_size, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      vault,
      job.id,
      job.created,
      job.completesAt,
      job.action,
      job.tier,
      job.failure ?? null,
      job.output.size,
      JSON.stringify(job),
    );
    this.addRefs(owner('j', vault, job.id), job.output.segments);
  }

  /** Up to `limit` jobs of a vault at or after `from` in (created, id) order, completed after `expiredBefore`, filtered. */
  jobPage(vault: string, from: { created: number; id: string }, expiredBefore: number, f: JobFilter, limit: number): JobRecord[] {
    const where = ['vault = ?', '(created, id) >= (?, ?)', 'completes_at > ?'];
    const values: unknown[] = [vault, from.created, from.id, expiredBefore];
    if (f.completed === true) where.push('completes_at <= ?');
    if (f.completed === false) where.push('completes_at > ?');
    if (f.completed !== undefined) values.push(f.now);
    if (f.status === 'InProgress') where.push('completes_at > ?');
    if (f.status === 'Succeeded') where.push('completes_at <= ? AND failure IS NULL');
    if (f.status === 'Failed') where.push('completes_at <= ? AND failure IS NOT NULL');
    if (f.status !== undefined) values.push(f.now);
    const docs = this.s(`SELECT doc FROM jobs WHERE ${where.join(' AND ')} ORDER BY created, id LIMIT ?`).pluck().all(...values, limit) as string[];
    return docs.map((d) => JSON.parse(d) as JobRecord);
  }

  /** Bytes of Standard archive retrievals created since `since`, across all vaults. */
  standardBytesSince(since: number): number {
    return this.s("SELECT coalesce(sum(output_size), 0) FROM jobs WHERE action = 'ArchiveRetrieval' AND tier = 'Standard' AND created >= ?").pluck().get(since) as number;
  }

  /** Removes up to `limit` jobs that completed before `before`; returns the blob keys that lost a reference. */
  purgeJobs(before: number, limit: number): string[] {
    const gone = this.s('SELECT vault, id FROM jobs WHERE completes_at <= ? LIMIT ?').all(before, limit) as Array<{ vault: string; id: string }>;
    const released: string[] = [];
    for (const j of gone) {
      released.push(...this.dropRefs(owner('j', j.vault, j.id)));
      this.s('DELETE FROM jobs WHERE vault = ? AND id = ?').run(j.vault, j.id);
    }
    return released;
  }

}
