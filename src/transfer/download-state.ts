/**
 * The resume record of a file download: a small JSON sidecar next to the
 * `.partial` file listing the chunks already written and verified, with
 * their tree hashes.
 *
 * The record is a claim, not a proof: before a resumed download trusts a
 * chunk, it re-hashes those bytes of the `.partial` file and keeps the chunk
 * only when they still hash to the recorded value (which was itself checked
 * against Glacier's). Bytes lost in a crash, or changed since, are simply
 * fetched again. The sidecar is replaced atomically (write, then rename), so
 * it is either the old or the new version, and an unreadable one means
 * "start over".
 *
 * @module
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';

/** What identifies a download, so a record is never applied to other output. */
export interface DownloadIdentity {
  /** The job whose output this is. */
  readonly jobId: string;
  /** The output's length in bytes. */
  readonly size: number;
  /** The chunk size the record's indices refer to. */
  readonly chunkSize: number;
  /** The job's tree hash of the whole output, when it has one. */
  readonly treeHash: string | undefined;
}

interface StateFile extends DownloadIdentity {
  readonly version: 1;
  /** Verified chunks: index → tree hash. */
  readonly chunks: Record<string, string>;
}

/** The sidecar's path for a `.partial` file. */
export function sidecarPath(partialPath: string): string {
  return `${partialPath}.json`;
}

/**
 * Reads the record of earlier progress. Returns the claimed chunk hashes by
 * index, or an empty map when there is no record, it cannot be read, or it
 * belongs to another job, size, chunk size or tree hash.
 */
export async function readDownloadState(partialPath: string, identity: DownloadIdentity): Promise<Map<number, string>> {
  let parsed: Partial<StateFile>;
  try {
    parsed = JSON.parse(await readFile(sidecarPath(partialPath), 'utf8')) as Partial<StateFile>;
  } catch {
    return new Map();
  }
  if (
    parsed.version !== 1 ||
    parsed.jobId !== identity.jobId ||
    parsed.size !== identity.size ||
    parsed.chunkSize !== identity.chunkSize ||
    (parsed.treeHash ?? undefined) !== identity.treeHash ||
    typeof parsed.chunks !== 'object' ||
    parsed.chunks === null
  ) {
    return new Map();
  }
  const claimed = new Map<number, string>();
  for (const [key, hash] of Object.entries(parsed.chunks)) {
    const index = Number(key);
    if (Number.isSafeInteger(index) && index >= 0 && typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash)) claimed.set(index, hash);
  }
  return claimed;
}

/** Keeps the sidecar up to date as chunks are verified; writes are coalesced and never overlap. */
export class DownloadStateWriter {
  readonly #path: string;
  readonly #identity: DownloadIdentity;
  readonly #chunks = new Map<number, string>();
  #writing: Promise<void> | undefined;
  #dirty = false;

  /** Starts a record for `partialPath`, with the chunks already verified. */
  constructor(partialPath: string, identity: DownloadIdentity, verified: ReadonlyMap<number, string>) {
    this.#path = sidecarPath(partialPath);
    this.#identity = identity;
    for (const [i, h] of verified) this.#chunks.set(i, h);
  }

  /** Records a verified chunk and schedules a write. */
  add(index: number, treeHash: string): void {
    this.#chunks.set(index, treeHash);
    this.#dirty = true;
    this.#writing ??= this.#drain();
  }

  /** Waits for pending writes. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Deletes the sidecar. */
  async remove(): Promise<void> {
    await this.flush();
    await rm(this.#path, { force: true });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#dirty) {
        this.#dirty = false;
        const state: StateFile = {
          version: 1,
          ...this.#identity,
          chunks: Object.fromEntries([...this.#chunks].map(([i, h]) => [String(i), h])),
        };
        const temp = `${this.#path}.tmp`;
        await writeFile(temp, JSON.stringify(state));
        await rename(temp, this.#path);
      }
    } catch {
      // The record is an optimisation: losing it only means re-fetching on resume.
    } finally {
      this.#writing = undefined;
    }
  }
}
