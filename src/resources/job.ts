/**
 * The Job resource: an archive-retrieval or inventory-retrieval job.
 *
 * @module
 */
import type { Writable } from 'node:stream';
import {
  DescribeJobCommand,
  GetJobOutputCommand,
  type ActionCode,
  type GetJobOutputCommandOutput,
  type GlacierClient,
  type GlacierJobDescription,
  type InventoryRetrievalJobDescription,
  type OutputLocation,
  type SelectParameters,
  type StatusCode,
} from '@aws-sdk/client-glacier';
import { ValidationError } from '../errors.js';
import { checkRangeBounds } from '../validation.js';
import { downloadJobOutput, type DownloadOptions, type DownloadResult, type JobOutputSource } from '../transfer/download.js';
import { readInventory, type InventoryReader } from '../transfer/inventory.js';
import { waitForJobCompletion, type JobWaitOptions } from '../waiters/job-completion.js';
import type { Archive } from './archive.js';
import { archiveDataFromInventory } from './archive-data.js';
import { Resource, defineAccessors, hydrate, makeResource, responseData } from './base.js';
import { JOB_MODEL } from './model.js';
import { DOWNLOAD_OPTION_KEYS, checkOptions, sendOptions, type InclusiveRange, type RequestOptions } from './options.js';
import type { ErrorHints } from '../service-errors.js';
import type { Vault } from './vault.js';

/** The identifiers of a {@link Job}. */
export interface JobIdentifiers {
  /** `-` or a 12-digit account id. */
  accountId: string;
  /** The vault's name. */
  vaultName: string;
  /** The job id. */
  id: string;
}

/** Options of {@link Job.getOutput}. */
export interface GetOutputOptions extends RequestOptions {
  /** Bytes to read, inclusive: `"bytes=0-1048575"`, `"0-1048575"` or `{ start, end }`. */
  range?: string | InclusiveRange;
}

/** Options of {@link Job.inventory} and {@link Job.archives}. */
export interface InventoryReadOptions {
  /** The output's format; by default the one the job was started with (read with DescribeJob). */
  format?: 'JSON' | 'CSV';
  /** Cancels the download. */
  signal?: AbortSignal;
}

const JOB_HINTS: ErrorHints = {
  ResourceNotFoundException:
    'Glacier keeps a job for at least 24 hours after it completes and then forgets it; ' +
    'start a new one with archive.initiateArchiveRetrieval() or vault.initiateInventoryRetrieval()',
};

const OUTPUT_HINTS: ErrorHints = {
  ...JOB_HINTS,
  InvalidParameterValueException: 'if the job has not finished, wait for it with job.waitUntilCompleted() before reading its output',
};

function outputRange(range: GetOutputOptions['range']): string | undefined {
  if (range === undefined) return undefined;
  let start: number;
  let end: number;
  if (typeof range === 'string') {
    const m = /^(?:bytes=)?(\d+)-(\d+)$/.exec(range.trim());
    if (!m) throw new ValidationError('range', `Invalid range ${JSON.stringify(range)}: write it as "bytes=start-end", inclusive.`);
    start = Number(m[1]);
    end = Number(m[2]);
  } else {
    ({ start, end } = checkRangeBounds(range, 'range', 'range', 'bytes=start-end'));
  }
  if (end < start) throw new ValidationError('range', `Invalid range ${start}-${end}: the end must not come before the start.`);
  return `bytes=${start}-${end}`;
}

/**
 * A Glacier job. Its attributes are DescribeJob's output: call
 * `await job.load()` first (jobs from `vault.jobs` arrive loaded).
 *
 * @example
 * ```ts
 * const job = await vault.Archive(archiveId).initiateArchiveRetrieval({ tier: 'Bulk' });
 * await job.waitUntilCompleted({ onPoll: (j) => console.log(j.statusCode) });
 * await job.download('restored.bin');
 * ```
 */
