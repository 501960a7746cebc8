/**
 * InitiateJob's `jobParameters` for archive and inventory retrievals, built
 * from typed options. Raw `jobParameters` given by the caller are merged
 * deeply (boto3 merges shallowly and loses `Type` and `ArchiveId`), and the
 * `Type` and `ArchiveId` the action sets are never dropped or replaced.
 *
 * @module
 */
import type { JobParameters } from '@aws-sdk/client-glacier';
import { ValidationError } from '../errors.js';
import {
  validateDate,
  validateDescription,
  validateId,
  validateInventoryFormat,
  validateRetrievalRange,
  validateTier,
  type InventoryFormat,
  type RangeInput,
  type Tier,
} from '../validation.js';
import { checkOptions, type RequestOptions } from './options.js';

/** Options shared by both kinds of retrieval job. */
export interface JobOptions extends RequestOptions {
  /** The job's description (printable ASCII, at most 1024 characters). */
  description?: string;
  /** An SNS topic ARN that Glacier notifies when the job completes. */
  snsTopic?: string;
  /** Raw InitiateJob parameters, merged deeply under the typed options. */
  jobParameters?: JobParameters;
}

/** Options of `archive.initiateArchiveRetrieval()`. */
export interface ArchiveRetrievalOptions extends JobOptions {
  /** `Expedited`, `Standard` (Glacier's default) or `Bulk`. */
  tier?: Tier;
  /** A megabyte-aligned byte range to retrieve (inclusive), e.g. `"0-1048575"` or `{ start: 0, end: 1048575 }`. */
  range?: RangeInput;
}

/** Options of `vault.initiateInventoryRetrieval()`. */
export interface InventoryRetrievalOptions extends JobOptions {
  /** `JSON` (Glacier's default) or `CSV`. */
  format?: InventoryFormat | Lowercase<InventoryFormat>;
  /** Only archives created on or after this date (ISO-8601 UTC or a Date). */
  startDate?: string | Date;
  /** Only archives created before this date (ISO-8601 UTC or a Date). */
  endDate?: string | Date;
  /** At most this many archives in this job's output; the rest are listed from the job's marker. */
  limit?: number;
  /** Continue an earlier limited inventory from the marker its job reported. */
  marker?: string;
}

const JOB_OPTIONS = ['description', 'snsTopic', 'jobParameters', 'signal'] as const;

/** The members of the SDK's `JobParameters` that archive and inventory retrievals use. */
const JOB_PARAMETER_KEYS: readonly string[] = [
  'Type',
  'ArchiveId',
  'Description',
  'SNSTopic',
  'RetrievalByteRange',
  'Tier',
  'Format',
  'InventoryRetrievalParameters',
];
/** The members of `InventoryRetrievalJobInput`. */
const INVENTORY_PARAMETER_KEYS: readonly string[] = ['StartDate', 'EndDate', 'Limit', 'Marker'];

/**
 * Refuses members the SDK would silently leave out of the request (a
 * misspelt `tier` or `Range` would otherwise start a Standard-tier,
 * whole-archive retrieval), and those of select jobs.
 */
function checkKnownKeys(raw: object, known: readonly string[], what: string, where: string): void {
  const unknown = Object.keys(raw).filter((key) => (raw as Record<string, unknown>)[key] !== undefined && !known.includes(key));
  if (unknown.length === 0) return;
  const select = unknown.filter((key) => key === 'OutputLocation' || key === 'SelectParameters');
  if (select.length > 0) {
    throw new ValidationError(what, `${where}: ${what}.${select[0]} belongs to select jobs, which Glacier closed to new customers and this library does not start.`);
  }
  throw new ValidationError(
    what,
    `${where}: ${what} has ${unknown.map((key) => `'${key}'`).join(', ')}, which Glacier does not know and the SDK would silently leave out; ` +
      `its members are ${known.join(', ')} (note the capitals), or use the typed options.`,
  );
}

function baseParameters(options: JobOptions, where: string): JobParameters {
  const raw = options.jobParameters;
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) {
    throw new ValidationError('jobParameters', `${where}: jobParameters must be an object of InitiateJob parameters.`);
  }
  if (raw !== undefined) checkKnownKeys(raw, JOB_PARAMETER_KEYS, 'jobParameters', where);
  const inventory: unknown = raw?.InventoryRetrievalParameters;
  if (inventory !== undefined && (typeof inventory !== 'object' || inventory === null || Array.isArray(inventory))) {
    throw new ValidationError('jobParameters', `${where}: jobParameters.InventoryRetrievalParameters must be an object.`);
  }
  if (inventory) checkKnownKeys(inventory, INVENTORY_PARAMETER_KEYS, 'jobParameters.InventoryRetrievalParameters', where);
  const params: JobParameters = { ...raw };
  if (raw?.InventoryRetrievalParameters) params.InventoryRetrievalParameters = { ...raw.InventoryRetrievalParameters };
  if (options.description !== undefined) params.Description = options.description;
  if (options.snsTopic !== undefined) params.SNSTopic = options.snsTopic;
  if (params.Description !== undefined) validateDescription(params.Description, 'description');
  if (params.SNSTopic !== undefined) validateId(params.SNSTopic, 'snsTopic');
  return params;
}

