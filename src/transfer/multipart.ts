/**
 * The multipart upload's state machine: resume state, initiate, read and
 * send parts a few at a time, then complete, or abort on failure.
 *
 * @module
 */
import { InitiateMultipartUploadCommand } from '@aws-sdk/client-glacier';
import { UploadError, ValidationError } from '../errors.js';
import type { BodySource } from './body.js';
import { abortAfterFailure, completeUpload } from './multipart-finish.js';
import { AdaptiveConcurrency, DEFAULT_MAX_CONCURRENCY } from './concurrency.js';
import { choosePartSize } from './part-plan.js';
import { FILE_STREAMED_PART_SIZE, PartReader, hashPartInSlices, type ReadPart, type StreamFromFile } from './part-reader.js';
import { sendPart } from './part-sender.js';
import { ThrottledProgress } from './progress.js';
import { listUploadState, type UploadedPart } from './resume.js';
import { Slots } from './slots.js';
import type { UploadChecksums } from './tree-hash.js';
import { sizeMismatch, type UploadedArchive, type UploadSettings } from './upload-options.js';
import { uploadSingle } from './upload-single.js';

/** One multipart upload run: read, hash and send parts, then complete (or abort). */
export class MultipartUpload {
  readonly #s: UploadSettings;
  readonly #source: BodySource;
  readonly #size: number | undefined;
  readonly #hashes: string[] = [];
  readonly #lengths: number[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #partSize: number;
  #slots: Slots;
  #reader: PartReader | undefined;
  #uploadId: string | undefined;
  #description: string | undefined;
  #serverParts: ReadonlyMap<number, UploadedPart> = new Map();
  #loaded = 0;
  /** Bytes the connections have taken of part requests not yet acknowledged (nor failed). */
  #sending = 0;
  readonly #progress = new ThrottledProgress<number>(
    (part) => this.#emit(part),
    (error) => this.#fail(error),
  );
  /** The body's length once its end has been read (known from the start when `size` was given). */
  #endOffset: number | undefined;
  /** True once an event with `loaded === total` has been reported. */
  #reportedAll = false;
  /** The whole body, when a stream of unknown length ended within its first part. */
  #single: Buffer | undefined;
  /** InitiateMultipartUpload in flight, sent while the first part is read. */
  #initiating: Promise<void> | undefined;

  constructor(settings: UploadSettings, source: BodySource, size: number | undefined) {
    this.#s = settings;
    this.#source = source;
    this.#size = size;
    this.#partSize = choosePartSize(size, settings.partSize);
    this.#slots = this.#makeSlots();
    this.#uploadId = settings.options.uploadId;
    this.#description = settings.description;
  }

  async run(): Promise<UploadedArchive> {
    const { signal } = this.#s.options;
    const onAbort = () => this.#fail(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#progress.start();
    try {
      if (this.#uploadId !== undefined) await this.#loadResumeState(this.#uploadId);
      try {
        const parts = await this.#readAndSend();
        // Every byte is acknowledged and reported: no more events.
        this.#progress.stop();
        return await this.#complete(parts);
      } catch (error) {
        this.#fail(error);
        // An initiate still in flight may yet name an upload, which must then be aborted.
        await Promise.allSettled([...this.#inFlight, this.#initiating]);
        throw await abortAfterFailure(this.#s.target, this.#uploadId, this.#failure?.error ?? error, this.#s.options.leavePartsOnError ?? false);
      }
    } finally {
      this.#progress.stop();
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async #loadResumeState(uploadId: string): Promise<void> {
    const state = await listUploadState(this.#s.target, uploadId, this.#s.options.signal).catch((error: unknown) => {
      if ((error as { name?: string } | undefined)?.name !== 'ResourceNotFoundException') throw error;
      throw new UploadError(
        `Multipart upload ${uploadId} does not exist in vault ${this.#s.target.vaultName}: it was completed or aborted, or expired ` +
          'after 24 hours without activity. Start a new upload (leave uploadId out).',
        { uploadId, partsLeft: false, cause: error },
      );
    });
    if (this.#s.partSize !== undefined && this.#s.partSize !== state.partSize) {
      throw new ValidationError(
        'partSize',
        `Multipart upload ${uploadId} was initiated with parts of ${state.partSize} bytes, not ${this.#s.partSize}; leave partSize out when resuming.`,
      );
    }
    if (this.#size !== undefined) choosePartSize(this.#size, state.partSize);
    const changed = state.partSize !== this.#partSize;
    this.#partSize = state.partSize;
    if (changed) this.#slots = this.#makeSlots();
    this.#description = state.archiveDescription;
    this.#serverParts = state.parts;
    this.#s.options.onUploadId?.(uploadId);
  }

  /** Reads parts in order, each holding a slot until it is sent. Returns the number of parts. */
  async #readAndSend(): Promise<number> {
    if (this.#uploadId === undefined && this.#size !== undefined) {
      // A body of known length over the threshold is a multipart upload whatever its first part
      // holds: initiate while that part is read and hashed, a round trip sooner.
      this.#initiating = this.#initiate();
      this.#initiating.catch(() => undefined);
    }
    let next: Promise<ReadPart | undefined> = this.#readPart(0);
    let count = 0;
    let offset = 0;
    try {
      for (;;) {
        const part = await this.#slots.race(next);
        if (!part) {
          this.#endOffset = offset;
          break;
        }
        const last = part.length < this.#partSize;
        next = last ? Promise.resolve(undefined) : this.#readPart(part.index + 1);
        next.catch(() => undefined);
        if (part.index === 0 && this.#uploadId === undefined) {
          if (last && this.#size === undefined && part.bytes && part.length <= this.#s.threshold) {
            // A stream that fit in one part: one request is cheaper than three.
            // Its bytes stay valid: nothing else is read into the scratch buffer.
            this.#single = part.bytes;
            this.#release(part);
            return 0;
          }
          await (this.#initiating ?? this.#initiate());
        }
        offset += part.length;
        if (this.#size !== undefined && offset > this.#size) throw sizeMismatch(this.#size, `more than ${this.#size}`);
        if (last) this.#endOffset = offset;
        const sums = part.sums ?? (await hashPartInSlices(part.bytes!));
        const sending = this.#sendPart(part, sums).finally(() => {
          this.#inFlight.delete(sending);
          this.#release(part);
        });
        this.#inFlight.add(sending);
        count = part.index + 1;
        if (last) break;
      }
    } finally {
      // A read still in progress (say, of a stalled stream) releases its slot whenever it ends.
      void next.then(
        (p) => p && this.#release(p),
        () => undefined,
      );
      await Promise.allSettled([...this.#inFlight]);
    }
    if (this.#failure) throw this.#failure.error;
    if (this.#size !== undefined && offset !== this.#size) throw sizeMismatch(this.#size, String(offset));
    // A body of unknown length that ended on a part boundary may have had its
    // last part acknowledged before the end was read: report the total once.
    if (count > 0 && !this.#reportedAll) {
      this.#report(count);
      const failed = this.#slots.failure;
      if (failed) throw failed.error;
    }
    return count;
  }

  /**
   * Parts in flight: as pinned, or adapted (AIMD) up to what memory allows:
   * parts held in buffers stay within `maxMemory`, while parts of a file
   * past it are re-read from the file, and in-memory bodies are views.
   */
  #makeSlots(): Slots {
    if (this.#s.concurrency !== undefined) return new Slots(this.#s.concurrency);
    const holds = !this.#source.zeroCopy && this.#streamFromFile() === 'never';
    const max = holds ? Math.min(DEFAULT_MAX_CONCURRENCY, Math.max(1, Math.floor(this.#s.maxMemory / this.#partSize))) : DEFAULT_MAX_CONCURRENCY;
    return new Slots(new AdaptiveConcurrency({ max }));
  }

  /** When parts of the body's file are re-read from it when sent, instead of held in memory. */
  #streamFromFile(): StreamFromFile {
    if (this.#source.file === undefined) return 'never';
    const choice = this.#s.tuning.streamPartsFromFile;
    if (choice !== undefined) return choice ? 'always' : 'never';
    // Buffers take at most half the budget: re-reading a part from the file is cheap, and
    // Node, the SDK and the sockets of many requests in flight need the rest.
    return this.#partSize > FILE_STREAMED_PART_SIZE ? 'always' : { budget: this.#s.maxMemory / 2 };
  }

  /** Takes a slot, then reads part `index`; the slot is given back at the end of the body or on failure. */
  async #readPart(index: number): Promise<ReadPart | undefined> {
    await this.#slots.acquire();
    try {
      const part = await (this.#reader ??= new PartReader(this.#source, this.#partSize, this.#streamFromFile())).read(index);
      if (!part) this.#slots.release();
      return part;
    } catch (error) {
      this.#slots.release();
      throw error;
    }
  }

  #release(part: ReadPart): void {
    this.#reader?.release(part);
    this.#slots.release();
  }

  async #initiate(): Promise<void> {
    const { target, options } = this.#s;
    const out = await target.client.send(
      new InitiateMultipartUploadCommand({
        accountId: target.accountId,
        vaultName: target.vaultName,
        archiveDescription: this.#description,
        partSize: String(this.#partSize),
      }),
      { abortSignal: this.#slots.signal },
    );
    if (!out.uploadId) throw new Error('Glacier did not return an upload id for InitiateMultipartUpload.');
    this.#uploadId = out.uploadId;
    options.onUploadId?.(out.uploadId);
  }

  async #sendPart(part: ReadPart, sums: UploadChecksums): Promise<void> {
    const length = part.length;
    const held = this.#serverParts.get(part.index);
    if (!(held && held.treeHash === sums.treeHash && held.size === length)) {
      try {
        await sendPart({
          target: this.#s.target,
          uploadId: this.#uploadId!,
          index: part.index,
          partSize: this.#partSize,
          length,
          sums,
          body: () => this.#reader!.body(part),
          retry: this.#s.retry,
          signal: this.#slots.signal,
          onBytes: (n) => {
            this.#sending += n;
            if (n > 0) this.#progress.tick();
          },
          onBackOff: () => this.#slots.backOff(),
          // The kernel takes a body in bursts, so throughput is judged by parts acknowledged.
          onDone: (startedAt) => this.#slots.completed(length, startedAt),
        });
      } catch (error) {
        this.#fail(error);
        return;
      }
    }
    if (this.#failure) return;
    this.#hashes[part.index] = sums.treeHash;
    this.#lengths[part.index] = length;
    this.#loaded += length;
    this.#report(part.index + 1);
  }

  /** Reports progress after `part` (1-based) was acknowledged, with the total once the body's length is known. */
  #report(part: number): void {
    const size = this.#size ?? this.#endOffset;
    if (size !== undefined && this.#loaded === size) this.#reportedAll = true;
    this.#progress.now(part);
  }

  /** Calls onProgress: for an acknowledged `part`, or (undefined) while bytes are sent. */
  #emit(part: number | undefined): void {
    const size = this.#size ?? this.#endOffset;
    this.#s.options.onProgress?.({
      loaded: this.#loaded + this.#sending,
      acknowledged: this.#loaded,
      concurrency: this.#slots.limit,
      ...(part !== undefined ? { part } : {}),
      ...(size !== undefined ? { total: size, partsTotal: Math.ceil(size / this.#partSize) } : {}),
    });
  }

  #fail(error: unknown): void {
    this.#slots.fail(error);
  }

  get #failure(): { readonly error: unknown } | undefined {
    return this.#slots.failure;
  }

  async #complete(count: number): Promise<UploadedArchive> {
    if (this.#single) return uploadSingle({ ...this.#s, description: this.#description }, this.#single);
    return completeUpload(
      {
        target: this.#s.target,
        uploadId: this.#uploadId!,
        partSize: this.#partSize,
        hashes: this.#hashes,
        lengths: this.#lengths,
        serverParts: this.#serverParts,
        description: this.#description,
        signal: this.#slots.signal,
      },
      count,
    );
  }
}
