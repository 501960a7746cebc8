/**
 * Streaming parsers for vault inventories, in Glacier's JSON and CSV formats.
 *
 * An inventory of millions of archives is parsed record by record: memory
 * does not grow with its size.
 *
 * @module
 */
import { DescribeJobCommand, GetJobOutputCommand } from '@aws-sdk/client-glacier';
import { parse as parseCsv } from 'csv-parse';
import { Readable } from 'node:stream';
import parserStream from 'stream-json';
import type { Token } from 'stream-json/parser.js';
import { DownloadError, ValidationError } from '../errors.js';
import { validateInventoryFormat, type InventoryFormat } from '../validation.js';
import type { JobOutputSource } from './download.js';
import { DEFAULT_RETRIES, IncompleteBodyError, backoffDelay, isTransientError, sleep, withoutSdkRetries, type RetryOptions } from './retry.js';
import { DEFAULT_STALL_TIMEOUT, watchStalls } from './stall.js';

/** One archive in an inventory. */
export interface InventoryArchive {
  /** The archive id. */
  archiveId: string;
  /** The archive's description (empty when it has none). */
  archiveDescription: string;
  /** When the archive was uploaded, ISO 8601 UTC. */
  creationDate: string;
  /** The archive's size in bytes. */
  size: number;
  /** The archive's SHA-256 tree hash. */
  sha256TreeHash: string;
}

/**
 * The archives of an inventory, read as they are parsed. `vaultArn` and
 * `inventoryDate` are known once iteration has begun (for JSON, as soon as
 * they are parsed; CSV inventories carry neither, so a job's reader takes
 * the ARN from the job).
 */
export interface InventoryReader extends AsyncIterable<InventoryArchive> {
  /** The vault's ARN. */
  readonly vaultArn: string | undefined;
  /** When the inventory was taken, ISO 8601 UTC. */
  readonly inventoryDate: string | undefined;
}

/** Bytes of an inventory: a Node Readable, a web ReadableStream, or any async iterable of chunks. */
export type InventoryInput = Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string>;

function toReadable(input: InventoryInput): Readable {
  if (input instanceof Readable) return input;
  if (typeof (input as ReadableStream).getReader === 'function') {
    return Readable.fromWeb(input as import('node:stream/web').ReadableStream<Uint8Array>);
  }
  return Readable.from(input as AsyncIterable<Uint8Array | string>, { objectMode: false });
}

const FIELDS = {
  ArchiveId: 'archiveId',
  ArchiveDescription: 'archiveDescription',
  CreationDate: 'creationDate',
  Size: 'size',
  SHA256TreeHash: 'sha256TreeHash',
} as const;

function toArchive(raw: Record<string, unknown>, where: string): InventoryArchive {
  const archiveId = raw['ArchiveId'];
  if (typeof archiveId !== 'string' || archiveId === '') throw new SyntaxError(`Inventory ${where} has no ArchiveId.`);
  const size = Number(raw['Size']);
  if (!Number.isSafeInteger(size) || size < 0) throw new SyntaxError(`Inventory ${where} (archive ${archiveId}) has an invalid Size ${JSON.stringify(raw['Size'])}.`);
  return {
    archiveId,
    archiveDescription: String(raw['ArchiveDescription'] ?? ''),
    creationDate: String(raw['CreationDate'] ?? ''),
    size,
    sha256TreeHash: String(raw['SHA256TreeHash'] ?? ''),
  };
}

class Reader implements InventoryReader {
  vaultArn: string | undefined;
  inventoryDate: string | undefined;
  readonly #records: (reader: Reader) => AsyncGenerator<InventoryArchive>;
  #used = false;

  constructor(records: (reader: Reader) => AsyncGenerator<InventoryArchive>, vaultArn?: string) {
    this.#records = records;
    this.vaultArn = vaultArn;
  }