function fixed(params: JobParameters, key: 'Type' | 'ArchiveId', value: string, where: string): void {
  if (params[key] !== undefined && params[key] !== value) {
    throw new ValidationError(
      `jobParameters.${key}`,
      `${where} always sends ${key} ${JSON.stringify(value)}; jobParameters.${key} ${JSON.stringify(params[key])} conflicts with it.`,
    );
  }
  params[key] = value;
}

/**
 * The parameters of an `archive-retrieval` job for `archiveId`.
 *
 * @param archiveSize - the archive's size when known, to accept a range ending at its last byte
 */
export function archiveRetrievalParameters(
  archiveId: string,
  options: ArchiveRetrievalOptions | undefined,
  archiveSize?: number,
): JobParameters {
  const where = 'archive.initiateArchiveRetrieval()';
  const opts = checkOptions(options, [...JOB_OPTIONS, 'tier', 'range'], where);
  const params = baseParameters(opts, where);
  fixed(params, 'Type', 'archive-retrieval', where);
  fixed(params, 'ArchiveId', archiveId, where);
  if (opts.tier !== undefined) params.Tier = opts.tier;
  if (params.Tier !== undefined) params.Tier = validateTier(params.Tier);
  if (opts.range !== undefined) params.RetrievalByteRange = validateRetrievalRange(opts.range, archiveSize);
  else if (params.RetrievalByteRange !== undefined) params.RetrievalByteRange = validateRetrievalRange(params.RetrievalByteRange, archiveSize);
  if (params.Format !== undefined || params.InventoryRetrievalParameters !== undefined) {
    throw new ValidationError('jobParameters', `${where}: Format and InventoryRetrievalParameters belong to inventory jobs.`);
  }
  return params;
}

/** The parameters of an `inventory-retrieval` job. */
export function inventoryRetrievalParameters(options: InventoryRetrievalOptions | undefined): JobParameters {
  const where = 'vault.initiateInventoryRetrieval()';
  const opts = checkOptions(options, [...JOB_OPTIONS, 'format', 'startDate', 'endDate', 'limit', 'marker'], where);
  const params = baseParameters(opts, where);
  fixed(params, 'Type', 'inventory-retrieval', where);
  if (params.ArchiveId !== undefined || params.RetrievalByteRange !== undefined || params.Tier !== undefined) {
    throw new ValidationError('jobParameters', `${where}: ArchiveId, RetrievalByteRange and Tier belong to archive retrievals.`);
  }
  if (opts.format !== undefined) params.Format = opts.format;
  if (params.Format !== undefined) params.Format = validateInventoryFormat(params.Format);

  const inventory = { ...params.InventoryRetrievalParameters };
  if (opts.startDate !== undefined) inventory.StartDate = validateDate(opts.startDate, 'startDate');
  else if (inventory.StartDate !== undefined) validateDate(inventory.StartDate, 'startDate');
  if (opts.endDate !== undefined) inventory.EndDate = validateDate(opts.endDate, 'endDate');
  else if (inventory.EndDate !== undefined) validateDate(inventory.EndDate, 'endDate');
  if (inventory.StartDate !== undefined && inventory.EndDate !== undefined && Date.parse(inventory.StartDate) >= Date.parse(inventory.EndDate)) {
    throw new ValidationError('endDate', `endDate (${inventory.EndDate}) must come after startDate (${inventory.StartDate}).`);
  }
  const limit: unknown = opts.limit ?? inventory.Limit;
  if (limit !== undefined) {
    const n = typeof limit === 'string' && /^\d+$/.test(limit) ? Number(limit) : limit;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
      throw new ValidationError('limit', `limit must be a positive integer (the most archives in one inventory), got ${JSON.stringify(limit)}.`);
    }
    inventory.Limit = String(n);
  }
  if (opts.marker !== undefined) inventory.Marker = opts.marker;
  if (inventory.Marker !== undefined) validateId(inventory.Marker, 'marker');
  if (Object.keys(inventory).length > 0) params.InventoryRetrievalParameters = inventory;
  return params;
}
