/**
 * Byte storage for archives, parts and job outputs.
 *
 * Every stored object ("blob") has a random 32-hex-digit key, the only kind of
 * name ever used on disk, so no vault name or id can reach the file system.
 * Beside the bytes, each blob of more than 1 MiB keeps its tree-hash leaf
 * digests (32 bytes per MiB; a smaller blob's one leaf is its SHA-256), so
 * the tree hash of any MiB-aligned range is computed without reading the
 * data again.
 *
 * On disk, bytes stream into a temporary file while they are hashed, then are
 * fsynced and renamed into place only when the upload succeeded: a failed,
 * dropped or killed upload leaves nothing visible.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MiB } from '../transfer/tree-hash.js';
import { isBlobKey, newBlobKey } from './ids.js';

/** Streams bytes into a new blob. */
export interface BlobWriter {
  /** Appends bytes. Resolves when the bytes were accepted (back-pressure). */
  write(chunk: Buffer): Promise<void>;
  /** Makes the blob durable and visible under a new key, with its leaf digests. */
  commit(leaves: Buffer): Promise<string>;
  /** Discards everything written. Safe to call more than once. */
  abort(): Promise<void>;
}

/** Where blobs live: on disk or in memory. */
export interface BlobStore {
  /** Starts a new blob. */
  createWriter(): Promise<BlobWriter>;
  /** Stores an in-memory value as a new blob and returns its key. */
  put(data: Buffer, leaves: Buffer): Promise<string>;
  /** Streams bytes `[start, end)` of a blob. */
  read(key: string, start: number, end: number): Readable;
  /** The blob's concatenated 32-byte leaf digests. */
  leaves(key: string): Promise<Buffer>;
  /** Deletes blobs (missing keys are ignored). */
  remove(keys: readonly string[]): Promise<void>;
  /** Every stored key (used to delete orphans after a crash). */
  keys(): Promise<string[]>;
}

/** Blobs held in process memory (for tests). */
export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, { data: Buffer; leaves: Buffer }>();

  /** {@inheritDoc BlobStore.createWriter} */
  async createWriter(): Promise<BlobWriter> {
    let chunks: Buffer[] | undefined = [];
    return {
      write: async (chunk) => {
        chunks?.push(chunk);
      },
      commit: async (leaves) => {
        if (!chunks) throw new Error('Blob writer already finished.');
        const data = Buffer.concat(chunks);
        chunks = undefined;
        return this.put(data, leaves);
      },
      abort: async () => {
        chunks = undefined;
      },
    };
  }

  /** {@inheritDoc BlobStore.put} */
  async put(data: Buffer, leaves: Buffer): Promise<string> {
    const key = newBlobKey();
    this.#blobs.set(key, { data, leaves });
    return key;
  }

  /** {@inheritDoc BlobStore.read} */
  read(key: string, start: number, end: number): Readable {
    const blob = this.#blobs.get(key);
    if (!blob) return Readable.from(failing(new Error(`Blob ${key} is missing.`)), { objectMode: false });
    return Readable.from([blob.data.subarray(start, end)], { objectMode: false });
  }

  /** {@inheritDoc BlobStore.leaves} */
  async leaves(key: string): Promise<Buffer> {
    const blob = this.#blobs.get(key);
    if (!blob) throw new Error(`Blob ${key} is missing.`);
    return blob.leaves;
  }

  /** {@inheritDoc BlobStore.remove} */
  async remove(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.#blobs.delete(k);
  }

  /** {@inheritDoc BlobStore.keys} */
  async keys(): Promise<string[]> {
    return [...this.#blobs.keys()];
  }
}

// eslint-disable-next-line require-yield
async function* failing(err: Error): AsyncGenerator<Buffer> {
  throw err;
}

/** Bytes of one SHA-256 digest. */
const DIGEST_BYTES = 32;

/** Size of the write buffer of a disk blob writer. */
const WRITE_BUFFER = 1024 * 1024;

