/**
 * `glacier-local seed`: fills a data directory with a vault of synthetic
 * archives (see `synthetic.ts`), to rehearse big vaults without the disk.
 *
 * ```
 * glacier-local seed --data-dir DIR --vault NAME --archives N
 *                    [--size BYTES | --size MIN-MAX] [--descriptions STYLE] [--seed S]
 * ```
 *
 * Archives are written in transactions of {@link SEED_BATCH}; their creation
 * dates run one second apart, ending now, so inventories list them in order.
 * The vault is left as if its daily inventory had just been taken, so an
 * inventory job works at once in both inventory modes.
 *
 * @module
 */
import { resolve } from 'node:path';
import { Clock } from './clock.js';
import { openStorage } from './datadir.js';
import { syntheticDescription, type DescriptionStyle } from './descriptions.js';
import { newArchiveId } from './ids.js';
import type { ArchiveRow } from './store.js';
import { syntheticKey, syntheticTreeHash } from './synthetic.js';
import { VAULT_NAME_RE } from './vaults.js';

/** Archives per transaction. */
export const SEED_BATCH = 10_000;

/** The largest archive Glacier holds (10,000 parts of 4 GiB). */
export const MAX_ARCHIVE_SIZE = 10_000 * 4 * 1024 ** 3;

/** A range of archive sizes, in bytes. */
export interface SizeRange {
  /** Smallest size. */
  min: number;
  /** Largest size. */
  max: number;
}

/** Options of {@link seedVault}. */
export interface SeedOptions {
  /** The data directory (created if missing; no endpoint may be running on it). */
  dataDir: string;
  /** The vault to fill (created if missing). */
  vault: string;
  /** How many archives to add. */
  archives: number;
  /** Archive size in bytes: one size, or a range drawn from the seed (default 1 KiB). */
  size?: number | SizeRange;
  /** How descriptions are written (default `plain`). */
  descriptions?: DescriptionStyle;
  /** The generator seed (default 1). */
  seed?: number;
  /** Called after each batch with the archives written so far. */
  onProgress?: (written: number, total: number) => void;
}

/** What {@link seedVault} did. */
export interface SeedReport {
  /** Archives added. */
  archives: number;
  /** Their total size in bytes. */
  bytes: number;
  /** Index of the first one within the seed. */
  firstIndex: number;
}

/** mulberry32 generator of numbers in [0, 1). */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Checks seed options, throwing a RangeError that says what to fix. */
export function checkSeedOptions(o: SeedOptions): void {
  if (!VAULT_NAME_RE.test(o.vault)) throw new RangeError(`${o.vault} is not a valid vault name: 1 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'.`);
  if (!Number.isSafeInteger(o.archives) || o.archives < 1) throw new RangeError(`--archives must be a whole number of at least 1, got ${o.archives}.`);
  const size = o.size ?? 1024;
  const [min, max] = typeof size === 'number' ? [size, size] : [size.min, size.max];
  for (const n of [min, max]) {
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_ARCHIVE_SIZE) throw new RangeError(`Archive sizes must be whole numbers from 1 to ${MAX_ARCHIVE_SIZE} bytes, got ${n}.`);
  }
  if (min > max) throw new RangeError(`The size range ${min}-${max} is empty: give MIN-MAX with MIN <= MAX.`);
  if (o.seed !== undefined && (!Number.isSafeInteger(o.seed) || o.seed < 0)) throw new RangeError(`--seed must be a non-negative whole number, got ${o.seed}.`);
}

/** Adds synthetic archives to a vault of a data directory. */
export async function seedVault(o: SeedOptions): Promise<SeedReport> {
  checkSeedOptions(o);
  const seed = o.seed ?? 1;
  const size = o.size ?? 1024;
  const [min, max] = typeof size === 'number' ? [size, size] : [size.min, size.max];
  const style = o.descriptions ?? 'plain';
  const { store } = await openStorage(resolve(o.dataDir));
  try {
    const now = new Clock().nowMs();
    const first = store.transaction(() => {
      if (!store.vault(o.vault)) store.insertVault(o.vault, now - o.archives * 1000 - 1000);
      return store.reserveSyntheticIndexes(seed, o.archives);
    });
    const random = generator(seed * 2654435761 + first);
    let bytes = 0;
    for (let done = 0; done < o.archives; ) {
      const batch: Array<Omit<ArchiveRow, 'deletedAt'>> = [];
      for (const end = Math.min(o.archives, done + SEED_BATCH); done < end; done++) {
        const index = first + done;
        const archiveSize = min === max ? min : min + Math.floor(random() * (max - min + 1));
        const created = now - (o.archives - done) * 1000;
        const synthetic = { seed, index, size: archiveSize };
        batch.push({
          id: newArchiveId(),
          description: syntheticDescription(style, index, created - 86_400_000),
          created,
          size: archiveSize,
          treeHash: syntheticTreeHash(synthetic),
          segments: [{ key: syntheticKey(synthetic), size: archiveSize }],
        });
        bytes += archiveSize;
      }
      store.transaction(() => store.insertSyntheticArchives(o.vault, batch));
      o.onProgress?.(done, o.archives);
      await new Promise<void>((r) => setImmediate(r));
    }
    store.transaction(() => {
      const vault = store.vault(o.vault)!;
      // As if the vault's daily inventory had just been taken.
      store.updateVault(o.vault, { lastWrite: now, pendingSince: null, snapshot: { date: now, count: vault.archiveCount, bytes: vault.archiveBytes } });
    });
    return { archives: o.archives, bytes, firstIndex: first };
  } finally {
    store.close();
  }
}
