/**
 * Glacier's SHA-256 tree hash.
 *
 * A tree hash is computed over 1 MiB leaves: each leaf is hashed with SHA-256,
 * then adjacent digests are concatenated and hashed pairwise, level by level,
 * with an odd last node carried up unchanged, until one digest remains.
 * Input of at most 1 MiB therefore has a tree hash equal to its plain
 * ("linear") SHA-256, and empty input hashes to `sha256('')`.
 *
 * This module is the one piece of code that the client library and the local
 * endpoint share. It depends only on `node:crypto`, `node:fs` and
 * `node:worker_threads`.
 *
 * @module
 */
import { createHash, type Hash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

/** One mebibyte, the size of a tree-hash leaf. */
export const MiB = 1024 * 1024;

/** The SHA-256 of zero bytes, which is also the tree hash of an empty input. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** Bytes accepted by the hashers: binary data, or a string encoded as UTF-8. */
export type HashInput = Uint8Array | string;

function toBytes(data: HashInput): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

function toDigest(hash: string | Uint8Array): Buffer {
  if (typeof hash !== 'string') return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength);
  if (!/^[0-9a-fA-F]{64}$/.test(hash)) {
    throw new TypeError(`Not a SHA-256 hex digest: ${JSON.stringify(hash)}. Expected 64 hexadecimal characters.`);
  }
  return Buffer.from(hash, 'hex');
}

/**
 * Combines digests pairwise, level by level, carrying an odd last node up.
 * Returns the root digest. An empty list yields the SHA-256 of empty input.
 */
function combineDigests(nodes: readonly Buffer[]): Buffer {
  if (nodes.length === 0) return Buffer.from(EMPTY_SHA256, 'hex');
  let level: Buffer[] = nodes.slice();
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1];
      next.push(right === undefined ? left : createHash('sha256').update(left).update(right).digest());
    }
    level = next;
  }
  return level[0]!;
}

/**
 * Combines the tree hashes of consecutive pieces of an archive into the tree
 * hash of the whole.
 *
 * This is exact when every piece but the last has the same size and that size
 * is a power-of-two number of MiB (1, 2, 4, … MiB): the size Glacier requires
 * of multipart parts, and of tree-hash-aligned download chunks. Pieces of any
 * other size give a different (wrong) result.
 *
 * @example
 * ```ts
 * const whole = combineTreeHashes([part0.checksum, part1.checksum, part2.checksum]);
 * ```
 */
export function combineTreeHashes(treeHashes: ReadonlyArray<string | Uint8Array>): string {
  return combineDigests(treeHashes.map(toDigest)).toString('hex');
}

/**
 * Incremental tree hash. Feed it bytes in any chunking; the result does not
 * depend on how the input was split. No input is copied.
 *
 * @example
 * ```ts
 * const h = new TreeHash();
 * for await (const chunk of stream) h.update(chunk);
 * console.log(h.digest()); // 64 hex characters
 * ```
 */
export class TreeHash {
  #leaves: Buffer[] = [];
  #leaf: Hash | undefined;
  #leafBytes = 0;
  #size = 0;

