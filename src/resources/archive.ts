/**
 * The Archive resource: one archive in a vault.
 *
 * @module
 */
import type { Writable } from 'node:stream';
import { DeleteArchiveCommand, InitiateJobCommand, type GlacierClient } from '@aws-sdk/client-glacier';
import type { DownloadOptions, DownloadResult } from '../transfer/download.js';
import type { JobWaitOptions } from '../waiters/job-completion.js';
import { ValidationError } from '../errors.js';
import type { ArchiveData } from './archive-data.js';
import { Resource, defineAccessors, makeResource, responseId } from './base.js';
import { archiveRetrievalParameters, type ArchiveRetrievalOptions } from './job-parameters.js';
import { Job } from './job.js';
import { findReusableRetrieval } from './retrieval-reuse.js';
import { ARCHIVE_MODEL } from './model.js';
import { DOWNLOAD_OPTION_KEYS, checkOptions, sendOptions, type RequestOptions } from './options.js';
import type { ErrorHints } from '../service-errors.js';
import type { Vault } from './vault.js';

/** The identifiers of an {@link Archive}. */
export interface ArchiveIdentifiers {
  /** `-` or a 12-digit account id. */
  accountId: string;
  /** The vault's name. */
  vaultName: string;
  /** The archive id. */
  id: string;
}

export { archiveDataFor, archiveDataFromInventory, type ArchiveData } from './archive-data.js';

/** Options of {@link Archive.download}: the retrieval job, the wait, and the download. */
export interface ArchiveDownloadOptions
  extends ArchiveRetrievalOptions,
    Omit<JobWaitOptions<Job>, 'signal'>,
    Omit<DownloadOptions, 'signal'> {
  /** Cancels the retrieval wait and the download (the job itself cannot be cancelled). */
  signal?: AbortSignal;
  /**
   * Reuse a retrieval job of the same archive and range that succeeded or is
   * still in progress (at the same tier), instead of starting a new one.
   * Default true: running `download()` again after an interruption then
   * resumes without a new retrieval's cost and wait.
   */
  reuseJob?: boolean;
}

/** What {@link Archive.download} did: the retrieval job and the downloaded output. */
export interface ArchiveDownloadResult extends DownloadResult {
  /** The retrieval job, loaded. */
  job: Job;
  /** True when an existing retrieval job was reused. */
  reused: boolean;
}

const RETRIEVAL_HINTS: ErrorHints = {
  InsufficientCapacityException:
    'Glacier has no capacity for Expedited retrievals right now; retry later, use the Standard or Bulk tier, ' +
    'or buy provisioned capacity (account.purchaseProvisionedCapacity())',
  PolicyEnforcedException:
    "the account's data retrieval policy refused this retrieval; see account.getDataRetrievalPolicy(), retrieve a smaller range, or wait",
};

const RETRIEVAL_KEYS = ['tier', 'range', 'description', 'snsTopic', 'jobParameters'] as const;
const WAIT_KEYS = ['pollInterval', 'maxPollInterval', 'maxWaitTime', 'onPoll'] as const;
const DOWNLOAD_KEYS = DOWNLOAD_OPTION_KEYS.filter((key) => key !== 'signal');

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/**
 * An archive. Glacier has no call that describes a single archive, so an
 * Archive has no `load()`: its attributes are known when it came from an
 * upload (`vault.uploadArchive()`, `multipartUpload.complete()`) or an
 * inventory (`job.archives()`, `vault.Archive(id, record)`).
 */
export class Archive extends Resource<ArchiveIdentifiers, ArchiveData> {
  /** The account id (`-` for the credentials' own account). */
  declare readonly accountId: string;
  /** The vault's name. */
  declare readonly vaultName: string;
  /** The archive id. */
  declare readonly id: string;
  /** The archive's SHA-256 tree hash (beyond boto3, which discards it). */
  declare readonly checksum: string | undefined;
  /** The archive's length in bytes. */
  declare readonly size: number | undefined;
  /** The archive's description. */
  declare readonly description: string | undefined;
  /** When the archive was stored (ISO-8601 UTC), known from an inventory. */
  declare readonly creationDate: string | undefined;
  /** The archive's URI path, known from the upload. */
  declare readonly location: string | undefined;

  /** Makes an Archive resource; no request is made. */
  constructor(client: GlacierClient, accountId: string, vaultName: string, id: string) {
    super(ARCHIVE_MODEL, client, [accountId, vaultName, id]);
  }

  /** Deletes the archive (DeleteArchive; idempotent). Its known data is kept as a record of what was deleted. */
  async delete(options?: RequestOptions): Promise<void> {
    await this.request((c) =>
      c.send(new DeleteArchiveCommand({ accountId: this.accountId, vaultName: this.vaultName, archiveId: this.id }), sendOptions(options)),
    );
  }

  /**
   * Starts an `archive-retrieval` job (InitiateJob). Typed options are merged
   * deeply with any raw `jobParameters`; `Type` and `ArchiveId` are always
   * sent. A `range` must be megabyte aligned.
   */
  async initiateArchiveRetrieval(options?: ArchiveRetrievalOptions): Promise<Job> {
    const jobParameters = archiveRetrievalParameters(this.id, options, this.loaded?.Size);
    const output = await this.request(
      (c) => c.send(new InitiateJobCommand({ accountId: this.accountId, vaultName: this.vaultName, jobParameters }), sendOptions(options)),
      RETRIEVAL_HINTS,
    );
    return new Job(this.client, this.accountId, this.vaultName, responseId(output.jobId, 'InitiateJob', 'jobId'));
  }

  /**
   * Retrieves and downloads the archive in one call: finds a retrieval job
   * of this archive and range that can be reused (see `reuseJob`) or starts
   * one, waits for it (hours for the Standard tier), then downloads its
   * output to `target` (a file path or a writable stream), verifying tree
   * hashes. A file download interrupted before resumes where it stopped.
   */
  async download(target: string | Writable, options?: ArchiveDownloadOptions): Promise<ArchiveDownloadResult> {
    const opts = checkOptions(options, [...RETRIEVAL_KEYS, ...WAIT_KEYS, ...DOWNLOAD_KEYS, 'signal', 'reuseJob'], 'archive.download()');
    const signal = opts.signal ? { signal: opts.signal } : {};
    const retrieval = pick(opts, RETRIEVAL_KEYS);
    const parameters = archiveRetrievalParameters(this.id, retrieval, this.loaded?.Size);
    let job: Job | undefined;
    if (opts.reuseJob ?? true) {
      job = await findReusableRetrieval(this.Vault().jobs.pages(signal), this.id, parameters);
    }
    const reused = job !== undefined;
    job ??= await this.initiateArchiveRetrieval({ ...retrieval, ...signal });
    await job.waitUntilCompleted({ ...pick(opts, WAIT_KEYS), ...signal });
    const result = await job.download(target, { ...pick(opts, DOWNLOAD_KEYS), ...signal });
    return { ...result, job, reused };
  }

  /** The archive's vault; no request is made. */
  Vault(): Vault {
    return makeResource<Vault>('Vault', this.client, this.accountId, this.vaultName);
  }
}

defineAccessors(Archive, ARCHIVE_MODEL);
