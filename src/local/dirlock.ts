/**
 * An exclusive lock on a data directory, so two endpoints never share one
 * (each would overwrite the other's metadata and delete the other's new
 * blobs as orphans). The lock is a `lock` file holding the owner's process
 * id; a lock left by a process that no longer runs (after kill -9) is taken
 * over.
 *
 * @module
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** The name of the lock file inside the data directory. */
export const LOCK_FILE = 'lock';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A held data-directory lock. */
export interface DataDirLock {
  /** Releases the lock. */
  release(): Promise<void>;
}

/**
 * Takes the lock of `dataDir`. Rejects when another running process holds
 * it; takes over a lock whose process is gone.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.sync();
      await handle.close();
      return {
        release: async () => {
          const owner = await readFile(path, 'utf8').catch(() => '');
          if (owner.trim() === String(process.pid)) await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
        throw new Error(`The data directory ${dataDir} is in use by another glacier-local endpoint (process ${owner}).`);
      }
      if (owner === process.pid) {
        throw new Error(`The data directory ${dataDir} is already used by an endpoint in this process.`);
      }
      await rm(path, { force: true });
    }
  }
  throw new Error(`Could not lock the data directory ${dataDir}.`);
}
