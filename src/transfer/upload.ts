/**
 * Uploading an archive: one request for small bodies, a concurrent,
 * retried, resumable multipart upload for the rest.
 *
 * **Defaults.** Bodies of known length up to 64 MiB go in one UploadArchive
 * request. Larger ones use 8 MiB parts (or the smallest power of two that
 * fits 10,000 parts: 16 MiB from 78.125 GiB, 32 MiB from 156.25 GiB, …,
 * 4 GiB up to Glacier's 40,000 GiB limit), 16 in flight to start with,
 * then as many as pay (adaptive concurrency). Streams of unknown
 * length use 32 MiB parts, which caps them at 312.5 GiB; pass `size` (or a
 * larger `partSize`) for bigger ones.
 *
 * **Memory.** Part buffers stay within half of `maxMemory` (256 MiB by
 * default): the rest is for Node, the SDK and the sockets. Parts of a file
 * beyond that are not held: they are hashed, then re-read from the file
 * when sent, so a link that wants many requests in flight does not need
 * the memory. Parts over 64 MiB from a file (archives over 625 GiB) are
 * always streamed that way (see {@link UploadTuning}). In-memory bodies
 * are sent as views, not copies. A pinned `concurrency` holds about
 * `concurrency × partSize` for bodies that are not files.
 *
 * **Requests and cost.** Glacier bills each request: an archive of N bytes
 * costs ⌈N / partSize⌉ part requests plus an initiate and a complete.
 * Larger parts mean fewer requests but more memory and more bytes re-sent
 * when a part fails.
 *
 * **Retries.** Each part (and a single-request upload) is tried up to
 * `retry.retries + 1` times (7 by default) on 408, 429, 5xx, throttling
 * (including `LimitExceededException`), and dropped or reset connections,
 * waiting 0.5 s, 1 s, 2 s, … (×1–2 jitter, at most 30 s) in between. The
 * SDK's own retries are switched off for these requests, so the count is
 * exact. Initiate, list, complete and abort requests keep the client's retry
 * settings.
 *
 * @module
 */
import { ValidationError } from '../errors.js';
import { openBody } from './body.js';
import { MultipartUpload } from './multipart.js';
import { choosePartSize } from './part-plan.js';
import {
  emptyBodyError,
  sizeMismatch,
  validateUpload,
  type UploadArchiveOptions,
  type UploadedArchive,
  type UploadTarget,
  type UploadTuning,
} from './upload-options.js';
import { uploadSingle } from './upload-single.js';

export type { UploadBody } from './body.js';
export { FILE_STREAMED_PART_SIZE } from './part-reader.js';
export {
  UPLOAD_OPTION_KEYS,
  type UploadArchiveOptions,
  type UploadedArchive,
  type UploadProgress,
  type UploadTarget,
  type UploadTuning,
} from './upload-options.js';

/**
 * Uploads an archive.
 *
 * - A body whose length is known and at most `multipartThreshold` (64 MiB)
 *   goes up in one UploadArchive request. A stream of unknown length that
 *   ends within its first part also does.
 * - Anything larger is a multipart upload: parts are read on demand,
 *   hashed once (linear SHA-256 and tree hash in one pass; the SDK does not
 *   hash again), and sent `concurrency` at a time while the next part is read.
 *   Each part is retried on transient errors (408, 5xx, throttling, dropped
 *   connections) with exponential back-off; each is confirmed by the tree
 *   hash Glacier returns; the upload is completed only when every part is.
 * - Part buffers stay within half of `maxMemory`, whatever the archive's
 *   size (parts of a file beyond that are re-read from it when sent; parts
 *   of an in-memory body are views, not copies).
 * - On failure or abort the multipart upload is aborted, unless
 *   `leavePartsOnError`; the thrown {@link UploadError} carries `uploadId`
 *   and `partsLeft`.
 * - With `uploadId`, resumes that upload (see {@link UploadArchiveOptions.uploadId}).
 *
 * `tuning` holds rarely needed settings (see {@link UploadTuning}).
 *
 * @throws {@link ValidationError} for bad options, before any request.
 * @throws {@link UploadError} when a multipart upload fails.
 *
 * @example
 * ```ts
 * const archive = await uploadArchive({ client, accountId: '-', vaultName: 'photos' }, {
 *   body: fs.createReadStream('2024.tar'),
 *   archiveDescription: '2024.tar',
 *   onUploadId: (id) => fs.writeFileSync('2024.tar.upload-id', id),
 *   onProgress: ({ loaded, total }) => console.log(`${loaded} / ${total}`),
 * });
 * ```
 */
export async function uploadArchive(target: UploadTarget, options: UploadArchiveOptions, tuning: UploadTuning = {}): Promise<UploadedArchive> {
  const settings = validateUpload(target, options, tuning);
  options.signal?.throwIfAborted();
  const source = await openBody(options.body, settings.size);
  try {
    if (settings.size !== undefined && source.size !== undefined && source.size !== settings.size) {
      throw new ValidationError('size', `size is ${settings.size}, but the body has ${source.size} bytes; leave size out for this body.`);
    }
    const size = source.size ?? settings.size;
    if (size === 0) throw emptyBodyError();
    if (options.uploadId === undefined && size !== undefined && size <= settings.threshold) {
      const bytes = await source.read(size + 1, source.zeroCopy ? undefined : Buffer.allocUnsafe(size + 1));
      if (bytes.byteLength !== size) throw sizeMismatch(size, bytes.byteLength > size ? `more than ${size}` : String(bytes.byteLength));
      return await uploadSingle(settings, bytes);
    }
    if (size !== undefined) choosePartSize(size, settings.partSize);
    return await new MultipartUpload(settings, source, size).run();
  } finally {
    await source.close();
  }
}