  /** Adds bytes to the hash. Strings are encoded as UTF-8. Returns `this`. */
  update(data: HashInput): this {
    let bytes = toBytes(data);
    this.#size += bytes.byteLength;
    while (bytes.byteLength > 0) {
      const room = MiB - this.#leafBytes;
      const take = Math.min(room, bytes.byteLength);
      const piece = take === bytes.byteLength ? bytes : bytes.subarray(0, take);
      (this.#leaf ??= createHash('sha256')).update(piece);
      this.#leafBytes += take;
      if (this.#leafBytes === MiB) this.#closeLeaf();
      bytes = bytes.subarray(take);
    }
    return this;
  }

  /** Number of bytes hashed so far. */
  get size(): number {
    return this.#size;
  }

  /** The digests of the completed 1 MiB leaves plus the partial last leaf. */
  leafDigests(): Buffer[] {
    const leaves = this.#leaves.slice();
    if (this.#leaf) leaves.push(this.#leaf.copy().digest());
    return leaves;
  }

  /** The tree hash of everything fed so far, as a raw 32-byte digest. The hash may still be updated. */
  digestBytes(): Buffer {
    return combineDigests(this.leafDigests());
  }

  /** The tree hash of everything fed so far, as lower-case hex. The hash may still be updated. */
  digest(): string {
    return this.digestBytes().toString('hex');
  }

  #closeLeaf(): void {
    this.#leaves.push(this.#leaf!.digest());
    this.#leaf = undefined;
    this.#leafBytes = 0;
  }
}

/** The two checksums Glacier asks for on every upload request. */
export interface UploadChecksums {
  /** Linear SHA-256 of the bytes, hex; sent as `x-amz-content-sha256`. */
  readonly linearHash: string;
  /** SHA-256 tree hash of the bytes, hex; sent as `x-amz-sha256-tree-hash`. */
  readonly treeHash: string;
  /** Number of bytes hashed. */
  readonly size: number;
}

/**
 * Computes the linear SHA-256 and the tree hash in a single pass over the
 * bytes, so each byte is read once.
 *
 * @example
 * ```ts
 * const h = new LinearAndTreeHash();
 * h.update(part);
 * const { linearHash, treeHash } = h.digest();
 * ```
 */
export class LinearAndTreeHash {
  readonly #linear = createHash('sha256');
  readonly #tree = new TreeHash();

  /** Adds bytes to both hashes. Returns `this`. */
  update(data: HashInput): this {
    const bytes = toBytes(data);
    this.#linear.update(bytes);
    this.#tree.update(bytes);
    return this;
  }

  /** Both digests. Call once: the linear hash cannot be updated afterwards. */
  digest(): UploadChecksums {
    return { linearHash: this.#linear.digest('hex'), treeHash: this.#tree.digest(), size: this.#tree.size };
  }
}

/**
 * The tree hash of an in-memory value.
 *
 * @example
 * ```ts
 * treeHash(Buffer.alloc(3 * MiB)); // '…64 hex…'
 * ```
 */
export function treeHash(data: HashInput): string {
  return new TreeHash().update(data).digest();
}

/** The linear SHA-256 and the tree hash of an in-memory value, in one pass. */
export function uploadChecksums(data: HashInput): UploadChecksums {
  return new LinearAndTreeHash().update(data).digest();
}

/** Options of {@link treeHashFile}. */
export interface TreeHashFileOptions {
  /**
   * Number of threads that hash. `1` (the default) hashes on the calling
   * thread with overlapped reads; `2` or more splits the file into leaf-aligned
   * slices hashed by worker threads in parallel.
   */
  workers?: number;
  /** First byte to hash (default 0). Must be a multiple of 1 MiB when `end` is not the end of the file. */
  start?: number;
  /** One past the last byte to hash (default: the file's size). */
  end?: number;
  /** Stops hashing and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Size of each read in {@link treeHashFile}: large reads keep the disk path off the critical path. */
const READ_SIZE = 16 * MiB;

/**
 * Hashes the 1 MiB leaves of `[start, end)` of an open file on the calling
 * thread. The next read is issued before the current buffer is hashed, so I/O
 * and hashing overlap.
 */
async function leafDigestsOfRange(path: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer[]> {
  const handle = await open(path, 'r');
  try {
    const leaves: Buffer[] = [];
    const buffers = [Buffer.allocUnsafe(READ_SIZE), Buffer.allocUnsafe(READ_SIZE)];
    let which = 0;
    let position = start;
    const readAt = (pos: number, buf: Buffer) =>
      pos >= end ? Promise.resolve(0) : handle.read(buf, 0, Math.min(READ_SIZE, end - pos), pos).then((r) => r.bytesRead);
    let pending = readAt(position, buffers[which]!);
    while (position < end) {
      signal?.throwIfAborted();
      const bytesRead = await pending;
      if (bytesRead === 0) throw new Error(`File ${path} ended at byte ${position}, before the expected ${end}.`);
      const current = buffers[which]!;
      position += bytesRead;
      which ^= 1;
      pending = readAt(position, buffers[which]!);
      for (let off = 0; off < bytesRead; off += MiB) {
        leaves.push(createHash('sha256').update(current.subarray(off, Math.min(off + MiB, bytesRead))).digest());
      }
    }
    await pending;
    return leaves;
  } finally {
    await handle.close();
  }
}

/** The worker's source: plain JavaScript, evaluated, so it runs the same from TypeScript sources or built output. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const MiB = 1048576, READ = 16 * MiB;
const { path, start, end } = workerData;
const fd = openSync(path, 'r');
const buf = Buffer.allocUnsafe(READ);
const out = Buffer.allocUnsafe(Math.ceil((end - start) / MiB) * 32);
let pos = start, n = 0;
try {
  while (pos < end) {
    const got = readSync(fd, buf, 0, Math.min(READ, end - pos), pos);
    if (got === 0) throw new Error('File ' + path + ' ended at byte ' + pos + ', before the expected ' + end + '.');
    for (let off = 0; off < got; off += MiB) {
      createHash('sha256').update(buf.subarray(off, Math.min(off + MiB, got))).digest().copy(out, n * 32);
      n++;
    }
    pos += got;
  }
} finally { closeSync(fd); }
parentPort.postMessage(out.subarray(0, n * 32));
`;

function leafDigestsInWorker(path: string, start: number, end: number, signal?: AbortSignal): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, start, end } });
    const onAbort = () => {
      void worker.terminate();
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (packed: Uint8Array) => {
      signal?.removeEventListener('abort', onAbort);
      const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
      const leaves: Buffer[] = [];
      for (let off = 0; off < bytes.byteLength; off += 32) leaves.push(bytes.subarray(off, off + 32));
      resolve(leaves);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
  });
}

/**
 * The tree hash of a file, or of a byte range of it.
 *
 * With `workers: 1` it hashes on the calling thread while the next 16 MiB read
 * is in flight. With `workers: n > 1` the range is cut into `n` slices on leaf
 * boundaries and hashed by `n` worker threads.
 *
 * @example
 * ```ts
 * const checksum = await treeHashFile('backup.tar', { workers: 2 });
 * ```
 */
export async function treeHashFile(path: string, options: TreeHashFileOptions = {}): Promise<string> {
  const { signal } = options;
  signal?.throwIfAborted();
  const workers = Math.max(1, Math.floor(options.workers ?? 1));
  const start = options.start ?? 0;
  const end = options.end ?? (await stat(path)).size;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`Invalid byte range [${start}, ${end}) for treeHashFile.`);
  }
  const leafCount = Math.ceil((end - start) / MiB);
  if (workers === 1 || leafCount < 2 * workers) {
    return combineDigests(await leafDigestsOfRange(path, start, end, signal)).toString('hex');
  }
  const perWorker = Math.ceil(leafCount / workers) * MiB;
  const slices: Array<Promise<Buffer[]>> = [];
  for (let s = start; s < end; s += perWorker) {
    slices.push(leafDigestsInWorker(path, s, Math.min(s + perWorker, end), signal));
  }
  const leaves = (await Promise.all(slices)).flat();
  return combineDigests(leaves).toString('hex');
}

/** An inclusive byte range `[start, end]`, as Glacier writes them (`start-end`). */
export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, inclusive. */
  readonly end: number;
}

/** True when `size` is 1 MiB × 2^n for some n ≥ 0 and at most 4 GiB: a valid Glacier part size. */
export function isValidPartSize(size: number): boolean {
  if (!Number.isSafeInteger(size) || size < MiB || size > 4096 * MiB || size % MiB !== 0) return false;
  const mib = size / MiB;
  return (mib & (mib - 1)) === 0;
}

/**
 * True when the inclusive range `[start, end]` of a payload of `totalSize`
 * bytes is tree-hash aligned: its tree hash is a node of the payload's tree,
 * so Glacier returns (and accepts) a checksum for it.
 */
export function isTreeHashAligned(start: number, end: number, totalSize: number): boolean {
  if (start < 0 || end < start || end >= totalSize || start % MiB !== 0) return false;
  const length = end + 1 - start;
  for (let span = MiB; span <= Math.max(MiB, totalSize * 2); span *= 2) {
    if (start % span !== 0) return false;
    if (end + 1 === Math.min(start + span, totalSize)) return true;
    if (span >= length && end + 1 !== totalSize) return false;
  }
  return false;
}

/**
 * True when `[start, end]` is megabyte aligned as Glacier requires of a
 * retrieval's `RetrievalByteRange`: it starts on a 1 MiB boundary and ends one
 * byte before a 1 MiB boundary or at the archive's last byte.
 */
export function isMegabyteAligned(start: number, end: number, totalSize?: number): boolean {
  if (start < 0 || end < start || start % MiB !== 0) return false;
  if ((end + 1) % MiB === 0) return totalSize === undefined || end < totalSize;
  return totalSize !== undefined && end === totalSize - 1;
}

/**
 * Cuts `[0, totalSize)` into consecutive inclusive ranges of `chunkSize`
 * bytes (the last may be shorter). With a power-of-two-MiB `chunkSize`, every
 * range is tree-hash aligned and their tree hashes combine into the whole's
 * with {@link combineTreeHashes}.
 */
export function alignedRanges(totalSize: number, chunkSize: number): ByteRange[] {
  if (!isValidPartSize(chunkSize)) {
    throw new RangeError(`Chunk size ${chunkSize} is not 1 MiB × 2^n (at most 4 GiB); tree-hash aligned ranges need one.`);
  }
  const ranges: ByteRange[] = [];
  for (let start = 0; start < totalSize; start += chunkSize) {
    ranges.push({ start, end: Math.min(start + chunkSize, totalSize) - 1 });
  }
  return ranges;
}
