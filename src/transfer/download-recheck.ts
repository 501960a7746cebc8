/**
 * Resuming a file download: which chunks a record claims are still in the
 * `.partial` file, re-hashed rather than trusted.
 *
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { MiB, TreeHash, combineTreeHashes, treeHashFile, type ByteRange } from './tree-hash.js';

/**
 * Re-hashes the chunks a record claims, keeping those whose bytes still
 * match. Each run of consecutive chunks is hashed as one range with two
 * worker threads and compared with the combination of the claimed hashes;
 * only a run that does not match is checked chunk by chunk.
 */
export async function recheckChunks(
  partial: string,
  handle: FileHandle,
  ranges: readonly ByteRange[],
  claimed: ReadonlyMap<number, string>,
  signal: AbortSignal | undefined,
): Promise<Map<number, string>> {
  const verified = new Map<number, string>();
  const indices = [...claimed.keys()].filter((i) => i < ranges.length).sort((a, b) => a - b);
  for (let first = 0; first < indices.length; ) {
    let last = first;
    while (last + 1 < indices.length && indices[last + 1] === indices[last]! + 1) last++;
    const run = indices.slice(first, last + 1);
    const start = ranges[run[0]!]!.start;
    const end = ranges[run.at(-1)!]!.end + 1;
    const expected = combineTreeHashes(run.map((i) => claimed.get(i)!));
    const actual = await treeHashFile(partial, { start, end, workers: 2, ...(signal ? { signal } : {}) }).catch(() => undefined);
    if (actual === expected) {
      for (const i of run) verified.set(i, claimed.get(i)!);
    } else {
      for (const i of run) if ((await hashRange(handle, ranges[i]!, signal)) === claimed.get(i)) verified.set(i, claimed.get(i)!);
    }
    first = last + 1;
  }
  return verified;
}

/** The tree hash of a range of the `.partial` file, or undefined if the file is shorter. */
async function hashRange(handle: FileHandle, range: ByteRange, signal: AbortSignal | undefined): Promise<string | undefined> {
  const buffer = Buffer.allocUnsafe(MiB);
  const tree = new TreeHash();
  for (let pos = range.start; pos <= range.end; ) {
    signal?.throwIfAborted();
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, range.end + 1 - pos), pos);
    if (bytesRead === 0) return undefined;
    tree.update(buffer.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return tree.digest();
}
