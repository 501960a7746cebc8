/**
 * The declarative model of Glacier's resources: for each resource, its
 * identifiers, its attributes (and the key of the loaded data each one reads),
 * its sub-resources, and where its data comes from. It plays the part of
 * boto3's `resources-1.json`; the machinery in `base.ts` turns it into
 * accessors, printing, equality and error messages.
 *
 * @module
 */
import { validateAccountId, validateId, validateVaultName } from '../validation.js';

/** The names of Glacier's resource types. */
export type ResourceName = 'ServiceResource' | 'Account' | 'Vault' | 'Archive' | 'Job' | 'MultipartUpload' | 'Notification';

/** One identifier of a resource. */
export interface IdentifierModel {
  /** The identifier's name, e.g. `accountId`. */
  readonly name: string;
  /** Checks a value given for it and returns it; throws a ValidationError otherwise. */
  readonly validate: (value: unknown, parameter: string) => string;
  /** An attribute that reads the identifier under its API member name (boto3's `vault_name`, `job_id`). */
  readonly alias?: string;
}

/** The data of a resource with a `load()`: the output of one operation. */
export interface LoadedDataSource {
  /** Always `load`. */
  readonly kind: 'load';
  /** The operation `load()` runs, e.g. `DescribeVault`. */
  readonly operation: string;
}

/** The data of a resource without a `load()`: it comes from elsewhere (an upload, a listing, an inventory). */
export interface ExternalDataSource {
  /** Always `external`. */
  readonly kind: 'external';
  /** Where the data comes from, in words, for error messages. */
  readonly from: string;
}

/** A resource without data. */
export interface NoDataSource {
  /** Always `none`. */
  readonly kind: 'none';
}

/** How a resource gets its data. */
export type DataSource = LoadedDataSource | ExternalDataSource | NoDataSource;

/** The model of one resource type. */
export interface ResourceModel {
  /** The resource's name, printed as `glacier.<name>`. */
  readonly name: ResourceName;
  /** Identifiers, in positional order. */
  readonly identifiers: readonly IdentifierModel[];
  /** Attribute name → key of the loaded data (the API shape's member name). */
  readonly attributes: Readonly<Record<string, string>>;
  /** Names of the sub-resource constructors the resource offers. */
  readonly subresources: readonly ResourceName[];
  /** Where the resource's data comes from. */
  readonly data: DataSource;
}

const accountId: IdentifierModel = { name: 'accountId', validate: validateAccountId };
const vaultName: IdentifierModel = { name: 'vaultName', validate: validateVaultName };

/** Declares an identifier holding an opaque id (archive, job or upload id). */
function opaqueId(alias?: string): IdentifierModel {
  return alias === undefined ? { name: 'id', validate: validateId } : { name: 'id', validate: validateId, alias };
}

/** The service resource: the entry point, without identifiers. */
export const SERVICE_MODEL: ResourceModel = {
  name: 'ServiceResource',
  identifiers: [],
  attributes: {},
  subresources: ['Account', 'Archive', 'Job', 'MultipartUpload', 'Notification', 'Vault'],
  data: { kind: 'none' },
};

/** An AWS account (`-` for the credentials' own). */
export const ACCOUNT_MODEL: ResourceModel = {
  name: 'Account',
  identifiers: [{ name: 'id', validate: validateAccountId }],
  attributes: {},
  subresources: ['Vault'],
  data: { kind: 'none' },
};

/** A vault; its data is DescribeVault's output. */
export const VAULT_MODEL: ResourceModel = {
  name: 'Vault',
  identifiers: [accountId, { name: 'name', validate: validateVaultName, alias: 'vaultName' }],
  attributes: {
    vaultArn: 'VaultARN',
    creationDate: 'CreationDate',
    lastInventoryDate: 'LastInventoryDate',
    numberOfArchives: 'NumberOfArchives',
    sizeInBytes: 'SizeInBytes',
  },
  subresources: ['Account', 'Archive', 'Job', 'MultipartUpload', 'Notification'],
  data: { kind: 'load', operation: 'DescribeVault' },
};

/** An archive; Glacier has no call that describes one, so its data comes from an upload or an inventory. */
export const ARCHIVE_MODEL: ResourceModel = {
  name: 'Archive',
  identifiers: [accountId, vaultName, opaqueId()],
  attributes: {
    checksum: 'SHA256TreeHash',
    size: 'Size',
    description: 'ArchiveDescription',
    creationDate: 'CreationDate',
    location: 'Location',
  },
  subresources: ['Vault'],
  data: {
    kind: 'external',
    from:
      'Glacier has no call that describes one archive; its data comes from the upload that made it ' +
      '(vault.uploadArchive(), multipartUpload.complete()) or from an inventory (job.archives(), vault.Archive(id, record))',
  },
};

/** A retrieval or inventory job; its data is DescribeJob's output. */
export const JOB_MODEL: ResourceModel = {
  name: 'Job',
  identifiers: [accountId, vaultName, opaqueId('jobId')],
  attributes: {
    action: 'Action',
    archiveId: 'ArchiveId',
    archiveSha256TreeHash: 'ArchiveSHA256TreeHash',
    archiveSizeInBytes: 'ArchiveSizeInBytes',
    completed: 'Completed',
    completionDate: 'CompletionDate',
    creationDate: 'CreationDate',
    inventoryRetrievalParameters: 'InventoryRetrievalParameters',
    inventorySizeInBytes: 'InventorySizeInBytes',
    jobDescription: 'JobDescription',
    jobOutputPath: 'JobOutputPath',
    outputLocation: 'OutputLocation',
    retrievalByteRange: 'RetrievalByteRange',
    selectParameters: 'SelectParameters',
    sha256TreeHash: 'SHA256TreeHash',
    snsTopic: 'SNSTopic',
    statusCode: 'StatusCode',
    statusMessage: 'StatusMessage',
    tier: 'Tier',
    vaultArn: 'VaultARN',
  },
  subresources: ['Vault'],
  data: { kind: 'load', operation: 'DescribeJob' },
};

/** An in-progress multipart upload; its data comes from a listing. */
export const MULTIPART_UPLOAD_MODEL: ResourceModel = {
  name: 'MultipartUpload',
  identifiers: [accountId, vaultName, opaqueId('multipartUploadId')],
  attributes: {
    archiveDescription: 'ArchiveDescription',
    creationDate: 'CreationDate',
    partSizeInBytes: 'PartSizeInBytes',
    vaultArn: 'VaultARN',
  },
  subresources: ['Vault'],
  data: {
    kind: 'external',
    from:
      'Glacier has no call that describes one multipart upload; its data comes from listing them ' +
      '(vault.multipartUploads) or from listing its parts (multipartUpload.parts())',
  },
};

/** A vault's notification configuration; its data is GetVaultNotifications' output. */
export const NOTIFICATION_MODEL: ResourceModel = {
  name: 'Notification',
  identifiers: [accountId, vaultName],
  attributes: { snsTopic: 'SNSTopic', events: 'Events' },
  subresources: ['Vault'],
  data: { kind: 'load', operation: 'GetVaultNotifications' },
};

/** Every resource model, by name. */
export const RESOURCE_MODELS: Readonly<Record<ResourceName, ResourceModel>> = {
  ServiceResource: SERVICE_MODEL,
  Account: ACCOUNT_MODEL,
  Vault: VAULT_MODEL,
  Archive: ARCHIVE_MODEL,
  Job: JOB_MODEL,
  MultipartUpload: MULTIPART_UPLOAD_MODEL,
  Notification: NOTIFICATION_MODEL,
};