export class Job extends Resource<JobIdentifiers, GlacierJobDescription> {
  /** The account id (`-` for the credentials' own account). */
  declare readonly accountId: string;
  /** The vault's name. */
  declare readonly vaultName: string;
  /** The job id. */
  declare readonly id: string;
  /** The job id (boto3's `job_id`, the same as {@link Job.id}). */
  declare readonly jobId: string;
  /** `ArchiveRetrieval`, `InventoryRetrieval` or `Select`. */
  declare readonly action: ActionCode | undefined;
  /** The archive being retrieved, for archive retrievals. */
  declare readonly archiveId: string | undefined;
  /** The whole archive's SHA-256 tree hash, for archive retrievals. */
  declare readonly archiveSha256TreeHash: string | undefined;
  /** The archive's size in bytes, for archive retrievals. */
  declare readonly archiveSizeInBytes: number | undefined;
  /** Whether the job has finished. */
  declare readonly completed: boolean | undefined;
  /** When the job finished (ISO-8601 UTC). */
  declare readonly completionDate: string | undefined;
  /** When the job was started (ISO-8601 UTC). */
  declare readonly creationDate: string | undefined;
  /** The parameters of an inventory retrieval, including the `Marker` to continue from. */
  declare readonly inventoryRetrievalParameters: InventoryRetrievalJobDescription | undefined;
  /** The inventory's size in bytes, for inventory retrievals. */
  declare readonly inventorySizeInBytes: number | undefined;
  /** The job's description. */
  declare readonly jobDescription: string | undefined;
  /** The output path, for select jobs. */
  declare readonly jobOutputPath: string | undefined;
  /** Where select job output goes. */
  declare readonly outputLocation: OutputLocation | undefined;
  /** The retrieved byte range, for archive retrievals. */
  declare readonly retrievalByteRange: string | undefined;
  /** The parameters of a select job. */
  declare readonly selectParameters: SelectParameters | undefined;
  /** The SHA-256 tree hash of the retrieved range, when it is tree-hash aligned. */
  declare readonly sha256TreeHash: string | undefined;
  /** The SNS topic notified on completion. */
  declare readonly snsTopic: string | undefined;
  /** `InProgress`, `Succeeded` or `Failed`. */
  declare readonly statusCode: StatusCode | undefined;
  /** Glacier's explanation of the status. */
  declare readonly statusMessage: string | undefined;
  /** The retrieval tier. */
  declare readonly tier: string | undefined;
  /** The vault's ARN. */
  declare readonly vaultArn: string | undefined;

  /** Makes a Job resource; no request is made. */
  constructor(client: GlacierClient, accountId: string, vaultName: string, id: string) {
    super(JOB_MODEL, client, [accountId, vaultName, id]);
  }

  /** Loads the job's attributes (DescribeJob) and returns the job. */
  async load(options?: RequestOptions): Promise<this> {
    const output = await this.request(
      (c) => c.send(new DescribeJobCommand({ accountId: this.accountId, vaultName: this.vaultName, jobId: this.id }), sendOptions(options)),
      JOB_HINTS,
    );
    this.setData(responseData(output));
    return this;
  }

  /** The same as {@link Job.load}. */
  reload(options?: RequestOptions): Promise<this> {
    return this.load(options);
  }

  /**
   * The raw GetJobOutput response, as boto3's `get_output()`: `body` is a
   * stream that must be consumed or destroyed; `checksum` is present only for
   * tree-hash-aligned ranges. For whole downloads use {@link Job.download}.
   */
  async getOutput(options?: GetOutputOptions): Promise<GetJobOutputCommandOutput> {
    const opts = checkOptions(options, ['range', 'signal'], 'job.getOutput()');
    const range = outputRange(opts.range);
    return this.request(
      (c) =>
        c.send(
          new GetJobOutputCommand({ accountId: this.accountId, vaultName: this.vaultName, jobId: this.id, ...(range ? { range } : {}) }),
          sendOptions(opts),
        ),
      OUTPUT_HINTS,
    );
  }

  /**
   * Polls DescribeJob, with a growing interval, until the job completes.
   * Resolves with the loaded job when it `Succeeded`.
   *
   * @throws JobFailedError when it `Failed` (carrying Glacier's StatusMessage)
   * @throws WaitTimeoutError when `maxWaitTime` passes first
   */
  async waitUntilCompleted(options?: JobWaitOptions<Job>): Promise<this> {
    const opts = checkOptions(options, ['pollInterval', 'maxPollInterval', 'maxWaitTime', 'signal', 'onPoll'], 'job.waitUntilCompleted()');
    return waitForJobCompletion(this, opts);
  }

  /**
   * Downloads the job's output to a file path or a writable stream, in
   * ranged, tree-hash-verified chunks (see the transfer engine's
   * `downloadJobOutput`).
   */
  async download(target: string | Writable, options?: DownloadOptions): Promise<DownloadResult> {
    checkOptions(options, DOWNLOAD_OPTION_KEYS, 'job.download()');
    return this.request(() => downloadJobOutput(this.#source(), target, options), OUTPUT_HINTS);
  }

  /**
   * Reads a completed inventory job's output as a stream of archive records
   * (DescribeJob, then GetJobOutput, parsed as the bytes arrive). No request
   * is made until iteration.
   */
  inventory(options?: InventoryReadOptions): InventoryReader {
    const opts = checkOptions(options, ['format', 'signal'], 'job.inventory()');
    return readInventory(this.#source(), opts);
  }

  /** The archives an inventory job lists, as Archive resources that carry the inventory's data. */
  async *archives(options?: InventoryReadOptions): AsyncGenerator<Archive, void, undefined> {
    for await (const record of this.inventory(options)) {
      yield hydrate(makeResource<Archive>('Archive', this.client, this.accountId, this.vaultName, record.archiveId), archiveDataFromInventory(record));
    }
  }

  /** The job's vault; no request is made. */
  Vault(): Vault {
    return makeResource<Vault>('Vault', this.client, this.accountId, this.vaultName);
  }

  #source(): JobOutputSource {
    return { client: this.client, accountId: this.accountId, vaultName: this.vaultName, jobId: this.id };
  }
}

defineAccessors(Job, JOB_MODEL);
