/**
 * Where an export puts each archive: a directory (the default) or an S3
 * prefix (`s3-destination.ts`). A destination writes one archive from its
 * ready retrieval job, proves the bytes equal the inventory's tree hash
 * before they become visible under their name, and writes the manifest.
 *
 * @module
 */
import { createWriteStream } from 'node:fs';
import { mkdir, realpath, rename, rm, utimes } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Vault } from '../resources/vault.js';
import type { LedgerArchive } from './ledger.js';
import { EXPORT_STATE_DIR, placeUnder } from './names.js';
import { ensureFolders, PlaceBlockedError, placeFile } from './safe-place.js';

/**
 * Why an archive could not be written: `expired` (the job's output is gone:
 * retrieve again), `mismatch` (the bytes did not match: download again),
 * `transient` (a network or service error: download again), `blocked`
 * (something in the way that a person must move: the archive fails).
 */
export class ExportWriteError extends Error {
  /** Always `ExportWriteError`. */
  override readonly name = 'ExportWriteError';

  /**
   * @param kind - What went wrong (see the class).
   * @param message - Why, in words.
   * @param options - The cause.
   */
  constructor(
    readonly kind: 'expired' | 'mismatch' | 'transient' | 'blocked',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The start of a failed archive's error when a person must move something
 * (a `blocked` {@link ExportWriteError}); such archives are tried again on
 * the next run.
 */
export const BLOCKED = 'blocked: ';

/** What a write did besides writing the archive under its planned name. */
export interface WriteOutcome {
  /** The name it was written under instead, beside a different file that had the planned name. */
  name?: string;
  /** True when a file with the archive's bytes was already there, and was kept. */
  alreadyThere?: boolean;
}

/** What the export runner needs of a destination. */
export interface ExportDestination {
  /** Where it is (`/path/to/dir` or `s3://bucket/prefix/`), for messages. */
  readonly location: string;
  /** The directory a plan's names are checked against (names never escape it). */
  readonly namesRoot: string;
  /** Gets ready (creates the directory, checks the bucket); throws with what to fix. */
  prepare(): Promise<void>;
  /** True when the archive is already there with its tree hash (then no retrieval is needed). */
  has(a: LedgerArchive): Promise<boolean>;
  /**
   * The names of what is at the destination already, listed once by the
   * plan; only those archives are checked with {@link has}. Absent when the
   * destination never holds verified bytes before the export.
   */
  existingNames?(): AsyncIterable<string>;
  /** Writes one archive from its job's ready output; throws {@link ExportWriteError}. */
  write(vault: Vault, a: LedgerArchive, signal?: AbortSignal): Promise<WriteOutcome | void>;
  /**
   * Called once the export is finished (nothing pending or in flight): removes
   * what interrupted writers left behind (S3: unfinished multipart uploads
   * under the prefix, from a worker killed mid-write).
   */
  finish?(): Promise<void>;
  /** Writes the manifest from its lines, replacing any earlier one; returns where it went. */
  writeManifest(lines: AsyncIterable<string>): Promise<string>;
  /** Releases what it holds. */
  close(): Promise<void>;
}

function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? '';
}

/** File-system refusals a person must fix (permissions, a read-only folder): the archive waits for them. */
const REFUSED = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG']);

/** Runs a step of putting `name` in place; what is in its way becomes a `blocked` {@link ExportWriteError}. */
async function placing<T>(name: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof PlaceBlockedError) throw new ExportWriteError('blocked', `${name}: ${err.message}`, { cause: err });
    const code = (err as NodeJS.ErrnoException).code;
    if (code && REFUSED.has(code)) throw new ExportWriteError('blocked', `${name}: ${(err as Error).message}; fix that and run the export again.`, { cause: err });
    throw err;
  }
}

/**
 * A directory: each file is downloaded into a staging folder, verified, then
 * moved into place with its mtime, never through a symbolic link and never
 * over a file that is already there (see safe-place.ts).
 */
export class DirectoryDestination implements ExportDestination {
  /** The resolved directory. */
  readonly location: string;
  readonly #staging: string;
  /** The directory with its own links resolved (a target given through a link is fine). */
  #root: string | undefined;

  /** @param to - The target directory (created if missing). */
  constructor(to: string) {
    this.location = resolve(to);
    this.#staging = join(this.location, EXPORT_STATE_DIR, 'staging');
  }

  /** {@inheritDoc ExportDestination.namesRoot} */
  get namesRoot(): string {
    return this.location;
  }

  /** {@inheritDoc ExportDestination.prepare} */
  async prepare(): Promise<void> {
    await mkdir(this.#staging, { recursive: true });
    this.#root = await realpath(this.location);
  }

  /** A directory is not trusted to hold verified bytes: every archive is retrieved. */
  async has(): Promise<boolean> {
    return false;
  }

  /** {@inheritDoc ExportDestination.write} */
  async write(vault: Vault, a: LedgerArchive, signal?: AbortSignal): Promise<WriteOutcome | void> {
    if (placeUnder(this.location, a.name) === undefined) throw new ExportWriteError('blocked', `${a.name} would fall outside ${this.location}`);
    const root = (this.#root ??= await realpath(this.location));
    // Its folders first: a link or a file in the way is found before the download.
    await placing(a.name, () => ensureFolders(root, a.name.split('/').slice(0, -1)));
    const temp = join(this.#staging, createHash('sha256').update(a.archiveId).digest('hex').slice(0, 40));
    let result;
    try {
      result = await vault.Job(a.jobId!).download(temp, { ...(signal ? { signal } : {}) });
    } catch (err) {
      if (signal?.aborted) throw err;
      if (errorName(err) === 'ResourceNotFoundException') throw new ExportWriteError('expired', `job ${a.jobId} expired while its output was downloaded`, { cause: err });
      throw new ExportWriteError('transient', `download failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`, { cause: err });
    }
    if (result.treeHash !== a.treeHash) {
      await rm(temp, { force: true });
      throw new ExportWriteError('mismatch', `the downloaded bytes' tree hash ${result.treeHash ?? '(none)'} is not the inventory's ${a.treeHash}`);
    }
    const mtime = a.mtime === null ? undefined : new Date(a.mtime);
    if (mtime) await utimes(temp, mtime, mtime);
    try {
      const placed = await placing(a.name, () => placeFile(root, a.name, temp, { archiveId: a.archiveId, size: a.size, treeHash: a.treeHash, ...(mtime ? { mtime } : {}) }));
      return placed.name !== a.name ? { name: placed.name } : placed.alreadyThere ? { alreadyThere: true } : undefined;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** {@inheritDoc ExportDestination.writeManifest} */
  async writeManifest(lines: AsyncIterable<string>): Promise<string> {
    const path = join(this.location, EXPORT_STATE_DIR, 'manifest.jsonl');
    await pipeline(Readable.from(lines), createWriteStream(`${path}.tmp`));
    await rename(`${path}.tmp`, path);
    return path;
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}
