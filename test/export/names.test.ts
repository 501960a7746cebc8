/**
 * Names from descriptions: every format the tools write (with the examples
 * of the project's migration research as cases), paths made safe whatever
 * they hold, and collisions resolved the same way on every run.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { autoNames, decodeDescription, safeRelativePath } from '../../src/export/names.js';
import type { InventoryArchive } from '../../src/transfer/inventory.js';

const archive = (archiveId: string, archiveDescription: string): InventoryArchive => ({ archiveId, archiveDescription, creationDate: '2020-01-01T00:00:00Z', size: 1, sha256TreeHash: 'x' });

describe('decodeDescription', () => {
  it("mt-aws-glacier's mt2 (its own test's example), with the mtime", () => {
    const d = decodeDescription('mt2 eyJmaWxlbmFtZSI6ImZpbGUiLCJtdGltZSI6IjIwMTIxMTE0VDIwMTYxOFoifQ');
    expect(d).toEqual({ path: 'file', mtime: new Date(1352924178_000), format: 'mt2' });
  });

  it('mt2 with a UTF-8 path, and mt1 (the JSON encoded twice)', () => {
    const json = JSON.stringify({ filename: 'fotos/café ☕.jpg', mtime: '20200102T030405Z' });
    expect(decodeDescription(`mt2 ${Buffer.from(json, 'utf8').toString('base64url')}`).path).toBe('fotos/café ☕.jpg');
    const twice = Buffer.from(Buffer.from(json, 'utf8').toString('latin1'), 'utf8').toString('base64url');
    const mt1 = decodeDescription(`mt1 ${twice}`);
    expect(mt1).toEqual({ path: 'fotos/café ☕.jpg', mtime: new Date(Date.UTC(2020, 0, 2, 3, 4, 5)), format: 'mt1' });
  });

  it('FastGlacier v4 and v1 (the examples of AWS\'s vault-to-S3 solution\'s tests)', () => {
    const v4 = decodeDescription('<m><v>4</v><p>RlgxNTAvQ0JCX2ZpZ3VyZS9lZTRjM2MxOS00OTBkLTQwN2UtOGJlNy04ODliZTQxYjQ4YmIuY2Ji</p><lm>20190121T085242Z</lm></m>');
    expect(v4).toEqual({ path: 'FX150/CBB_figure/ee4c3c19-490d-407e-8be7-889be41b48bb.cbb', mtime: new Date(Date.UTC(2019, 0, 21, 8, 52, 42)), format: 'fastglacier' });
    const v1 = decodeDescription('<ArchiveMetadata><Path>UkVOREVSRkFSTTUvQjovb25lL3R3by90aHJlZS9jaDAxX3NlcTAwNF9zaDAwMTAuMjA0NC5kcHg=</Path></ArchiveMetadata>');
    expect(v1).toEqual({ path: 'RENDERFARM5/B:/one/two/three/ch01_seq004_sh0010.2044.dpx', format: 'fastglacier-v1' });
    // Base64 paths are UTF-8, not ASCII.
    expect(decodeDescription(`<m><v>4</v><p>${Buffer.from('写真/東京.png').toString('base64')}</p><lm>x</lm></m>`).path).toBe('写真/東京.png');
  });

  it("CloudBerry's JSON (its example), path or Path, and encoded twice", () => {
    const cb = decodeDescription('{"Path":"CB+F8-M5/B:/c01/q004/s0010/c01+AF8-s00+A8-s0010+F8/h01.1094.dpx","UTCDateModified":"20100310T110623Z"}');
    expect(cb).toEqual({ path: 'CB+F8-M5/B:/c01/q004/s0010/c01+AF8-s00+A8-s0010+F8/h01.1094.dpx', mtime: new Date(Date.UTC(2010, 2, 10, 11, 6, 23)), format: 'cloudberry' });
    expect(decodeDescription('{"path":"a/b.txt"}').path).toBe('a/b.txt');
    expect(decodeDescription(JSON.stringify(JSON.stringify({ Path: 'x/y' }))).format).toBe('plain'); // a quoted string is not an object
  });

  it('plain paths, Windows separators, and what does not decode', () => {
    expect(decodeDescription('backups/2019/db.tar.gz')).toEqual({ path: 'backups/2019/db.tar.gz', format: 'plain' });
    expect(decodeDescription('C:\\Users\\me\\a.txt').path).toBe('C:/Users/me/a.txt');
    for (const bad of ['', '   ', 'mt2 not-base64!', 'mt2 bm90IGpzb24', '<m><v>4</v><p>!!!</p></m>', '<ArchiveMetadata><Path></Path></ArchiveMetadata>', '{"Path": 42}', '<m>broken']) {
      expect(decodeDescription(bad).path, bad).toBeUndefined();
    }
  });
});

describe('safeRelativePath', () => {
  it('drops every way out of the target', () => {
    expect(safeRelativePath('../../x')).toBe('x');
    expect(safeRelativePath('/etc/passwd')).toBe('etc/passwd');
    expect(safeRelativePath('C:/Windows/x')).toBe('Windows/x');
    expect(safeRelativePath('a/../../b/./c')).toBe('a/b/c');
    expect(safeRelativePath('..')).toBeUndefined();
    expect(safeRelativePath(' / ')).toBeUndefined();
    expect(safeRelativePath('a\u0000b\u001fc')).toBe('a_b_c');
  });

  it('shortens over-long names deterministically, keeping the extension and distinct names distinct', () => {
    const long = `${'é'.repeat(300)}.jpg`;
    const a = safeRelativePath(`d/${long}`)!;
    expect(Buffer.byteLength(a.split('/')[1]!)).toBeLessThanOrEqual(255);
    expect(a.endsWith('.jpg')).toBe(true);
    expect(safeRelativePath(`d/${long}`)).toBe(a);
    expect(safeRelativePath(`d/x${long}`)).not.toBe(a);
    const deep = Array.from({ length: 40 }, () => 'f'.repeat(200)).join('/');
    expect(Buffer.byteLength(safeRelativePath(deep)!)).toBeLessThanOrEqual(3072 + 300);
  });

  it('never leaves the target: 10,000 random and hostile strings', () => {
    const to = resolve('/export/target');
    const alphabet = ['..', '.', '/', '\\', 'a', 'é', '\u0000', '\n', ' ', 'C:', '~', '*', '写'];
    for (let i = 0; i < 10_000; i++) {
      const parts = Array.from({ length: 1 + (randomBytes(1)[0]! % 12) }, () => alphabet[randomBytes(1)[0]! % alphabet.length]!);
      const raw = i % 2 === 0 ? parts.join('') : randomBytes(1 + (i % 40)).toString('latin1');
      const decoded = decodeDescription(raw).path;
      const safe = decoded === undefined ? undefined : safeRelativePath(decoded);
      if (safe === undefined) continue;
      const placed = resolve(to, safe);
      expect(placed.startsWith(to + sep), JSON.stringify(raw)).toBe(true);
      expect(safe).not.toMatch(/[\u0000-\u001f]/);
      expect(join(to, safe)).toBe(placed);
    }
  });
});

describe('autoNames', () => {
  it('names undecodable archives by id, suffixes collisions by archive id (case-insensitively, files against folders), the same on every run', () => {
    const archives = [
      archive('A1', 'photos/x.jpg'),
      archive('A2', 'photos/X.JPG'),
      archive('A3', 'mt2 ' + Buffer.from(JSON.stringify({ filename: 'photos/x.jpg', mtime: '20200101T000000Z' })).toString('base64url')),
      archive('A4', ''),
      archive('A5', 'photos'),
      archive('A6', 'photos/x.jpg/inner'),
    ];
    const run = () => {
      const namer = autoNames();
      return { names: archives.map((a) => namer.name(a).path), namer };
    };
    const { names, namer } = run();
    expect(names[0]).toBe('photos/x.jpg');
    expect(names[1]).toMatch(/^photos\/X~[0-9a-f]{8}\.JPG$/);
    expect(names[2]).toMatch(/^photos\/x~[0-9a-f]{8}\.jpg$/);
    expect(names[3]).toBe('unnamed/A4');
    expect(names[4]).toMatch(/^photos~[0-9a-f]{8}$/);
    expect(names[5]).toMatch(/^photos\/x\.jpg~[0-9a-f]{8}\/inner$/); // the folder that clashed with a file gets the suffix
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
    expect(namer.collisions).toHaveLength(4);
    expect(namer.undecodable).toBe(1);
    expect(namer.formats.mt2).toBe(1);
    expect(run().names).toEqual(names);
  });
});
