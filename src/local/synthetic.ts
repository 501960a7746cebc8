/**
 * Synthetic archives: bytes generated from a seed and the archive's index,
 * so that a vault of a million archives can be rehearsed without storing
 * them. They are served like any other archive (inventories, retrievals,
 * ranged GetJobOutput with tree hashes, DeleteArchive).
 *
 * The bytes of archive `i` are tree-hash leaves (1 MiB each) taken from a
 * pool of {@link POOL_BLOCKS} pseudo-random 1 MiB blocks (AES-128-CTR key
 * stream of the seed): full leaf `j` is block `(i + j) mod POOL_BLOCKS`; the
 * last leaf is a prefix of the next block followed by up to 32 bytes unique
 * to the archive (SHA-256 of seed and index), so no two archives are alike.
 * The pool's leaf digests are computed once, and SHA-256 states saved every
 * 4 KiB make the digest of any prefix cheap, so an archive's tree hash costs
 * a few KiB of hashing plus one combining step per MiB, whatever its size.
 *
 * A synthetic archive's segment key is `syn-SEED-INDEX-SIZE`; such keys never
 * name a file.
 *
 * @module
 */
import { createCipheriv, createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { MiB } from '../transfer/tree-hash.js';

/** Distinct 1 MiB blocks per seed. */
export const POOL_BLOCKS = 16;
/** Bytes between saved SHA-256 states. */
const CHECKPOINT = 4096;
/** Bytes unique to each archive, at the end of its last leaf. */
const TRAILER = 32;

/** What a synthetic key names. */
export interface SyntheticArchive {
  /** The generator seed. */
  seed: number;
  /** The archive's index within its seeding. */
  index: number;
  /** Its size in bytes. */
  size: number;
}

/** The segment key of a synthetic archive. */
export function syntheticKey(a: SyntheticArchive): string {
  return `syn-${a.seed}-${a.index}-${a.size}`;
}

/** Parses a synthetic segment key; undefined for any other key. */
export function parseSyntheticKey(key: string): SyntheticArchive | undefined {
  const m = /^syn-(\d+)-(\d+)-(\d+)$/.exec(key);
  return m ? { seed: Number(m[1]), index: Number(m[2]), size: Number(m[3]) } : undefined;
}

/** The byte pool of one seed. */
class Pool {
  readonly blocks: Buffer[] = [];
  readonly digests: Buffer[] = [];
  readonly checkpoints: Hash[][] = [];
  /** Digests of full subtrees of pool leaves, by level and start block. */
  readonly subtrees = new Map<number, Buffer>();

  constructor(readonly seed: number) {
    const key = createHash('sha256').update(`glacier-local synthetic ${seed}`).digest().subarray(0, 16);
    const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
    const zeros = Buffer.alloc(MiB);
    for (let b = 0; b < POOL_BLOCKS; b++) {
      const block = cipher.update(zeros);
      this.blocks.push(block);
      const states: Hash[] = [];
      const h = createHash('sha256');
      for (let at = 0; at < MiB; at += CHECKPOINT) {
        states.push(h.copy());
        h.update(block.subarray(at, at + CHECKPOINT));
      }
      states.push(h.copy());
      this.checkpoints.push(states);
      this.digests.push(h.digest());
    }
  }

  trailer(index: number): Buffer {
    return createHash('sha256').update(`${this.seed}:${index}`).digest();
  }

  /** The bytes of leaf `leaf` of the archive. */
  leafBytes(a: SyntheticArchive, leaf: number): Buffer {
    const block = this.blocks[(a.index + leaf) % POOL_BLOCKS]!;
    const leaves = Math.ceil(a.size / MiB);
    if (leaf < leaves - 1) return block;
    const length = a.size - (leaves - 1) * MiB;
    const t = Math.min(TRAILER, length);
    return Buffer.concat([block.subarray(0, length - t), this.trailer(a.index).subarray(0, t)]);
  }

  /** The digest of leaf `leaf` of the archive. */
  leafDigest(a: SyntheticArchive, leaf: number): Buffer {
    const blockNo = (a.index + leaf) % POOL_BLOCKS;
    const leaves = Math.ceil(a.size / MiB);
    if (leaf < leaves - 1) return this.digests[blockNo]!;
    const length = a.size - (leaves - 1) * MiB;
    const prefix = length - Math.min(TRAILER, length);
    const c = Math.floor(prefix / CHECKPOINT);
    const h = this.checkpoints[blockNo]![c]!.copy();
    h.update(this.blocks[blockNo]!.subarray(c * CHECKPOINT, prefix));
    h.update(this.trailer(a.index).subarray(0, length - prefix));
    return h.digest();
  }
}

const pools = new Map<number, Pool>();

function pool(seed: number): Pool {
  let p = pools.get(seed);
  if (!p) {
    p = new Pool(seed);
    pools.set(seed, p);
  }
  return p;
}

/** The concatenated 32-byte leaf digests of a synthetic archive. */
export function syntheticLeaves(a: SyntheticArchive): Buffer {
  const p = pool(a.seed);
  const leaves = Math.max(1, Math.ceil(a.size / MiB));
  const out = Buffer.allocUnsafe(leaves * 32);
  for (let l = 0; l < leaves; l++) p.leafDigest(a, l).copy(out, l * 32);
  return out;
}

function pairDigest(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(left).update(right).digest();
}

/**
 * The SHA-256 tree hash of a synthetic archive, in O(log leaves) hashing.
 * Glacier's tree (pairs combined level by level, an odd node carried up) is
 * the tree whose left part is the largest power of two of leaves below the
 * whole; a full subtree of 2^L pool leaves depends only on L and where it
 * starts in the pool, so those are computed once per seed.
 */
export function syntheticTreeHash(a: SyntheticArchive): string {
  const p = pool(a.seed);
  const leaves = Math.max(1, Math.ceil(a.size / MiB));
  const full = (start: number, level: number): Buffer => {
    if (level === 0) return p.digests[start % POOL_BLOCKS]!;
    const key = level * POOL_BLOCKS + (start % POOL_BLOCKS);
    let d = p.subtrees.get(key);
    if (!d) {
      d = pairDigest(full(start, level - 1), full(start + 2 ** (level - 1), level - 1));
      p.subtrees.set(key, d);
    }
    return d;
  };
  // Leaves [from, leaves) of the archive, the last one included.
  const tail = (from: number): Buffer => {
    const n = leaves - from;
    if (n === 1) return p.leafDigest(a, from);
    const level = Math.ceil(Math.log2(n)) - 1;
    return pairDigest(full(a.index + from, level), tail(from + 2 ** level));
  };
  return tail(0).toString('hex');
}

/** Streams bytes `[start, end)` of a synthetic archive. */
export function readSynthetic(a: SyntheticArchive, start: number, end: number): Readable {
  const p = pool(a.seed);
  function* chunks(): Generator<Buffer> {
    for (let at = start; at < end; ) {
      const leaf = Math.floor(at / MiB);
      const bytes = p.leafBytes(a, leaf);
      const from = at - leaf * MiB;
      const to = Math.min(bytes.length, end - leaf * MiB);
      yield bytes.subarray(from, to);
      at = leaf * MiB + to;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}
