/**
 * The endpoint's metadata model and its durable storage.
 *
 * Metadata (vaults, archives, uploads, jobs, settings) is kept in memory and
 * written as one JSON document, atomically (temp file, fsync, rename, fsync of
 * the directory), after every change and before the change is acknowledged.
 * Concurrent changes share one write ("group commit").
 *
 * @module
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDir, writeFileAtomic } from './blobs.js';

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

/** An in-progress multipart upload. */
export interface UploadRecord {
  /** The upload id. */
  id: string;
  /** Description of the archive to be. */
  description: string;
  /** Part size in bytes (1 MiB x 2^n). */
  partSize: number;
  /** Creation time, ms since the epoch. */
  created: number;
  /** Parts by start byte. */
  parts: Map<number, PartRecord>;
}

/** A finished multipart upload, remembered for a while so a retried Complete returns the same archive. */
export interface CompletedUpload {
  /** The finished upload's id. */
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

/** A vault's inventory snapshot ('daily' mode). */
export interface InventorySnapshot {
  /** When the snapshot was taken, ms since the epoch. */
  date: number;
  /** The archives as of that time. */
  entries: InventoryEntry[];
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

/** One vault and everything in it. */
export interface VaultRecord {
  /** The vault name. */
  name: string;
  /** Creation time, ms since the epoch. */
  created: number;
  /** Archives by id. */
  archives: Map<string, ArchiveRecord>;
  /** Ids of recently deleted archives and when they were deleted (DeleteArchive stays idempotent for a day). */
  deletedArchives: Map<string, number>;
  /** In-progress multipart uploads by id. */
  uploads: Map<string, UploadRecord>;
  /** Recently completed uploads by id. */
  completedUploads: Map<string, CompletedUpload>;
  /** Recently aborted upload ids and when they were aborted (a repeated abort succeeds for a while). */
  abortedUploads: Map<string, number>;
  /** Jobs by id, until 24 h after completion. */
  jobs: Map<string, JobRecord>;
  /** Time of the last archive write or delete. */
  lastWrite: number | null;
  /** 'daily' mode: the last inventory, and since when changes wait for the next one. */
  snapshot: InventorySnapshot | null;
  /** 'daily' mode: since when changes wait for the next snapshot, or null. */
  pendingSince: number | null;
  /** The access policy document, or null. */
  accessPolicy: string | null;
  /** The notification configuration, or null. */
  notifications: { SNSTopic: string; Events: string[] } | null;
  /** The vault lock, or null. */
  lock: LockRecord | null;
  /** Tags by key. */
  tags: Map<string, string>;
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

/** The whole service state of one account. */
export interface ServiceState {
  /** Vaults by name. */
  vaults: Map<string, VaultRecord>;
  /** The account's data retrieval policy. */
  dataRetrievalPolicy: DataRetrievalPolicy;
  /** Purchased provisioned capacity units. */
  capacity: CapacityRecord[];
}

/** A fresh, empty state. */
export function emptyState(): ServiceState {
  return { vaults: new Map(), dataRetrievalPolicy: { Rules: [{ Strategy: 'FreeTier' }] }, capacity: [] };
}

/** A new empty vault record. */
export function newVault(name: string, created: number): VaultRecord {
  return {
    name,
    created,
    archives: new Map(),
    deletedArchives: new Map(),
    uploads: new Map(),
    completedUploads: new Map(),
    abortedUploads: new Map(),
    jobs: new Map(),
    lastWrite: null,
    snapshot: null,
    pendingSince: null,
    accessPolicy: null,
    notifications: null,
    lock: null,
    tags: new Map(),
  };
}

const FORMAT_VERSION = 1;

/** Serialises the state to JSON (Maps become arrays). */
export function serializeState(state: ServiceState): string {
  return JSON.stringify({
    version: FORMAT_VERSION,
    dataRetrievalPolicy: state.dataRetrievalPolicy,
    capacity: state.capacity,
    vaults: [...state.vaults.values()].map((v) => ({
      ...v,
      archives: [...v.archives.values()],
      deletedArchives: [...v.deletedArchives.entries()],
      uploads: [...v.uploads.values()].map((u) => ({ ...u, parts: [...u.parts.values()] })),
      completedUploads: [...v.completedUploads.values()],
      abortedUploads: [...v.abortedUploads.entries()],
      jobs: [...v.jobs.values()],
      tags: [...v.tags.entries()],
    })),
  });
}

/** Parses what {@link serializeState} wrote. Throws on anything else. */
export function deserializeState(text: string): ServiceState {
  const raw = JSON.parse(text) as {
    version: number;
    dataRetrievalPolicy: DataRetrievalPolicy;
    capacity: CapacityRecord[];
    vaults: Array<
      Omit<VaultRecord, 'archives' | 'deletedArchives' | 'uploads' | 'completedUploads' | 'abortedUploads' | 'jobs' | 'tags'> & {
        archives: ArchiveRecord[];
        deletedArchives: Array<[string, number]>;
        uploads: Array<Omit<UploadRecord, 'parts'> & { parts: PartRecord[] }>;
        completedUploads: CompletedUpload[];
        abortedUploads?: Array<[string, number]>;
        jobs: JobRecord[];
        tags: Array<[string, string]>;
      }
    >;
  };
  if (raw.version !== FORMAT_VERSION) throw new Error(`Unsupported metadata format version ${String(raw.version)}.`);
  const state: ServiceState = { vaults: new Map(), dataRetrievalPolicy: raw.dataRetrievalPolicy, capacity: raw.capacity };
  for (const v of raw.vaults) {
    state.vaults.set(v.name, {
      ...v,
      archives: new Map(v.archives.map((a) => [a.id, a])),
      deletedArchives: new Map(v.deletedArchives),
      uploads: new Map(v.uploads.map((u) => [u.id, { ...u, parts: new Map(u.parts.map((p) => [p.start, p])) }])),
      completedUploads: new Map(v.completedUploads.map((c) => [c.uploadId, c])),
      abortedUploads: new Map(v.abortedUploads ?? []),
      jobs: new Map(v.jobs.map((j) => [j.id, j])),
      tags: new Map(v.tags),
    });
  }
  return state;
}

/** The name of the metadata file inside the data directory. */
export const METADATA_FILE = 'metadata.json';

/** Reads the metadata document of a data directory, or undefined when there is none yet. */
export async function loadMetadata(dataDir: string): Promise<ServiceState | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, METADATA_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return deserializeState(text);
}

/**
 * Makes changes durable. `commit()` resolves once a write that started after
 * the call has reached the disk; concurrent callers share writes.
 */
export class Committer {
  readonly #dataDir: string | undefined;
  readonly #serialize: () => string;
  #writing = false;
  #waiting: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];

  /**
   * @param dataDir - The data directory; undefined in memory mode (commits resolve at once).
   * @param serialize - Produces the document to write.
   */
  constructor(dataDir: string | undefined, serialize: () => string) {
    this.#dataDir = dataDir;
    this.#serialize = serialize;
  }

  /** Prepares the data directory. */
  static async prepare(dataDir: string): Promise<void> {
    await mkdir(join(dataDir, 'tmp'), { recursive: true });
  }

  /** Resolves when every change made before the call is durable. */
  commit(): Promise<void> {
    if (this.#dataDir === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#writing || this.#waiting.length === 0) return;
    const batch = this.#waiting;
    this.#waiting = [];
    this.#writing = true;
    const dir = this.#dataDir!;
    const text = this.#serialize();
    void (async () => {
      try {
        await writeFileAtomic(join(dir, 'tmp'), join(dir, METADATA_FILE), text);
        await syncDir(dir);
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err);
      } finally {
        this.#writing = false;
        this.#kick();
      }
    })();
  }
}
