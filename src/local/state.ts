/**
 * The endpoint's metadata records, as the operation handlers see them. They
 * are stored by `store.ts`.
 *
 * @module
 */

/** A contiguous piece of stored bytes. */
export interface Segment {
  /** Blob key. */
  key: string;
  /** Bytes in the blob. */
  size: number;
}

/** One archive. */
export interface ArchiveRecord {
  /** The archive id. */
  id: string;
  /** The archive description (printable ASCII). */
  description: string;
  /** Creation time, ms since the epoch. */
  created: number;
  /** Size in bytes. */
  size: number;
  /** SHA-256 tree hash of the whole archive. */
  treeHash: string;
  /** The archive's bytes, in order (one per multipart part, or one for UploadArchive). */
  segments: Segment[];
}

/** One uploaded part of a multipart upload. */
export interface PartRecord {
  /** First byte of the part within the archive. */
  start: number;
  /** Bytes in the part. */
  size: number;
  /** The part's tree hash. */
  treeHash: string;
  /** Blob key of the part's bytes. */
  key: string;
}

/** An in-progress multipart upload (its parts are rows of their own). */
export interface UploadRecord {
  /** The upload id. */
  id: string;
  /** Description of the archive to be. */
  description: string;
  /** Part size in bytes (1 MiB x 2^n). */
  partSize: number;
  /** Creation time, ms since the epoch. */
  created: number;
  /** Time of its last Initiate or UploadMultipartPart: an upload idle for 24 h is dropped. */
  lastActivity: number;
}

/** A completed multipart upload, remembered for a while so a retried Complete returns the same archive. */
export interface CompletedUpload {
  /** The completed upload's id. */
  uploadId: string;
  /** The archive it became. */
  archiveId: string;
  /** The archive size. */
  size: number;
  /** The archive tree hash. */
  treeHash: string;
  /** Completion time, ms since the epoch. */
  at: number;
}

/** Inventory retrieval parameters as given and as reported. */
export interface InventoryParams {
  /** Output format. */
  format: 'JSON' | 'CSV';
  /** Archives created at or after this date (ISO 8601), or null. */
  startDate: string | null;
  /** Archives created before this date (ISO 8601), or null. */
  endDate: string | null;
  /** Most archives in the output, as a decimal string, or null. */
  limit: string | null;
  /** Where this page starts, from a previous job's Marker, or null. */
  marker: string | null;
  /** Marker for the next page, when Limit cut the inventory short. */
  nextMarker: string | null;
}

/** A retrieval job. */
export interface JobRecord {
  /** The job id. */
  id: string;
  /** The job kind as DescribeJob reports it. */
  action: 'ArchiveRetrieval' | 'InventoryRetrieval';
  /** The job description, or null. */
  description: string | null;
  /** Creation time, ms since the epoch. */
  created: number;
  /** When the job completes, ms since the epoch on the endpoint's clock. */
  completesAt: number;
  /** Retrieval tier of archive jobs, null for inventories. */
  tier: string | null;
  /** The SNS topic notified on completion, or null. */
  snsTopic: string | null;
  /** Archive jobs: the archive id. */
  archiveId: string | null;
  /** Archive jobs: the whole archive's size. */
  archiveSize: number | null;
  /** Archive jobs: the whole archive's tree hash. */
  archiveTreeHash: string | null;
  /** Inclusive retrieval byte range of an archive job. */
  range: [number, number] | null;
  /** Tree hash of the job output, when it is tree-hash aligned. */
  treeHash: string | null;
  /** The output: bytes `[offset, offset + size)` of the concatenated segments. */
  output: { segments: Segment[]; offset: number; size: number; contentType: string; description: string | null };
  /** Inventory jobs: their parameters. */
  inventory: InventoryParams | null;
  /**
   * The StatusMessage of a job made to fail (fault kind `fail`): it completes
   * `Failed` and has no output. Null or absent (metadata written before the
   * field existed) for a job that succeeds.
   */
  failure?: string | null;
}

/** One inventory line. */
export interface InventoryEntry {
  /** The archive id. */
  ArchiveId: string;
  /** The archive description. */
  ArchiveDescription: string;
  /** Creation date, ISO 8601. */
  CreationDate: string;
  /** Size in bytes. */
  Size: number;
  /** The archive tree hash. */
  SHA256TreeHash: string;
}

/** A vault lock. */
export interface LockRecord {
  /** The lock policy document. */
  policy: string;
  /** InProgress until completed, then Locked for good. */
  state: 'InProgress' | 'Locked';
  /** The id CompleteVaultLock needs. */
  lockId: string;
  /** Initiation time, ms since the epoch. */
  created: number;
  /** InProgress locks expire 24 h after they were initiated. */
  expires: number;
}

/** A vault's daily inventory snapshot ('daily' mode): when it was taken and what it counted. */
export interface SnapshotRecord {
  /** When the snapshot was taken, ms since the epoch. */
  date: number;
  /** Archives in it. */
  count: number;
  /** Their total size in bytes. */
  bytes: number;
}

/**
 * One vault's own record. Its archives, uploads and jobs live in tables of
 * their own (see `store.ts`), so a vault of a million archives costs no more
 * to read than an empty one.
 */
export interface VaultRecord {
  /** The vault name. */
  name: string;
  /** Creation time, ms since the epoch. */
  created: number;
  /** Time of the last archive write or delete. */
  lastWrite: number | null;
  /** 'daily' mode: the last inventory snapshot. */
  snapshot: SnapshotRecord | null;
  /** 'daily' mode: since when changes wait for the next snapshot, or null. */
  pendingSince: number | null;
  /** The access policy document, or null. */
  accessPolicy: string | null;
  /** The notification configuration, or null. */
  notifications: { SNSTopic: string; Events: string[] } | null;
  /** The vault lock, or null. */
  lock: LockRecord | null;
  /** Tags by key. */
  tags: Record<string, string>;
  /** Live archives. */
  archiveCount: number;
  /** Their total size in bytes. */
  archiveBytes: number;
}

/** A provisioned capacity unit. */
export interface CapacityRecord {
  /** The capacity id. */
  id: string;
  /** Purchase time, ms since the epoch. */
  start: number;
  /** Expiry (a month later), ms since the epoch. */
  expires: number;
}

/** Data retrieval policy rules, as the API carries them. */
export interface DataRetrievalPolicy {
  /** One rule: BytesPerHour (with its limit), FreeTier or None. */
  Rules: Array<{ Strategy: string; BytesPerHour?: number }>;
}
