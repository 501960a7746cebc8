import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EMPTY_SHA256,
  LinearAndTreeHash,
  MiB,
  TreeHash,
  alignedRanges,
  combineTreeHashes,
  isMegabyteAligned,
  isTreeHashAligned,
  isValidPartSize,
  treeHash,
  treeHashFile,
} from '../src/transfer/tree-hash.js';

const dir = mkdtempSync(join(tmpdir(), 'treehash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** botocore's calculate_tree_hash, through the machine's python3: an independent reference. */
function botocoreTreeHash(path: string): string {
  return execFileSync('python3', ['-c', 'import sys, botocore.utils as u; print(u.calculate_tree_hash(open(sys.argv[1], "rb")))', path])
    .toString()
    .trim();
}

describe('tree hash against botocore.utils.calculate_tree_hash', () => {
  const cases: Array<[string, number]> = [
    ['0 B', 0],
    ['1 B', 1],
    ['1 MiB', MiB],
    ['1 MiB + 1 B', MiB + 1],
    ['14 leaves (odd leaf carried up)', 13 * MiB + 12345],
  ];
  for (const [name, size] of cases) {
    it(name, async () => {
      const data = randomBytes(size);
      const path = join(dir, `case-${size}.bin`);
      writeFileSync(path, data);
      const expected = botocoreTreeHash(path);
      expect(treeHash(data)).toBe(expected);
      const incremental = new TreeHash();
      for (let i = 0; i < size; i += 100_003) incremental.update(data.subarray(i, i + 100_003));
      expect(incremental.digest()).toBe(expected);
      expect(await treeHashFile(path)).toBe(expected);
      expect(await treeHashFile(path, { workers: 2 })).toBe(expected);
      const { linearHash, treeHash: th, size: n } = new LinearAndTreeHash().update(data).digest();
      expect(th).toBe(expected);
      expect(n).toBe(size);
      expect(linearHash).toMatch(/^[0-9a-f]{64}$/);
      if (size <= MiB) expect(linearHash).toBe(expected);
    });
  }

  it('gives the empty input a defined digest', () => {
    expect(treeHash(Buffer.alloc(0))).toBe(EMPTY_SHA256);
    expect(new TreeHash().digest()).toBe(EMPTY_SHA256);
  });

  it('combines power-of-two part hashes into the whole', () => {
    const data = randomBytes(9 * MiB + 7);
    for (const part of [MiB, 2 * MiB, 4 * MiB]) {
      const parts = alignedRanges(data.length, part).map((r) => treeHash(data.subarray(r.start, r.end + 1)));
      expect(combineTreeHashes(parts)).toBe(treeHash(data));
    }
  });

  it('hashes a byte range of a file', async () => {
    const data = randomBytes(6 * MiB + 3);
    const path = join(dir, 'range.bin');
    writeFileSync(path, data);
    expect(await treeHashFile(path, { start: 2 * MiB, end: 6 * MiB + 3 })).toBe(treeHash(data.subarray(2 * MiB)));
    expect(await treeHashFile(path, { start: 2 * MiB, end: 6 * MiB + 3, workers: 2 })).toBe(treeHash(data.subarray(2 * MiB)));
  });

  it('rejects a malformed part hash', () => {
    expect(() => combineTreeHashes(['abc'])).toThrow(/64 hexadecimal/);
  });
});

describe('range helpers', () => {
  it('knows valid part sizes', () => {
    expect(isValidPartSize(MiB)).toBe(true);
    expect(isValidPartSize(4096 * MiB)).toBe(true);
    expect(isValidPartSize(3 * MiB)).toBe(false);
    expect(isValidPartSize(8192 * MiB)).toBe(false);
    expect(isValidPartSize(MiB - 1)).toBe(false);
  });

  it('knows tree-hash aligned ranges', () => {
    expect(isTreeHashAligned(0, MiB - 1, 3 * MiB)).toBe(true);
    expect(isTreeHashAligned(2 * MiB, 3 * MiB - 1, 3 * MiB)).toBe(true);
    expect(isTreeHashAligned(0, 2 * MiB - 1, 3 * MiB)).toBe(true);
    expect(isTreeHashAligned(0, 3 * MiB - 1, 3 * MiB)).toBe(true);
    expect(isTreeHashAligned(MiB, 3 * MiB - 1, 3 * MiB)).toBe(false);
    expect(isTreeHashAligned(0, 99, 100)).toBe(true);
    expect(isTreeHashAligned(0, 98, 100)).toBe(false);
  });

  it('knows megabyte-aligned retrieval ranges', () => {
    expect(isMegabyteAligned(0, MiB - 1)).toBe(true);
    expect(isMegabyteAligned(MiB, 5 * MiB + 9, 5 * MiB + 10)).toBe(true);
    expect(isMegabyteAligned(1, MiB)).toBe(false);
    expect(isMegabyteAligned(0, 100)).toBe(false);
  });
});