  [Symbol.asyncIterator](): AsyncIterator<InventoryArchive> {
    if (this.#used) throw new Error('An inventory can be iterated only once; read it again for a second pass.');
    this.#used = true;
    return this.#records(this);
  }
}

/**
 * Parses Glacier's JSON inventory: `{"VaultARN", "InventoryDate",
 * "ArchiveList": [{"ArchiveId", "ArchiveDescription", "CreationDate", "Size",
 * "SHA256TreeHash"}, …]}`. Only one archive record is assembled at a time.
 */
async function* jsonRecords(input: Readable, reader: Reader): AsyncGenerator<InventoryArchive> {
  const tokens = input.pipe(parserStream({ streamValues: false }));
  input.once('error', (error) => tokens.destroy(error));
  let depth = 0;
  let topKey: string | undefined;
  let key: string | undefined;
  let record: Record<string, unknown> | undefined;
  let index = 0;
  let inList = false;
  try {
    for await (const token of tokens as AsyncIterable<Token>) {
      switch (token.name) {
        case 'startObject':
          depth++;
          if (inList && depth === 3) record = {};
          break;
        case 'endObject':
          if (inList && depth === 3 && record) {
            yield toArchive(record, `record ${index++}`);
            record = undefined;
          }
          depth--;
          break;
        case 'startArray':
          depth++;
          if (depth === 2 && topKey === 'ArchiveList') inList = true;
          break;
        case 'endArray':
          if (depth === 2) inList = false;
          depth--;
          break;
        case 'keyValue':
          if (depth === 1) topKey = token.value;
          else key = token.value;
          break;
        case 'stringValue':
        case 'numberValue':
          if (depth === 1) {
            if (topKey === 'VaultARN') reader.vaultArn = token.value;
            else if (topKey === 'InventoryDate') reader.inventoryDate = token.value;
          } else if (record && depth === 3 && key !== undefined && key in FIELDS) {
            record[key] = token.value;
          }
          break;
        default:
          break;
      }
    }
  } finally {
    tokens.destroy();
    if (!input.destroyed) input.destroy();
  }
}

/** Parses Glacier's CSV inventory: a header row, then one archive per row. */
async function* csvRecords(input: Readable): AsyncGenerator<InventoryArchive> {
  const rows = input.pipe(parseCsv({ columns: true, skip_empty_lines: true, bom: true, relax_column_count: false }));
  input.once('error', (error) => rows.destroy(error));
  let index = 0;
  try {
    for await (const row of rows as AsyncIterable<Record<string, string>>) {
      yield toArchive(row, `row ${++index + 1}`);
    }
  } finally {
    rows.destroy();
    if (!input.destroyed) input.destroy();
  }
}

/**
 * Parses an inventory from a stream, e.g. a saved inventory file.
 *
 * @example
 * ```ts
 * const inventory = parseInventory(fs.createReadStream('inventory.json'), 'JSON');
 * for await (const archive of inventory) console.log(archive.archiveId, archive.size);
 * console.log(inventory.vaultArn, inventory.inventoryDate);
 * ```
 */
export function parseInventory(input: InventoryInput, format: InventoryFormat | 'json' | 'csv' = 'JSON'): InventoryReader {
  const f = validateInventoryFormat(format);
  return new Reader((reader) => (f === 'CSV' ? csvRecords(toReadable(input)) : jsonRecords(toReadable(input), reader)));
}

/**
 * Reads the output of a completed inventory-retrieval job, streaming: the
 * records are parsed as the bytes arrive. The format is taken from the job
 * (DescribeJob) unless given. A broken connection is resumed with a ranged
 * request from the byte where it stopped (see `retry`). Iterate it once.
 *
 * @throws {@link DownloadError} when the job is not a finished inventory retrieval.
 * @throws {@link ValidationError} when `format` is given and differs from the job's format.
 *
 * @example
 * ```ts
 * for await (const archive of readInventory({ client, accountId: '-', vaultName: 'photos', jobId })) {
 *   console.log(archive.archiveId, archive.size, archive.archiveDescription);
 * }
 * ```
 */
export function readInventory(
  source: JobOutputSource,
  options: { format?: 'JSON' | 'CSV'; signal?: AbortSignal; retry?: RetryOptions; stallTimeout?: number } = {},
): InventoryReader {
  if (options.format !== undefined) validateInventoryFormat(options.format);
  const { client, accountId, vaultName, jobId } = source;
  if (typeof jobId !== 'string' || jobId === '') throw new ValidationError('jobId', 'readInventory needs the id of an inventory-retrieval job.');
  const send = options.signal ? { abortSignal: options.signal } : {};
  return new Reader(async function* (reader) {
    const job = await client.send(new DescribeJobCommand({ accountId, vaultName, jobId }), send);
    if (job.Action !== 'InventoryRetrieval') {
      throw new DownloadError(jobId, `Job ${jobId} is an ${job.Action ?? 'unknown'} job, not an inventory retrieval.`);
    }
    if (!job.Completed || job.StatusCode !== 'Succeeded') {
      throw new DownloadError(jobId, `Inventory job ${jobId} is ${job.StatusCode ?? 'not complete'}; wait for it to succeed first.`);
    }
    reader.vaultArn ??= job.VaultARN;
    const jobFormat = job.InventoryRetrievalParameters?.Format;
    const format = validateInventoryFormat(options.format ?? jobFormat ?? 'JSON');
    if (jobFormat !== undefined && jobFormat.toUpperCase() !== format) {
      throw new ValidationError(
        'format',
        `Inventory job ${jobId} produced ${jobFormat} output, but format '${options.format}' was requested; ` +
          `pass format: '${jobFormat}' or leave format out to use the job's own.`,
      );
    }
    const body = Readable.from(outputBytes(source, job.InventorySizeInBytes, options));
    yield* format === 'CSV' ? csvRecords(body) : jsonRecords(body, reader);
  });
}

/**
 * The bytes of a job's output, as one stream. When the connection breaks
 * (or another transient error occurs), the output is requested again from
 * the byte where it stopped, with back-off, so a long inventory does not
 * start over.
 */
async function* outputBytes(
  source: JobOutputSource,
  size: number | undefined,
  options: { signal?: AbortSignal; retry?: RetryOptions; stallTimeout?: number },
): AsyncGenerator<Buffer> {
  const { client, accountId, vaultName, jobId } = source;
  const retries = options.retry?.retries ?? DEFAULT_RETRIES;
  let offset = 0;
  let failures = 0;
  const parent = options.signal ?? new AbortController().signal;
  for (;;) {
    const watch = watchStalls(parent, options.stallTimeout ?? DEFAULT_STALL_TIMEOUT);
    try {
      const range = offset > 0 ? { range: `bytes=${offset}-${size === undefined ? '' : size - 1}` } : {};
      const command = withoutSdkRetries(new GetJobOutputCommand({ accountId, vaultName, jobId, ...range }));
      const out = await client.send(command, { abortSignal: watch.signal });
      watch.touch();
      const body = out.body as Readable | undefined;
      if (!body) throw new DownloadError(jobId, `GetJobOutput returned no body for inventory job ${jobId}.`);
      try {
        for await (const piece of body as AsyncIterable<Buffer>) {
          offset += piece.byteLength;
          // The consumer may take its time with each piece: the watch covers only the network's part.
          watch.pause();
          yield piece;
          watch.touch();
        }
      } finally {
        if (!body.readableEnded) body.destroy();
      }
      if (size !== undefined && offset < size) {
        throw new IncompleteBodyError(`The inventory ended at byte ${offset} of ${size}.`);
      }
      return;
    } catch (thrown) {
      const error = watch.explain(thrown);
      failures++;
      if (options.signal?.aborted || failures > retries || !isTransientError(error)) throw error;
      await sleep(backoffDelay(failures, options.retry), options.signal);
    } finally {
      watch.stop();
    }
  }
}
