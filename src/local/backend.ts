/**
 * The service core shared by all operation handlers: the metadata store,
 * byte storage, the clock, durable changes, and the rules that depend on
 * time (job completion and expiry, vault-lock expiry, idle multipart uploads,
 * daily inventories).
 *
 * Time rules are applied lazily where they are read (an expired job is not
 * found, an expired lock is not shown), and a sweep at most once a second
 * removes what expired and deletes the blobs nothing references any more.
 *
 * @module
 */
import { Readable } from 'node:stream';
import { combineTreeHashes, MiB } from '../transfer/tree-hash.js';
import type { BlobStore } from './blobs.js';
import { Clock, DAY_MS, HOUR_MS, isoDate } from './clock.js';
import { notFound } from './errors.js';
import type { PathParams, RequestContext } from './http.js';
import type { InventoryRow, Store, VaultChanges } from './store.js';
import type { InventoryEntry, JobRecord, Segment, VaultRecord } from './state.js';
import { parseSyntheticKey, readSynthetic, syntheticLeaves } from './synthetic.js';

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

/** AWS's typical job times in seconds (min, max), used with a time scale: Expedited 1-5 min, Standard 3-5 h, Bulk 5-12 h, inventories about 4 h. */
export const AWS_JOB_TIMES: Readonly<Record<keyof JobDelays, readonly [number, number]>> = {
  Expedited: [60, 300],
  Standard: [3 * 3600, 5 * 3600],
  Bulk: [5 * 3600, 12 * 3600],
  inventory: [3 * 3600, 5 * 3600],
};

/** Resolved settings the handlers need. */
export interface BackendSettings {
  /** The 12-digit account id. */
  accountId: string;
  /** The region used in ARNs. */
  region: string;
  /** Seconds until jobs complete, or `aws`: AWS's typical times, drawn from the seed. */
  jobDelays: JobDelays | 'aws';
  /** Inventory mode: live, or AWS-like daily. */
  inventory: 'live' | 'daily';
  /** Seed of the drawn job times. */
  seed: number;
}

/** How long a completed job's output stays available. */
export const JOB_OUTPUT_TTL_MS = DAY_MS;
/** How long a deleted archive id keeps answering DeleteArchive with success. */
export const DELETED_ARCHIVE_TTL_MS = DAY_MS;
/** How long a completed multipart upload answers a retried Complete with the same archive, and an aborted one a repeated Abort with success. */
export const COMPLETED_UPLOAD_TTL_MS = HOUR_MS;
/** How long a multipart upload may stay idle (no part uploaded) before it is dropped. */
export const IDLE_UPLOAD_TTL_MS = DAY_MS;

/** Rows a sweep handles per kind, so that it never holds the event loop long. */
const SWEEP_BATCH = 2000;

/** An injected failure of a metadata write (fault kind `diskfull`). */
function diskFull(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write (injected fault)'), { code: 'ENOSPC' });
}

/** The service core. */
export class Backend {
  #lastSweep = 0;
  #draws: number;

  /**
   * @param store - The metadata.
   * @param blobs - Byte storage.
   * @param clock - The endpoint clock.
   * @param settings - Account, region, job delays, inventory mode.
   */
  constructor(
    readonly store: Store,
    readonly blobs: BlobStore,
    readonly clock: Clock,
    readonly settings: BackendSettings,
  ) {
    this.#draws = settings.seed >>> 0 || 1;
  }

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

  /** The vault named in the path, with time rules applied; 404 when it does not exist. */
  vault(params: PathParams): VaultRecord {
    const name = params.vaultName!;
    this.sweep();
    const vault = this.store.vault(name);
    if (!vault) throw notFound(`Vault not found for ARN: ${this.vaultArn(name)}`);
    return this.tick(vault);
  }

  /** Applies the time rules to a vault record: an expired InProgress lock is gone; a due daily inventory is taken. */
  tick(vault: VaultRecord): VaultRecord {
    const now = this.now();
    if (vault.lock && vault.lock.state === 'InProgress' && now >= vault.lock.expires) vault.lock = null;
    if (this.settings.inventory === 'daily' && vault.pendingSince !== null && now >= vault.pendingSince + DAY_MS) {
      const date = vault.pendingSince + DAY_MS;
      const snapshot = { date, ...this.store.countAt(vault, date) };
      const pendingSince = vault.lastWrite !== null && vault.lastWrite > date ? date : null;
      this.store.transaction(() => this.store.updateVault(vault.name, { snapshot, pendingSince }));
      vault.snapshot = snapshot;
      vault.pendingSince = pendingSince;
    }
    return vault;
  }

