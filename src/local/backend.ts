/**
 * The service core shared by all operation handlers: state, storage, clock,
 * durable commits, and the rules that depend on time (job completion and
 * expiry, vault-lock expiry, daily inventories).
 *
 * @module
 */
import { Readable } from 'node:stream';
import { combineTreeHashes, MiB } from '../transfer/tree-hash.js';
import type { BlobStore } from './blobs.js';
import { Clock, DAY_MS, isoDate } from './clock.js';
import { notFound } from './errors.js';
import type { PathParams } from './http.js';
import type { ArchiveRecord, InventoryEntry, JobRecord, Segment, ServiceState, VaultRecord } from './state.js';
import { Committer } from './state.js';

/** Seconds until a job completes, per tier and for inventories. */
export interface JobDelays {
  /** Archive retrievals with Tier Expedited. */
  Expedited: number;
  /** Archive retrievals with Tier Standard (the default tier). */
  Standard: number;
  /** Archive retrievals with Tier Bulk. */
  Bulk: number;
  /** Inventory retrievals. */
  inventory: number;
}

/** Default job delays in seconds. */
export const DEFAULT_JOB_DELAYS: JobDelays = { Expedited: 1, Standard: 3, Bulk: 5, inventory: 3 };

/** Resolved settings the handlers need. */
export interface BackendSettings {
  /** The 12-digit account id. */
  accountId: string;
  /** The region used in ARNs. */
  region: string;
  /** Seconds until jobs complete. */
  jobDelays: JobDelays;
  /** Inventory mode: live, or AWS-like daily. */
  inventory: 'live' | 'daily';
}

/** How long a completed job's output stays available. */
export const JOB_OUTPUT_TTL_MS = DAY_MS;
/** How long a deleted archive id keeps answering DeleteArchive with success. */
export const DELETED_ARCHIVE_TTL_MS = DAY_MS;
/** How long a completed multipart upload answers a retried Complete with the same archive, and an aborted one a repeated Abort with success. */
export const COMPLETED_UPLOAD_TTL_MS = 60 * 60 * 1000;

/** The service core. */
export class Backend {
  /** Blob keys of expired jobs, released at the next commit. */
  #expired: string[] = [];

  /**
   * @param state - The metadata (mutated in place).
   * @param blobs - Byte storage.
   * @param clock - The endpoint clock.
   * @param committer - Makes metadata changes durable.
   * @param settings - Account, region, job delays, inventory mode.
   */
  constructor(
    readonly state: ServiceState,
    readonly blobs: BlobStore,
    readonly clock: Clock,
    readonly committer: Committer,
    readonly settings: BackendSettings,
  ) {}

  /** The current time in ms on the endpoint clock. */
  now(): number {
    return this.clock.nowMs();
  }

  /** `arn:aws:glacier:REGION:ACCOUNT:vaults/NAME`. */
  vaultArn(name: string): string {
    return `arn:aws:glacier:${this.settings.region}:${this.settings.accountId}:vaults/${name}`;
  }

  /** `/ACCOUNT/vaults/NAME` (the base of Location headers). */
  vaultPath(name: string): string {
    return `/${this.settings.accountId}/vaults/${name}`;
  }

  /** The vault named in the path, after applying time-based rules; 404 when it does not exist. */
  vault(params: PathParams): VaultRecord {
    const name = params.vaultName!;
    const vault = this.state.vaults.get(name);
    if (!vault) throw notFound(`Vault not found for ARN: ${this.vaultArn(name)}`);
    this.tick(vault);
    return vault;
  }

  /** Applies time-based rules to a vault: lock expiry, job expiry, upload retention, daily inventory. */
  tick(vault: VaultRecord): void {
    const now = this.now();
    if (vault.lock && vault.lock.state === 'InProgress' && now >= vault.lock.expires) vault.lock = null;
    for (const [id, job] of vault.jobs) {
      if (now >= job.completesAt + JOB_OUTPUT_TTL_MS) {
        vault.jobs.delete(id);
        for (const seg of job.output.segments) this.#expired.push(seg.key);
      }
    }
    for (const [id, at] of vault.deletedArchives) {
      if (now >= at + DELETED_ARCHIVE_TTL_MS) vault.deletedArchives.delete(id);
    }
    for (const [id, done] of vault.completedUploads) {
      if (now >= done.at + COMPLETED_UPLOAD_TTL_MS) vault.completedUploads.delete(id);
    }
    for (const [id, at] of vault.abortedUploads) {
      if (now >= at + COMPLETED_UPLOAD_TTL_MS) vault.abortedUploads.delete(id);
    }
    if (this.settings.inventory === 'daily' && vault.pendingSince !== null && now >= vault.pendingSince + DAY_MS) {
      const date = vault.pendingSince + DAY_MS;
      vault.snapshot = {
        date,
        entries: sortedArchives(vault)
          .filter((a) => a.created <= date)
          .map(inventoryEntry),
      };
      vault.pendingSince = vault.lastWrite !== null && vault.lastWrite > date ? date : null;
    }
  }

