/**
 * The S3 destination: each archive streams from its retrieval job into an
 * S3 object through `@aws-sdk/lib-storage`'s `Upload`, with no local copy and
 * memory bounded by part size × parts in flight. The bytes are proven on the
 * way (size and Glacier tree hash, see `verified-stream.ts`), and an
 * integrity gate on the S3 client refuses to send the request that makes the
 * object visible (PutObject, CompleteMultipartUpload) for any key whose bytes
 * did not pass. The gate is ours, not lib-storage's: even a lib-storage that
 * completed an upload after a failed or short body (aws-sdk-js-v3#2311)
 * could not make a wrong object here.
 *
 * Each object carries S3's own checksum (SHA-256 for a single PutObject; a
 * full-object CRC32 for a multipart upload, which S3 checks against the
 * parts' CRCs) and the archive's identity as user metadata:
 * `glacier-archive-id`, `glacier-tree-hash`, `glacier-creation-date` and
 * `glacier-description` (RFC 2047-encoded when not plain ASCII, as S3
 * expects of non-ASCII metadata).
 *
 * @module
 */
import { AbortMultipartUploadCommand, HeadObjectCommand, HeadBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client, type S3ClientConfig, type StorageClass } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import type { Vault } from '../resources/vault.js';
import { isTransientError } from '../transfer/retry.js';
import { ExportWriteError, type ExportDestination } from './destination.js';
import type { LedgerArchive } from './ledger.js';
import { jobOutput, VerifyingStream } from './verified-stream.js';

const MiB = 1024 * 1024;
/** S3's smallest part (but the last) and largest part. */
const MIN_PART = 5 * MiB;
const MAX_PART = 5 * 1024 * MiB;
/** S3's most parts in one upload. */
const MAX_PARTS = 10_000;
/** S3's longest key, in bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;

/** The storage classes an export may write. */
export const S3_STORAGE_CLASSES = ['DEEP_ARCHIVE', 'GLACIER', 'GLACIER_IR', 'STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'REDUCED_REDUNDANCY'] as const;

/**
 * The part size for an object of `size` bytes: `preferred` (default 16 MiB)
 * unless that would take more than 10,000 parts, then the smallest whole
 * MiB that fits. Every Glacier archive fits (at most 40 TiB: parts of
 * 4,195 MiB); a size beyond 10,000 parts of 5 GiB is refused.
 */
export function s3PartSize(size: number, preferred = 16 * MiB): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`An object size must be a whole number of bytes, got ${size}.`);
  const needed = Math.ceil(Math.ceil(size / MAX_PARTS) / MiB) * MiB;
  const part = Math.max(MIN_PART, preferred, needed);
  if (part > MAX_PART) throw new RangeError(`An object of ${size} bytes needs parts over S3's 5 GiB limit.`);
  return part;
}

/** Parts in flight for one object within `maxMemory` bytes (at least 1, at most 4). */
export function s3QueueSize(partSize: number, maxMemory = 64 * MiB): number {
  return Math.max(1, Math.min(4, Math.floor(maxMemory / partSize)));
}

