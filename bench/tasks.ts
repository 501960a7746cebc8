/** The shapes the benchmark orchestrator and its client runs exchange (as JSON). */

/** What the orchestrator asks of a client run (bench/client.mjs). */
export interface ClientTask {
  mode: 'ours-upload' | 'sdk-upload' | 'ours-download' | 'endpoint-upload' | 'endpoint-download' | 'plain-put';
  endpoint: string;
  vaultName: string;
  file: string;
  size: number;
  partSize: number;
  concurrency: number;
  jobId?: string;
  output?: string;
}

/** What a client run reports. */
export interface ClientResult {
  seconds: number;
  cpuSeconds: number;
  maxRssBytes: number;
  checksum?: string;
  archiveId?: string;
}
