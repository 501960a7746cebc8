/**
 * glacier-resource: boto3's resource object model for Amazon Glacier vaults,
 * a transfer engine (concurrent, resumable, tree-hash-verified uploads and
 * downloads, streaming inventories) and the SDK's exceptions, on
 * `@aws-sdk/client-glacier`.
 *
 * ```ts
 * import { resource } from 'glacier-resource';
 *
 * const glacier = resource();
 * const vault = await glacier.Vault('-', 'photos').load();
 * console.log(vault.numberOfArchives, vault.sizeInBytes);
 * ```
 *
 * @module
 */

// The thin client.
export { resource, createGlacierClient, type ResourceOptions } from './client.js';

// Resources.
export { Resource, type ResourceMeta, type ResourceJson } from './resources/base.js';
export { ServiceResource } from './resources/service-resource.js';
export { Account, DATA_RETRIEVAL_STRATEGIES, type AccountIdentifiers, type CreateVaultOptions } from './resources/account.js';
export {
  Vault,
  MAX_VAULT_TAGS,
  MAX_POLICY_SIZE,
  type VaultIdentifiers,
  type InitiateMultipartUploadOptions,
  type VaultPolicy,
} from './resources/vault.js';
export {
  Archive,
  type ArchiveIdentifiers,
  type ArchiveData,
  type ArchiveDownloadOptions,
  type ArchiveDownloadResult,
} from './resources/archive.js';
export { Job, type JobIdentifiers, type GetOutputOptions, type InventoryReadOptions } from './resources/job.js';
export {
  MultipartUpload,
  type MultipartUploadIdentifiers,
  type CompleteOptions,
  type UploadPartOptions,
  type UploadPartResult,
} from './resources/multipart-upload.js';
export {
  Notification,
  NOTIFICATION_EVENTS,
  type NotificationIdentifiers,
  type NotificationEvent,
  type NotificationSetOptions,
} from './resources/notification.js';
export type { ArchiveRetrievalOptions, InventoryRetrievalOptions, JobOptions } from './resources/job-parameters.js';
export type { RequestOptions, InclusiveRange } from './resources/options.js';
export {
  RESOURCE_MODELS,
  type ResourceName,
  type ResourceModel,
  type IdentifierModel,
  type DataSource,
  type LoadedDataSource,
  type ExternalDataSource,
  type NoDataSource,
} from './resources/model.js';
export { NO_LONGER_SUPPORTED_EXPLANATION } from './service-errors.js';

// Collections.
export { ResourceCollection, type ListFilter, type IterationOptions, type CollectionSource, type PageRequest } from './collections/collection.js';
export { JOB_STATUS_CODES, type JobFilter } from './collections/sources.js';

// Waiters.
export { VAULT_WAITER_DELAY, VAULT_WAITER_MAX_ATTEMPTS, type VaultWaiterOptions, type VaultState } from './waiters/vault-waiters.js';
export { JOB_POLL_INTERVAL, JOB_MAX_POLL_INTERVAL, JOB_MAX_WAIT_TIME, type JobWaitOptions, type PolledJob } from './waiters/job-completion.js';

// The library's own errors.
export {
  GlacierResourceError,
  ValidationError,
  ResourceNotLoadedError,
  JobFailedError,
  WaitTimeoutError,
  TreeHashMismatchError,
  UploadError,
  DownloadError,
} from './errors.js';

// Input rules.
export {
  TIERS,
  INVENTORY_FORMATS,
  MAX_PART_SIZE,
  MAX_PARTS,
  MAX_DESCRIPTION_LENGTH,
  validateVaultName,
  validateAccountId,
  validateId,
  validateDescription,
  validatePartSize,
  minimumPartSize,
  validateTier,
  validateInventoryFormat,
  validateRetrievalRange,
  validateDate,
  type Tier,
  type InventoryFormat,
  type RangeInput,
} from './validation.js';

// Tree hashes.
export {
  MiB,
  EMPTY_SHA256,
  TreeHash,
  LinearAndTreeHash,
  treeHash,
  treeHashFile,
  uploadChecksums,
  combineTreeHashes,
  alignedRanges,
  isTreeHashAligned,
  isMegabyteAligned,
  isValidPartSize,
  type HashInput,
  type ByteRange,
  type UploadChecksums,
  type TreeHashFileOptions,
} from './transfer/tree-hash.js';

