/**
 * Putting a verified file into an export's target directory without ever
 * leaving it and without ever replacing what someone else put there.
 *
 * - **Folders** on an archive's path are checked one at a time from the
 *   target down, and created one at a time where missing. A folder that is a
 *   symbolic link, or a file where a folder should be, stops that archive
 *   (nothing is created through a link, so nothing lands outside the
 *   target however its folders are arranged).
 * - **A file already at the name** is kept. If it holds the archive's bytes
 *   (same size and tree hash: an earlier run that stopped before its ledger
 *   said so, or a copy restored another way) the archive is done. Otherwise
 *   the archive goes beside it, with the same `~` + 8 hex digits suffix the
 *   names use for archives that would share a name.
 * - **The move into place** from the staging folder never replaces a file
 *   that appeared meanwhile: a hard link, then the staged name removed.
 *   Where the name is on another file system (a mount point inside the
 *   target), the file is copied next to its name first; where the file
 *   system has no hard links, it is renamed after a look.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, lstat, mkdir, rename, rm, utimes } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { TreeHash } from '../transfer/tree-hash.js';

/** Why a file could not be put in place; the archive waits for a person to move something. */
export class PlaceBlockedError extends Error {
  override readonly name = 'PlaceBlockedError';
}

/** Where an archive's file went: its planned name, or a name beside it. */
export interface Placed {
  /** The name it has now, relative to the target, with `/` between folders. */
  name: string;
  /** True when the file already there held these bytes, and was kept as it is. */
  alreadyThere: boolean;
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Makes sure every folder of `folders` (relative to `root`, already split)
 * is a real folder inside `root`, creating those missing. Throws
 * {@link PlaceBlockedError} on a link or a file in the way.
 */
export async function ensureFolders(root: string, folders: readonly string[]): Promise<void> {
  let path = root;
  for (let i = 0; i < folders.length; i++) {
    path = join(path, folders[i]!);
    const shown = folders.slice(0, i + 1).join('/');
    let info = await lstat(path).catch((err: unknown) => {
      if (isMissing(err)) return undefined;
      throw err;
    });
    if (!info) {
      await mkdir(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      info = await lstat(path);
    }
    if (info.isSymbolicLink()) {
      throw new PlaceBlockedError(`${shown} in the target is a symbolic link; the export does not follow links out of the target. Replace it with a folder (or move it away) and run the export again.`);
    }
    if (!info.isDirectory()) throw new PlaceBlockedError(`${shown} in the target is a file where a folder is needed; move it away and run the export again.`);
  }
}

/** The tree hash of the file at `path`, read once. */
async function treeHashOfFile(path: string): Promise<string> {
  const hash = new TreeHash();
  for await (const piece of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(piece as Buffer);
  return hash.digest();
}

/** `name` with `suffix` before its extension. */
function beside(name: string, suffix: string): string {
  const ext = extname(name.slice(name.lastIndexOf('/') + 1));
  return `${name.slice(0, name.length - ext.length)}${suffix}${ext}`;
}

/** Codes of file systems without hard links (FAT, exFAT, some network shares). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/**
 * Gives the file `from` the name `to` unless `to` is taken; true when it did.
 * A hard link and then an unlink never replace anything; across file
 * systems the file is copied next to `to` first; where there are no hard
 * links, a rename after a look.
 */
async function putUnlessTaken(from: string, to: string, mtime: Date | undefined): Promise<boolean> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (code === 'EXDEV') {
      const near = `${to}.glacier-export-partial`;
      try {
        await copyFile(from, near);
        if (mtime) await utimes(near, mtime, mtime);
        if (!(await putUnlessTaken(near, to, undefined))) return false;
      } finally {
        await rm(near, { force: true });
      }
      await rm(from, { force: true });
      return true;
    }
    if (!NO_LINKS.has(code)) throw err;
    if (await lstat(to).then(() => true, (e: unknown) => !isMissing(e))) return false;
    await rename(from, to);
    return true;
  }
  await rm(from, { force: true });
  return true;
}

/**
 * Puts the verified file `staged` under `root` as `name` (relative, `/`
 * between folders), or beside a different file already there (see the
 * module). `size` and `treeHash` are the archive's.
 */
export async function placeFile(root: string, name: string, staged: string, archive: { archiveId: string; size: number; treeHash: string; mtime?: Date }): Promise<Placed> {
  const { archiveId, size, treeHash } = archive;
  const tag = `~${createHash('sha256').update(archiveId).digest('hex').slice(0, 8)}`;
  for (let n = 0; ; n++) {
    const wanted = n === 0 ? name : beside(name, n === 1 ? tag : `${tag}-${n}`);
    const path = join(root, ...wanted.split('/'));
    if (!path.startsWith(root + sep)) throw new PlaceBlockedError(`${wanted} would fall outside the target.`);
    if (await putUnlessTaken(staged, path, archive.mtime)) return { name: wanted, alreadyThere: false };
    const there = await lstat(path);
    if (there.isFile() && there.size === size && (await treeHashOfFile(path)) === treeHash) {
      await rm(staged, { force: true });
      return { name: wanted, alreadyThere: true };
    }
    if (n >= 20) throw new PlaceBlockedError(`${name} and ${n} names beside it are taken in the target by other files; move them away and run the export again.`);
  }
}
