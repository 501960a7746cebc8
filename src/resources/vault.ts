/**
 * The Vault resource: a container of archives, with its jobs, multipart
 * uploads, notification configuration, tags, access policy and lock.
 *
 * @module
 */
import {
  AbortVaultLockCommand,
  AddTagsToVaultCommand,
  CompleteVaultLockCommand,
  CreateVaultCommand,
  DeleteVaultAccessPolicyCommand,
  DeleteVaultCommand,
  DescribeVaultCommand,
  GetVaultAccessPolicyCommand,
  GetVaultLockCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  InitiateVaultLockCommand,
  ListTagsForVaultCommand,
  RemoveTagsFromVaultCommand,
  SetVaultAccessPolicyCommand,
  type DescribeVaultOutput,
  type GetVaultLockOutput,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { ResourceCollection, type ListFilter } from '../collections/collection.js';
import { jobsSource, multipartUploadsSource, type JobFilter } from '../collections/sources.js';
import { ValidationError } from '../errors.js';
import { uploadArchive, type UploadArchiveOptions } from '../transfer/upload.js';
import type { InventoryArchive } from '../transfer/inventory.js';
import { validateDescription, validateId, validatePartSize } from '../validation.js';
import { waitForVaultState, type VaultWaiterOptions } from '../waiters/vault-waiters.js';
import { Account } from './account.js';
import { Archive, archiveDataFor, type ArchiveData } from './archive.js';
import { Resource, defineAccessors, hydrate, responseData, responseId } from './base.js';
import { inventoryRetrievalParameters, type InventoryRetrievalOptions } from './job-parameters.js';
import { Job } from './job.js';
import { VAULT_MODEL } from './model.js';
import { MultipartUpload } from './multipart-upload.js';
import { Notification } from './notification.js';
import { checkTags, policyText } from './vault-settings.js';
import { UPLOAD_OPTION_KEYS, checkOptions, sendOptions, type RequestOptions } from './options.js';
import type { ErrorHints } from '../service-errors.js';

/** The identifiers of a {@link Vault}. */
export interface VaultIdentifiers {
  /** `-` or a 12-digit account id. */
  accountId: string;
  /** The vault's name. */
  name: string;
}

/** Options of {@link Vault.initiateMultipartUpload}. */
export interface InitiateMultipartUploadOptions extends RequestOptions {
  /** The part size: 1 MiB × 2^n, at most 4 GiB (a number, or a numeric string as in boto3). */
  partSize: number | string;
  /** The archive's description (printable ASCII, at most 1024 characters). */
  archiveDescription?: string;
}

export { MAX_POLICY_SIZE, MAX_VAULT_TAGS } from './vault-settings.js';

/** A vault access or lock policy: an IAM policy document, as JSON text or as an object. */
export type VaultPolicy = string | Record<string, unknown>;

const DELETE_HINTS: ErrorHints = {
  InvalidParameterValueException:
    'Glacier deletes a vault only when its last inventory lists no archives and nothing was written since; ' +
    'delete every archive, wait for the next inventory (about a day), then delete the vault',
};

/**
 * A Glacier vault. Its attributes are DescribeVault's output: call
 * `await vault.load()` first (vaults from `glacier.vaults` arrive loaded).
 *
 * @example
 * ```ts
 * const vault = await glacier.Vault('-', 'photos').load();
 * console.log(vault.numberOfArchives, vault.sizeInBytes, vault.lastInventoryDate);
 * const archive = await vault.uploadArchive({ body: createReadStream('photo.jpg'), archiveDescription: 'photo.jpg' });
 * console.log(archive.id, archive.checksum);
 * const inventory = await vault.initiateInventoryRetrieval({ format: 'CSV' });
 * await inventory.waitUntilCompleted();
 * for await (const a of inventory.archives()) console.log(a.id, a.size, a.description);
 * ```
 */
export class Vault extends Resource<VaultIdentifiers, DescribeVaultOutput> {
  /** The account id (`-` for the credentials' own account). */
  declare readonly accountId: string;
  /** The vault's name. */
  declare readonly name: string;
  /** The vault's name (boto3's `vault_name`, the same as {@link Vault.name}). */
  declare readonly vaultName: string;
  /** The vault's ARN. */
  declare readonly vaultArn: string | undefined;
  /** When the vault was created (ISO-8601 UTC). */
  declare readonly creationDate: string | undefined;
  /** When Glacier last took the vault's inventory (ISO-8601 UTC); unset before the first. */
  declare readonly lastInventoryDate: string | undefined;
  /** The number of archives as of the last inventory. */
  declare readonly numberOfArchives: number | undefined;
  /** The archives' total size in bytes as of the last inventory. */
  declare readonly sizeInBytes: number | undefined;

  /** Makes a Vault resource; no request is made. */
  constructor(client: GlacierClient, accountId: string, name: string) {
    super(VAULT_MODEL, client, [accountId, name]);
  }

  /** Loads the vault's attributes (DescribeVault) and returns the vault. */
  async load(options?: RequestOptions): Promise<this> {
    const output = await this.request((c) => c.send(new DescribeVaultCommand(this.#input()), sendOptions(options)));
    this.setData(responseData(output));
    return this;
  }

  /** The same as {@link Vault.load}. */
  reload(options?: RequestOptions): Promise<this> {
    return this.load(options);
  }

  /** Creates the vault (CreateVault; succeeds if it already exists) and returns it. */
  async create(options?: RequestOptions): Promise<this> {
    await this.request((c) => c.send(new CreateVaultCommand(this.#input()), sendOptions(options)));
    this.clearData();
    return this;
  }

  /** Deletes the vault (DeleteVault). Glacier refuses unless its last inventory was empty and nothing was written since. */
  async delete(options?: RequestOptions): Promise<void> {
    await this.request((c) => c.send(new DeleteVaultCommand(this.#input()), sendOptions(options)), DELETE_HINTS);
    this.clearData();
  }

  /**
   * Uploads an archive with the transfer engine (one request for small
   * bodies, a concurrent, resumable multipart upload for large ones) and
   * returns it as an Archive that carries its checksum, size, location and
   * description.
   */
  async uploadArchive(options: UploadArchiveOptions): Promise<Archive> {
    // A misspelt option (`description` for `archiveDescription`) would otherwise be ignored.
    if (options !== undefined) checkOptions(options, UPLOAD_OPTION_KEYS, 'vault.uploadArchive()');
    const uploaded = await this.request((client) =>
      uploadArchive({ client, accountId: this.accountId, vaultName: this.name }, options),
    );
    this.clearData();
    const data: ArchiveData = {
      ArchiveId: uploaded.archiveId,
      SHA256TreeHash: uploaded.checksum,
      Size: uploaded.size,
      Location: uploaded.location,
    };
    if (uploaded.archiveDescription !== undefined) data.ArchiveDescription = uploaded.archiveDescription;
    return hydrate(new Archive(this.client, this.accountId, this.name, uploaded.archiveId), data);
  }

  /**
   * Starts an `inventory-retrieval` job (InitiateJob). Typed options are
   * merged deeply with any raw `jobParameters`; `Type` is always sent.
   */
  async initiateInventoryRetrieval(options?: InventoryRetrievalOptions): Promise<Job> {
    const jobParameters = inventoryRetrievalParameters(options);
    const output = await this.request((c) => c.send(new InitiateJobCommand({ ...this.#input(), jobParameters }), sendOptions(options)));
    this.clearData();
    return new Job(this.client, this.accountId, this.name, responseId(output.jobId, 'InitiateJob', 'jobId'));
  }

  /** Starts a multipart upload (InitiateMultipartUpload) and returns it. */
  async initiateMultipartUpload(options: InitiateMultipartUploadOptions): Promise<MultipartUpload> {
    const opts = checkOptions(options, ['partSize', 'archiveDescription', 'signal'], 'vault.initiateMultipartUpload()');
    const partSize = validatePartSize(opts.partSize);
    const archiveDescription = validateDescription(opts.archiveDescription);
    const output = await this.request((c) =>
      c.send(
        new InitiateMultipartUploadCommand({
          ...this.#input(),
          partSize: String(partSize),
          ...(archiveDescription === undefined ? {} : { archiveDescription }),
        }),
        sendOptions(opts),
      ),
    );
    this.clearData();
    return new MultipartUpload(this.client, this.accountId, this.name, responseId(output.uploadId, 'InitiateMultipartUpload', 'uploadId'));
  }

  /** All the vault's jobs (ListJobs). `filter()` takes `statuscode`, `completed`, `limit` and `marker`. */
  get jobs(): ResourceCollection<Job, JobFilter> {
    return this.#jobs('jobs');
  }

  /** The vault's jobs with status `Succeeded`. */
  get succeededJobs(): ResourceCollection<Job, JobFilter> {
    return this.#jobs('succeededJobs', { statuscode: 'Succeeded' });
  }

  /** The vault's jobs with status `Failed`. */
  get failedJobs(): ResourceCollection<Job, JobFilter> {
    return this.#jobs('failedJobs', { statuscode: 'Failed' });
  }

  /** The vault's jobs with status `InProgress`. */
  get jobsInProgress(): ResourceCollection<Job, JobFilter> {
    return this.#jobs('jobsInProgress', { statuscode: 'InProgress' });
  }

  /** The vault's completed jobs (`completed=true`). */
  get completedJobs(): ResourceCollection<Job, JobFilter> {
    return this.#jobs('completedJobs', { completed: 'true' });
  }

  /** The vault's multipart uploads in progress (ListMultipartUploads). */
  get multipartUploads(): ResourceCollection<MultipartUpload, ListFilter> {
    const { client, accountId, name } = this;
    return new ResourceCollection(
      multipartUploadsSource(client, { accountId, vaultName: name }, `${this.toString()}.multipartUploads`, (upload) =>
        hydrate(new MultipartUpload(client, accountId, name, upload.MultipartUploadId ?? ''), upload),
      ),
    );
  }

  /**
   * The same as {@link Vault.multipartUploads}, under boto3's misspelt name.
   *
   * @deprecated Use {@link Vault.multipartUploads}.
   */
  get multipartUplaods(): ResourceCollection<MultipartUpload, ListFilter> {
    return this.multipartUploads;
  }

  /**
   * Waits until the vault exists (the SDK's VaultExists waiter: DescribeVault
   * every 3 s, at most 15 times, by default) and returns it loaded with the
   * last DescribeVault output. Errors other than ResourceNotFoundException,
   * such as a 403, end the wait at once.
   *
   * @throws WaitTimeoutError when the attempts run out
   */
  async waitUntilExists(options?: VaultWaiterOptions): Promise<this> {
    const opts = checkOptions(options, ['delay', 'maxAttempts', 'maxWaitTime', 'signal'], 'vault.waitUntilExists()');
    this.setData(await waitForVaultState(this.client, this.#input(), 'exists', this.toString(), opts));
    return this;
  }

  /**
   * Waits until the vault no longer exists (the SDK's VaultNotExists
   * waiter, with boto3's 3 s × 15 by default). Errors other than
   * ResourceNotFoundException end the wait at once.
   *
   * @throws WaitTimeoutError when the attempts run out
   */
  async waitUntilNotExists(options?: VaultWaiterOptions): Promise<void> {
    const opts = checkOptions(options, ['delay', 'maxAttempts', 'maxWaitTime', 'signal'], 'vault.waitUntilNotExists()');
    await waitForVaultState(this.client, this.#input(), 'notExists', this.toString(), opts);
    this.clearData();
  }

  /** Adds or overwrites tags (AddTagsToVault); a vault carries at most 10. */
  async addTags(tags: Record<string, string>, options?: RequestOptions): Promise<void> {
    const Tags = checkTags(tags);
    await this.request((c) => c.send(new AddTagsToVaultCommand({ ...this.#input(), Tags }), sendOptions(options)));
    this.clearData();
  }

  /** Removes tags by name (RemoveTagsFromVault). */
  async removeTags(keys: readonly string[], options?: RequestOptions): Promise<void> {
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string' && k.length > 0)) {
      throw new ValidationError('keys', `removeTags() takes a non-empty list of tag names, got ${JSON.stringify(keys)}.`);
    }
    await this.request((c) => c.send(new RemoveTagsFromVaultCommand({ ...this.#input(), TagKeys: [...keys] }), sendOptions(options)));
    this.clearData();
  }

  /** The vault's tags (ListTagsForVault). */
  async listTags(options?: RequestOptions): Promise<Record<string, string>> {
    const output = await this.request((c) => c.send(new ListTagsForVaultCommand(this.#input()), sendOptions(options)));
    return { ...output.Tags };
  }

  /** Sets the vault's access policy (SetVaultAccessPolicy), replacing any earlier one. */
  async setAccessPolicy(policy: VaultPolicy, options?: RequestOptions): Promise<void> {
    const Policy = policyText(policy, 'policy');
    await this.request((c) => c.send(new SetVaultAccessPolicyCommand({ ...this.#input(), policy: { Policy } }), sendOptions(options)));
    this.clearData();
  }

  /** The vault's access policy as JSON text (GetVaultAccessPolicy); ResourceNotFoundException when it has none. */
  async getAccessPolicy(options?: RequestOptions): Promise<string | undefined> {
    const output = await this.request((c) => c.send(new GetVaultAccessPolicyCommand(this.#input()), sendOptions(options)));
    return output.policy?.Policy;
  }

  /** Removes the vault's access policy (DeleteVaultAccessPolicy). */
  async deleteAccessPolicy(options?: RequestOptions): Promise<void> {
    await this.request((c) => c.send(new DeleteVaultAccessPolicyCommand(this.#input()), sendOptions(options)));
    this.clearData();
  }

  /**
   * Starts locking the vault with a lock policy (InitiateVaultLock) and
   * returns the lock id. The lock is `InProgress` for 24 hours: test the
   * policy, then {@link Vault.completeLock} (irreversible) or
   * {@link Vault.abortLock}.
   */
  async initiateLock(policy: VaultPolicy, options?: RequestOptions): Promise<string> {
    const Policy = policyText(policy, 'policy');
    const output = await this.request((c) => c.send(new InitiateVaultLockCommand({ ...this.#input(), policy: { Policy } }), sendOptions(options)));
    this.clearData();
    return responseId(output.lockId, 'InitiateVaultLock', 'lockId');
  }

  /** Makes the in-progress lock permanent (CompleteVaultLock). This cannot be undone. */
  async completeLock(lockId: string, options?: RequestOptions): Promise<void> {
    validateId(lockId, 'lockId');
    await this.request((c) => c.send(new CompleteVaultLockCommand({ ...this.#input(), lockId }), sendOptions(options)));
    this.clearData();
  }

  /** Abandons an in-progress lock (AbortVaultLock); a completed lock cannot be aborted. */
  async abortLock(options?: RequestOptions): Promise<void> {
    await this.request((c) => c.send(new AbortVaultLockCommand(this.#input()), sendOptions(options)));
    this.clearData();
  }

  /** The vault's lock: its policy, `State` (`InProgress` or `Locked`) and dates (GetVaultLock). */
  async getLock(options?: RequestOptions): Promise<GetVaultLockOutput> {
    const output = await this.request((c) => c.send(new GetVaultLockCommand(this.#input()), sendOptions(options)));
    return responseData(output);
  }

  /** The vault's account; no request is made. */
  Account(): Account {
    return new Account(this.client, this.accountId);
  }

  /**
   * An archive of this vault; no request is made. Pass an inventory record
   * (whole, or only some of its members) or archive data to give it
   * attributes; members of neither are refused with a ValidationError.
   */
  Archive(id: string, data?: Partial<InventoryArchive> | ArchiveData): Archive {
    const archive = new Archive(this.client, this.accountId, this.name, id);
    if (data === undefined) return archive;
    return hydrate(archive, archiveDataFor(id, data));
  }

  /** A job of this vault; no request is made. */
  Job(id: string): Job {
    return new Job(this.client, this.accountId, this.name, id);
  }

  /** A multipart upload of this vault; no request is made. */
  MultipartUpload(id: string): MultipartUpload {
    return new MultipartUpload(this.client, this.accountId, this.name, id);
  }

  /** This vault's notification configuration; no request is made. */
  Notification(): Notification {
    return new Notification(this.client, this.accountId, this.name);
  }

  #input(): { accountId: string; vaultName: string } {
    return { accountId: this.accountId, vaultName: this.name };
  }

  #jobs(collection: string, fixed: Omit<JobFilter, 'limit' | 'marker'> = {}): ResourceCollection<Job, JobFilter> {
    const { client, accountId, name } = this;
    return new ResourceCollection(
      jobsSource(
        client,
        { accountId, vaultName: name },
        `${this.toString()}.${collection}`,
        (job) => hydrate(new Job(client, accountId, name, job.JobId ?? ''), job),
        fixed,
      ),
    );
  }
}

defineAccessors(Vault, VAULT_MODEL);
