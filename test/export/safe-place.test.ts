/**
 * An export into a directory that already holds things: a file of the
 * user's at an archive's name is never replaced (the archive goes beside
 * it), a file with the archive's bytes is kept as the archive, and a folder
 * that is a symbolic link is never followed out of the target (that
 * archive waits, the others go on, and the next run writes it once the
 * link is gone). Real exports against the local endpoint, on real folders.
 */
import { existsSync, lstatSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportVault, type ExportProgress } from '../../src/export/export-vault.js';
import { placeFile } from '../../src/export/safe-place.js';
import { resource, type ServiceResource } from '../../src/index.js';
import { startLocalGlacier, type LocalGlacier } from '../../src/local/index.js';
import { treeHash } from '../../src/transfer/tree-hash.js';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';

let root: string;
let g: LocalGlacier;
let glacier: ServiceResource;
const bytes = (text: string) => Buffer.from(`${text}\n`.repeat(1000));
const archives = { 'precious.txt': bytes('the archive'), 'same.txt': bytes('same bytes'), 'sub/dir/deep.txt': bytes('deep'), 'plain.txt': bytes('plain') };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glacier-safe-place-'));
  g = await startLocalGlacier({ inMemory: true, jobDelay: 0 });
  glacier = resource({ endpoint: g.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  const vault = await glacier.createVault({ vaultName: 'mixed' });
  for (const [name, body] of Object.entries(archives)) await vault.uploadArchive({ body, archiveDescription: name });
});
afterAll(async () => {
  glacier.meta.client.destroy();
  await g.close();
  await rm(root, { recursive: true, force: true });
});

interface ManifestLine {
  archiveId: string;
  path: string;
  status: string;
  error?: string;
}

async function manifest(to: string): Promise<ManifestLine[]> {
  const text = await readFile(join(to, '.glacier-export', 'manifest.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ManifestLine);
}

describe('an export into a directory that already holds things', () => {
  it('keeps a different file at an archive name and writes the archive beside it; keeps an identical one; never follows a link out', async () => {
    const to = join(root, 'out');
    const outside = join(root, 'outside');
    await mkdir(to);
    await mkdir(outside);
    await writeFile(join(to, 'precious.txt'), 'my own notes\n');
    await writeFile(join(to, 'same.txt'), archives['same.txt']);
    await symlink(outside, join(to, 'sub'));
    const events: ExportProgress[] = [];
    const report = await exportVault(glacier.Vault('-', 'mixed'), { to, onProgress: (p) => events.push(p) });

    // The user's file is untouched; the archive is beside it, under the names' own suffix.
    expect(await readFile(join(to, 'precious.txt'), 'utf8')).toBe('my own notes\n');
    const lines = await manifest(to);
    const precious = lines.find((l) => l.path.startsWith('precious'))!;
    expect(precious.path).toMatch(/^precious~[0-9a-f]{8}\.txt$/);
    expect(precious.status).toBe('verified');
    expect((await readFile(join(to, precious.path))).equals(archives['precious.txt'])).toBe(true);
    expect(events.find((p) => p.writtenAs)).toMatchObject({ event: 'verified', name: 'precious.txt', writtenAs: precious.path });
    // A file that already holds the archive's bytes is the archive: kept, not doubled.
    expect(lines.find((l) => l.path === 'same.txt')!.status).toBe('verified');
    expect((await readdir(to)).filter((n) => n.startsWith('same'))).toEqual(['same.txt']);
    // Nothing was created through the link, and that archive waits for a person.
    expect(await readdir(outside)).toEqual([]);
    const deep = lines.find((l) => l.path === 'sub/dir/deep.txt')!;
    expect(deep.status).toBe('failed');
    expect(deep.error).toMatch(/^blocked: sub\/dir\/deep\.txt: sub in the target is a symbolic link/);
    expect(lines.find((l) => l.path === 'plain.txt')!.status).toBe('verified');
    expect(report.counts.verified.archives).toBe(3);
    expect(report.counts.failed.archives).toBe(1);

    // The person replaces the link with a folder; the next run writes that archive, and only it.
    await rm(join(to, 'sub'));
    const again = await exportVault(glacier.Vault('-', 'mixed'), { to });
    expect(again.finished).toBe(true);
    expect(again.counts.verified.archives).toBe(4);
    expect(lstatSync(join(to, 'sub')).isDirectory()).toBe(true);
    expect((await readFile(join(to, 'sub', 'dir', 'deep.txt'))).equals(archives['sub/dir/deep.txt'])).toBe(true);
  }, 60_000);

  it('moves a staged file across file systems by a copy beside its name, never over a file that is there', async () => {
    // The staging folder and the target on different file systems, as with a mount point inside the target.
    const shm = '/dev/shm';
    if (!existsSync(shm) || statSync(shm).dev === statSync(root).dev) return expect(existsSync(root)).toBe(true);
    const stagedDir = await mkdtemp(join(shm, 'glacier-staged-'));
    try {
      const body = bytes('across');
      const archive = { archiveId: 'A'.repeat(138), size: body.length, treeHash: treeHash(body), mtime: new Date('2020-01-02T03:04:05Z') };
      const to = join(root, 'across');
      await mkdir(to);
      await writeFile(join(stagedDir, 'one'), body);
      expect(await placeFile(to, 'a.bin', join(stagedDir, 'one'), archive)).toEqual({ name: 'a.bin', alreadyThere: false });
      expect((await readFile(join(to, 'a.bin'))).equals(body)).toBe(true);
      expect(statSync(join(to, 'a.bin')).mtime.toISOString()).toBe('2020-01-02T03:04:05.000Z');
      expect(existsSync(join(stagedDir, 'one'))).toBe(false);
      // A different file at the name: kept; the archive goes beside it.
      await writeFile(join(to, 'b.bin'), 'other');
      await writeFile(join(stagedDir, 'two'), body);
      const placed = await placeFile(to, 'b.bin', join(stagedDir, 'two'), archive);
      expect(placed.name).toMatch(/^b~[0-9a-f]{8}\.bin$/);
      expect(await readFile(join(to, 'b.bin'), 'utf8')).toBe('other');
      expect((await readFile(join(to, placed.name))).equals(body)).toBe(true);
      expect((await readdir(to)).sort()).toEqual(['a.bin', 'b.bin', placed.name].sort());
    } finally {
      await rm(stagedDir, { recursive: true, force: true });
    }
  });
});