// The transfer engine.
export {
  uploadArchive,
  FILE_STREAMED_PART_SIZE,
  type UploadTarget,
  type UploadBody,
  type UploadProgress,
  type UploadArchiveOptions,
  type UploadedArchive,
  type UploadTuning,
} from './transfer/upload.js';
export {
  downloadJobOutput,
  DEFAULT_CHUNK_SIZE,
  type JobOutputSource,
  type DownloadProgress,
  type DownloadOptions,
  type DownloadResult,
} from './transfer/download.js';
export { readInventory, parseInventory, type InventoryArchive, type InventoryReader, type InventoryInput } from './transfer/inventory.js';
export { isTransientError, DEFAULT_RETRIES, DEFAULT_MIN_DELAY, DEFAULT_MAX_DELAY, type RetryOptions, type FailedAttempt } from './transfer/retry.js';
export { DEFAULT_STALL_TIMEOUT, StallTimeoutError } from './transfer/stall.js';
export {
  AdaptiveConcurrency,
  isBackOffSignal,
  DEFAULT_INITIAL_CONCURRENCY,
  DEFAULT_MAX_CONCURRENCY,
  type AdaptiveConcurrencyOptions,
} from './transfer/concurrency.js';
export { adaptivePool, type AdaptivePoolOptions, type PoolControl } from './transfer/adaptive-pool.js';
export {
  choosePartSize,
  chooseConcurrency,
  DEFAULT_PART_MEMORY,
  DEFAULT_MULTIPART_THRESHOLD,
  DEFAULT_PART_SIZE,
  DEFAULT_STREAM_PART_SIZE,
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_MEMORY,
  MAX_SINGLE_UPLOAD_SIZE,
} from './transfer/part-plan.js';

// Whole-vault work: which inventory to use, and the export.
export { isFullInventory, runningInventoryJob, newestInventoryJob, isInventoryStale } from './export/inventory-source.js';
import './export/vault-export.js';
export {
  exportVault,
  manifestLines,
  destinationFor,
  defaultStatePath,
  openLedger,
  isPostgresState,
  type ExportOptions,
  type ExportReport,
  type ExportProgress,
  type NamerFactory,
  type RequestCount,
} from './export/export-vault.js';
export {
  ARCHIVE_STATES,
  type ExportLedger,
  type LedgerArchive,
  type LedgerCounts,
  type LedgerFields,
  type LedgerWorker,
  type ArchiveState,
  type ArchiveTally,
  type Spend,
  type SpendTotal,
  type PlannedArchive,
  type StartClaim,
  type StartClaimed,
  type StartWait,
} from './export/ledger.js';
export { SqlLedger, LEDGER_SCHEMA, type SqlDriver, type SqlQuery } from './export/ledger-sql.js';
export { SqliteLedger, readLedgerSnapshot, type LedgerSnapshot } from './export/ledger-sqlite.js';
export { PostgresLedger, redactUrl, type PostgresLedgerOptions } from './export/ledger-postgres.js';
export { ExportWorker, DEFAULT_LEASE_MS, type WorkerContext, type WorkerResult } from './export/export-worker.js';
export { DirectoryDestination, ExportWriteError, type ExportDestination, type WriteOutcome } from './export/destination.js';
export { S3Destination, S3_STORAGE_CLASSES, s3PartSize, s3QueueSize, s3MetadataValue, parseS3Url, type S3DestinationOptions, type S3Location } from './export/s3-destination.js';
export { jobOutput, VerifyingStream, type VerifiedBytes, type ExpectedBytes } from './export/verified-stream.js';
export {
  decodeDescription,
  safeRelativePath,
  autoNames,
  idNames,
  placeUnder,
  EXPORT_STATE_DIR,
  type ArchiveName,
  type ArchiveNamer,
  type DescriptionFormat,
  type DecodedDescription,
  type AutoNamer,
  type NameCollision,
  COLLISION_EXAMPLES,
} from './export/names.js';
export {
  planExport,
  planVaultExport,
  plannedArchives,
  namerFor,
  GLACIER_RETRIEVAL_PRICES,
  type ExportPlan,
  type PlanOptions,
  type PlannedName,
  type VaultPlanOptions,
  type VaultExportPlan,
  type PriceTable,
  type TierPrice,
  type TierEstimate,
} from './export/plan.js';
export { ExportClock, refusalBackoff, DAY_MS } from './export/pacing.js';

// The SDK's client and exceptions, so that `instanceof` checks need no second import.
export {
  GlacierClient,
  GlacierServiceException,
  InsufficientCapacityException,
  InvalidParameterValueException,
  LimitExceededException,
  MissingParameterValueException,
  NoLongerSupportedException,
  PolicyEnforcedException,
  RequestTimeoutException,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from '@aws-sdk/client-glacier';