/** A metadata value S3 accepts in a header: as is when printable ASCII, else an RFC 2047 encoded-word. */
export function s3MetadataValue(text: string): string {
  return /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

/** An S3 location. */
export interface S3Location {
  /** The bucket. */
  bucket: string;
  /** The key prefix: empty, or ending with `/`. */
  prefix: string;
}

/** `s3://bucket/prefix` split; the prefix ends with `/` unless empty. */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(m[1]!)) {
    throw new RangeError(`Not an S3 location: ${JSON.stringify(url)}. Give s3://bucket or s3://bucket/prefix, with a valid bucket name.`);
  }
  const prefix = m[2]!.replace(/^\/+/, '');
  return { bucket: m[1]!, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

/** Options of {@link S3Destination}. */
export interface S3DestinationOptions {
  /** `s3://bucket/prefix`. */
  url: string;
  /** Storage class of the objects (default `DEEP_ARCHIVE`). */
  storageClass?: StorageClass;
  /** The S3 client's own settings: region, endpoint, credentials, profile (Glacier and S3 may be in different accounts). */
  client?: S3ClientConfig;
  /** Preferred part size for multipart uploads (default 16 MiB; larger when an archive needs it). */
  partSize?: number;
  /** Most bytes of parts in flight for one object (default 64 MiB). */
  maxMemoryPerObject?: number;
}

interface Gate {
  verified: () => boolean;
  crc32: () => string;
}

/** Archives to objects under an S3 prefix. */
export class S3Destination implements ExportDestination {
  /** The `s3://bucket/prefix/` written to. */
  readonly location: string;
  /** Names are checked against a virtual root (keys never leave the prefix). */
  readonly namesRoot = '/s3-export-root';
  /** The S3 client (with the integrity gate installed). */
  readonly client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #gates = new Map<string, Gate>();

  /** @param options - Where, and how to reach S3. */
  constructor(readonly options: S3DestinationOptions) {
    const { bucket, prefix } = parseS3Url(options.url);
    this.#bucket = bucket;
    this.#prefix = prefix;
    this.location = `s3://${bucket}/${prefix}`;
    const endpoint = options.client?.endpoint ?? process.env['AWS_ENDPOINT_URL_S3'];
    this.client = new S3Client({ ...(endpoint ? { endpoint, forcePathStyle: true } : {}), ...options.client });
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName;
        if (command === 'PutObjectCommand' || command === 'CompleteMultipartUploadCommand') {
          const input = args.input as { Key?: string; ChecksumCRC32?: string; ChecksumType?: string };
          const gate = input.Key === undefined ? undefined : this.#gates.get(input.Key);
          if (gate && !gate.verified()) {
            throw new ExportWriteError('mismatch', `refused to complete ${this.location}${input.Key!.slice(this.#prefix.length)}: its bytes were not proven equal to the archive`);
          }
          if (gate && command === 'CompleteMultipartUploadCommand') Object.assign(input, { ChecksumCRC32: gate.crc32(), ChecksumType: 'FULL_OBJECT' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'glacierExportIntegrityGate' },
    );
  }

  /** The object key of a planned name: under the prefix, and within S3's 1,024 bytes (a long name goes under `long-paths/<hash>/`). */
  keyOf(name: string): string {
    const key = this.#prefix + name;
    if (Buffer.byteLength(key) <= MAX_KEY_BYTES) return key;
    const last = name.split('/').at(-1)!;
    return `${this.#prefix}long-paths/${createHash('sha256').update(name).digest('hex').slice(0, 16)}/${last}`;
  }

  /** {@inheritDoc ExportDestination.prepare} */
  async prepare(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const why = status === 404 ? 'does not exist' : status === 403 ? 'is not accessible with the S3 credentials given' : `could not be reached (${(err as Error).name})`;
      throw new Error(`The bucket ${this.#bucket} ${why}. Create it, or give --s3-profile / --s3-endpoint / --s3-region for the account that owns it.`, { cause: err });
    }
  }

  /** {@inheritDoc ExportDestination.has} */
  async has(a: LedgerArchive): Promise<boolean> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: this.keyOf(a.name) }));
      return head.Metadata?.['glacier-tree-hash'] === a.treeHash && head.ContentLength === a.size;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw err;
    }
  }

  /** {@inheritDoc ExportDestination.existingNames} */
  async *existingNames(): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: this.#prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) {
        const name = o.Key!.slice(this.#prefix.length);
        if (!name.startsWith('.glacier-export/')) yield name;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** {@inheritDoc ExportDestination.write} */
  async write(vault: Vault, a: LedgerArchive, signal?: AbortSignal): Promise<void> {
    const key = this.keyOf(a.name);
    if (this.#gates.has(key)) throw new ExportWriteError('transient', `${key} is being written already`);
    const verifier = new VerifyingStream({ size: a.size, treeHash: a.treeHash });
    const source = Readable.from(jobOutput(vault.Job(a.jobId!), a.size, signal));
    source.on('error', (err) => verifier.destroy(err));
    source.pipe(verifier);
    this.#gates.set(key, { verified: () => verifier.result.verified, crc32: () => verifier.result.crc32 });
    const partSize = s3PartSize(a.size, this.options.partSize);
    const multipart = a.size > partSize;
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const upload = new Upload({
      client: this.client,
      partSize,
      queueSize: s3QueueSize(partSize, this.options.maxMemoryPerObject),
      abortController: abort,
      params: {
        Bucket: this.#bucket,
        Key: key,
        Body: verifier,
        ContentLength: a.size,
        StorageClass: this.options.storageClass ?? 'DEEP_ARCHIVE',
        ...(multipart ? { ChecksumAlgorithm: 'CRC32', ChecksumType: 'FULL_OBJECT' } : { ChecksumAlgorithm: 'SHA256' }),
        Metadata: {
          'glacier-archive-id': a.archiveId,
          'glacier-tree-hash': a.treeHash,
          'glacier-creation-date': a.created,
          'glacier-description': s3MetadataValue(a.description),
        },
      },
    });
    try {
      await upload.done();
    } catch (err) {
      source.destroy();
      if (signal?.aborted) throw err;
      if (err instanceof ExportWriteError) throw err;
      if (isTransientError(err)) throw new ExportWriteError('transient', `writing ${key} failed: ${(err as Error).message}`, { cause: err });
      throw new Error(`Writing ${this.location}${key.slice(this.#prefix.length)} failed: ${(err as Error).name}: ${(err as Error).message}`, { cause: err });
    } finally {
      this.#gates.delete(key);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** {@inheritDoc ExportDestination.finish} */
  async finish(): Promise<void> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({ Bucket: this.#bucket, Prefix: this.#prefix, ...(keyMarker ? { KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker } : {}) }),
      );
      for (const u of page.Uploads ?? []) await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: u.Key!, UploadId: u.UploadId! }));
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.NextUploadIdMarker;
    } while (keyMarker);
  }

  /** {@inheritDoc ExportDestination.writeManifest} */
  async writeManifest(lines: AsyncIterable<string>): Promise<string> {
    const key = `${this.#prefix}.glacier-export/manifest.jsonl`;
    // Streamed: a manifest of millions of archives is never held whole.
    const body = Readable.from((async function* () {
      for await (const line of lines) yield Buffer.from(line);
    })());
    await new Upload({ client: this.client, params: { Bucket: this.#bucket, Key: key, Body: body, ContentType: 'application/x-ndjson', StorageClass: 'STANDARD' } }).done();
    return `s3://${this.#bucket}/${key}`;
  }

  /** {@inheritDoc ExportDestination.close} */
  async close(): Promise<void> {
    this.client.destroy();
  }
}
