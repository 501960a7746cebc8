/** The shapes the benchmark orchestrator and its client runs exchange (as JSON). */

/** What the orchestrator asks of a client run (bench/client.mjs). */
export interface ClientTask {
  mode:
    | 'ours-upload'
    | 'ours-upload-default'
    | 'sdk-upload'
    | 'ours-download'
    | 'ours-download-default'
    | 'ours-purge'
    | 'sdk-delete-sequential'
    | 'endpoint-upload'
    | 'endpoint-download'
    | 'plain-put';
  endpoint: string;
  vaultName: string;
  file: string;
  size: number;
  partSize: number;
  concurrency: number;
  jobId?: string;
  output?: string;
  /** A file of archive ids, one a line, for the delete modes. */
  idsFile?: string;
}

/** What a client run reports. */
export interface ClientResult {
  seconds: number;
  cpuSeconds: number;
  /** The user-mode part of cpuSeconds (the rest is the kernel's, on behalf of the client). */
  userSeconds?: number;
  maxRssBytes: number;
  checksum?: string;
  archiveId?: string;
  /** Items handled, for the delete modes. */
  count?: number;
  /** The highest concurrency the adaptive pool reached. */
  concurrency?: number;
}