  /**
   * Runs `change` as one durable transaction: its effects are visible only
   * once committed; when it or the commit fails, nothing of it remains. The
   * `diskfull` fault makes the commit fail.
   */
  write<T>(ctx: RequestContext | undefined, change: () => T): T {
    return this.store.transaction(change, () => {
      if (ctx?.fault?.kind === 'diskfull') throw diskFull();
    });
  }

  /** The vault changes that record an archive write or delete. */
  writeMark(vault: VaultRecord): VaultChanges {
    const now = this.now();
    return { lastWrite: now, pendingSince: vault.pendingSince ?? now };
  }

  /** Milliseconds until a job of this kind completes. */
  jobDelayMs(kind: keyof JobDelays): number {
    const delays = this.settings.jobDelays;
    if (delays !== 'aws') return delays[kind] * 1000;
    const [min, max] = AWS_JOB_TIMES[kind];
    return Math.round((min + (max - min) * this.#random()) * 1000);
  }

  /** mulberry32: the next number in [0, 1) of the seeded sequence. */
  #random(): number {
    let t = (this.#draws = (this.#draws + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True when the job has completed on the endpoint clock. */
  isComplete(job: JobRecord): boolean {
    return this.now() >= job.completesAt;
  }

  /** Deletes the blobs among `keys` that nothing references any more. Call after the change that dropped them was committed. */
  async release(keys: Iterable<string>): Promise<void> {
    const unused = [...new Set(keys)].filter((k) => parseSyntheticKey(k) === undefined && !this.store.isReferenced(k));
    if (unused.length > 0) await this.blobs.remove(unused);
  }

  /** Removes what expired (jobs, remembered uploads and deletes, idle uploads), at most once a second of real time. */
  sweep(): void {
    const real = Date.now();
    if (real - this.#lastSweep < 1000) return;
    this.#lastSweep = real;
    const now = this.now();
    const released = this.store.transaction(() => {
      const keys = this.store.purgeJobs(now - JOB_OUTPUT_TTL_MS, SWEEP_BATCH);
      for (const u of this.store.idleUploads(now - IDLE_UPLOAD_TTL_MS, SWEEP_BATCH)) keys.push(...this.store.deleteUpload(u.vault, u.id));
      this.store.purgeFinishedUploads(now - COMPLETED_UPLOAD_TTL_MS);
      this.store.purgeDeletedArchives(now - DELETED_ARCHIVE_TTL_MS, this.settings.inventory === 'daily', SWEEP_BATCH);
      return keys;
    });
    if (released.length > 0) void this.release(released).catch(() => undefined);
  }

  /** The leaf digests of a segment (stored ones from the blob store, synthetic ones generated). */
  async #leaves(seg: Segment): Promise<Buffer> {
    const synthetic = parseSyntheticKey(seg.key);
    return synthetic ? syntheticLeaves(synthetic) : this.blobs.leaves(seg.key);
  }

  #read(seg: Segment, start: number, end: number): Readable {
    const synthetic = parseSyntheticKey(seg.key);
    return synthetic ? readSynthetic(synthetic, start, end) : this.blobs.read(seg.key, start, end);
  }

  /**
   * The tree hash of bytes `[start, end)` of the concatenated segments, from
   * leaf digests. `start` must be MiB aligned, and `end` MiB aligned or the
   * end of the data.
   */
  async rangeTreeHash(segments: readonly Segment[], start: number, end: number): Promise<string> {
    const digests: Buffer[] = [];
    let base = 0;
    for (const seg of segments) {
      const segEnd = base + seg.size;
      if (segEnd > start && base < end) {
        const leaves = await this.#leaves(seg);
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
    let base = 0;
    for (const seg of segments) {
      // The common case, a range inside one segment, streams it directly.
      if (start >= base && end <= base + seg.size) return this.#read(seg, start - base, end - base);
      if (start < base + seg.size) break;
      base += seg.size;
    }
    const read = (seg: Segment, s: number, e: number) => this.#read(seg, s, e);
    async function* chunks(): AsyncGenerator<Buffer> {
      let base = 0;
      for (const seg of segments) {
        const segEnd = base + seg.size;
        if (segEnd > start && base < end) {
          for await (const chunk of read(seg, Math.max(start, base) - base, Math.min(end, segEnd) - base)) yield chunk as Buffer;
        }
        base = segEnd;
        if (base >= end) break;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }
}

/** An inventory row as an inventory line. */
export function inventoryEntry(a: InventoryRow): InventoryEntry {
  return { ArchiveId: a.id, ArchiveDescription: a.description, CreationDate: isoDate(a.created), Size: a.size, SHA256TreeHash: a.treeHash };
}