/** fsyncs a directory so that a rename inside it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `path` atomically: temp file in `tmpDir`, fsync, rename (the caller syncs the directory). */
export async function writeFileAtomic(tmpDir: string, path: string, data: Buffer | string): Promise<void> {
  const tmp = join(tmpDir, `${newBlobKey()}.tmp`);
  const handle = await open(tmp, 'wx');
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    // A failed write (a full disk, say) leaves no temporary file behind.
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Blobs as files: `blobs/KEY` (bytes) and `blobs/KEY.leaves` (leaf digests),
 * written through `tmp/`.
 */
export class DiskBlobStore implements BlobStore {
  readonly #blobDir: string;
  readonly #tmpDir: string;

  private constructor(dataDir: string) {
    this.#blobDir = join(dataDir, 'blobs');
    this.#tmpDir = join(dataDir, 'tmp');
  }

  /** Opens (creating if needed) the blob directories under `dataDir` and clears leftover temp files. */
  static async open(dataDir: string): Promise<DiskBlobStore> {
    const store = new DiskBlobStore(dataDir);
    await mkdir(store.#blobDir, { recursive: true });
    await rm(store.#tmpDir, { recursive: true, force: true });
    await mkdir(store.#tmpDir, { recursive: true });
    return store;
  }

  #path(key: string): string {
    if (!isBlobKey(key)) throw new Error(`Not a storage key: ${JSON.stringify(key)}.`);
    return join(this.#blobDir, key);
  }

  /** {@inheritDoc BlobStore.createWriter} */
  async createWriter(): Promise<BlobWriter> {
    const tmp = join(this.#tmpDir, `${newBlobKey()}.part`);
    const handle: FileHandle = await open(tmp, 'wx');
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let done = false;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      await handle.write(data);
    };
    const abort = async () => {
      if (done) return;
      done = true;
      pending = [];
      await handle.close().catch(() => undefined);
      await rm(tmp, { force: true });
    };
    return {
      write: async (chunk) => {
        if (done) throw new Error('Blob writer already finished.');
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= WRITE_BUFFER) await flush();
      },
      commit: async (leaves) => {
        if (done) throw new Error('Blob writer already finished.');
        try {
          await flush();
          await handle.sync();
        } catch (err) {
          await abort();
          throw err;
        }
        done = true;
        await handle.close();
        const key = newBlobKey();
        if (leaves.length > DIGEST_BYTES) await writeFileAtomic(this.#tmpDir, `${this.#path(key)}.leaves`, leaves);
        await rename(tmp, this.#path(key));
        await syncDir(this.#blobDir);
        return key;
      },
      abort,
    };
  }

  /** {@inheritDoc BlobStore.put} */
  async put(data: Buffer, leaves: Buffer): Promise<string> {
    const key = newBlobKey();
    if (leaves.length > DIGEST_BYTES) await writeFileAtomic(this.#tmpDir, `${this.#path(key)}.leaves`, leaves);
    await writeFileAtomic(this.#tmpDir, this.#path(key), data);
    await syncDir(this.#blobDir);
    return key;
  }

  /** {@inheritDoc BlobStore.read} */
  read(key: string, start: number, end: number): Readable {
    if (end <= start) return Readable.from([], { objectMode: false });
    return createReadStream(this.#path(key), { start, end: end - 1, highWaterMark: 1024 * 1024 });
  }

  /** {@inheritDoc BlobStore.leaves} */
  async leaves(key: string): Promise<Buffer> {
    try {
      return await readFile(`${this.#path(key)}.leaves`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // A blob of at most one leaf has no sidecar: its one leaf is the SHA-256 of its bytes.
    const data = await readFile(this.#path(key));
    if (data.length > MiB) throw new Error(`Blob ${key} has no leaf digests.`);
    return createHash('sha256').update(data).digest();
  }

  /** {@inheritDoc BlobStore.remove} */
  async remove(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      await rm(this.#path(key), { force: true });
      await rm(`${this.#path(key)}.leaves`, { force: true });
    }
  }

  /** {@inheritDoc BlobStore.keys} */
  async keys(): Promise<string[]> {
    const names = await readdir(this.#blobDir);
    return [...new Set(names.map((n) => n.replace(/\.leaves$/, '')))].filter(isBlobKey);
  }
}