  /** Records an archive write or delete in a vault. */
  markWrite(vault: VaultRecord): void {
    const now = this.now();
    vault.lastWrite = now;
    if (vault.pendingSince === null) vault.pendingSince = now;
  }

  /** Seconds until a job of this kind completes. */
  jobDelaySeconds(kind: keyof JobDelays): number {
    return this.settings.jobDelays[kind];
  }

  /** True when the job has completed on the endpoint clock. */
  isComplete(job: JobRecord): boolean {
    return this.now() >= job.completesAt;
  }

  /** Every blob key referenced by the metadata. */
  referencedKeys(): Set<string> {
    const keys = new Set<string>();
    for (const vault of this.state.vaults.values()) {
      for (const a of vault.archives.values()) for (const s of a.segments) keys.add(s.key);
      for (const u of vault.uploads.values()) for (const p of u.parts.values()) keys.add(p.key);
      for (const j of vault.jobs.values()) for (const s of j.output.segments) keys.add(s.key);
    }
    return keys;
  }

  /**
   * Deletes the blobs among `keys` that nothing references any more. Call
   * after the metadata change that dropped them was committed.
   */
  async release(keys: Iterable<string>): Promise<void> {
    const referenced = this.referencedKeys();
    const unused = [...new Set(keys)].filter((k) => !referenced.has(k));
    if (unused.length > 0) await this.blobs.remove(unused);
  }

  /** Commits metadata, then deletes the released blobs that are no longer referenced. */
  async commitAndRelease(keys: Iterable<string> = []): Promise<void> {
    const expired = this.#expired;
    this.#expired = [];
    await this.committer.commit();
    await this.release([...keys, ...expired]);
  }

  /**
   * The tree hash of bytes `[start, end)` of the concatenated segments, from
   * stored leaf digests. `start` must be MiB aligned, and `end` MiB aligned or
   * the end of the data.
   */
  async rangeTreeHash(segments: readonly Segment[], start: number, end: number): Promise<string> {
    const digests: Buffer[] = [];
    let base = 0;
    for (const seg of segments) {
      const segEnd = base + seg.size;
      if (segEnd > start && base < end) {
        const leaves = await this.blobs.leaves(seg.key);
        const from = Math.max(start, base) - base;
        const to = Math.min(end, segEnd) - base;
        for (let leaf = Math.floor(from / MiB); leaf * MiB < to; leaf++) {
          digests.push(leaves.subarray(leaf * 32, leaf * 32 + 32));
        }
      }
      base = segEnd;
    }
    return combineTreeHashes(digests);
  }

  /** Streams bytes `[start, end)` of the concatenated segments. */
  readSegments(segments: readonly Segment[], start: number, end: number): Readable {
    const blobs = this.blobs;
    let base = 0;
    for (const seg of segments) {
      // The common case, a range inside one segment, streams the blob directly.
      if (start >= base && end <= base + seg.size) return blobs.read(seg.key, start - base, end - base);
      if (start < base + seg.size) break;
      base += seg.size;
    }
    async function* chunks(): AsyncGenerator<Buffer> {
      let base = 0;
      for (const seg of segments) {
        const segEnd = base + seg.size;
        if (segEnd > start && base < end) {
          const stream = blobs.read(seg.key, Math.max(start, base) - base, Math.min(end, segEnd) - base);
          for await (const chunk of stream) yield chunk as Buffer;
        }
        base = segEnd;
        if (base >= end) break;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }
}

/** A vault's archives in inventory order (creation time, then id). */
export function sortedArchives(vault: VaultRecord): ArchiveRecord[] {
  return [...vault.archives.values()].sort((a, b) => a.created - b.created || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** An archive as an inventory line. */
export function inventoryEntry(a: ArchiveRecord): InventoryEntry {
  return { ArchiveId: a.id, ArchiveDescription: a.description, CreationDate: isoDate(a.created), Size: a.size, SHA256TreeHash: a.treeHash };
}
