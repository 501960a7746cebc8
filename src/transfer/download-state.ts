/**
 * The resume record of a file download: a small sidecar next to the
 * `.partial` file listing the chunks already written and verified, with
 * their tree hashes.
 *
 * The record is a claim, not a proof: before a resumed download trusts a
 * chunk, it re-hashes those bytes of the `.partial` file and keeps the chunk
 * only when they still hash to the recorded value (which was itself checked
 * against Glacier's). Bytes lost in a crash, or changed since, are simply
 * fetched again.
 *
 * Format: a first line of JSON identifying the download (job, size, chunk
 * size, tree hash), then one line `INDEX HASH` per verified chunk. Chunks
 * are appended as they verify, so the cost per chunk stays constant however
 * large the archive (a 1 TiB download has 65,536 chunks of 16 MiB). A line
 * torn by a crash is ignored; a record that cannot be read, or that
 * identifies another download, means "start over".
 *
 * @module
 */
import { open, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';

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

const VERSION = 2;

function header(identity: DownloadIdentity): string {
  return `${JSON.stringify({ version: VERSION, jobId: identity.jobId, size: identity.size, chunkSize: identity.chunkSize, treeHash: identity.treeHash ?? null })}\n`;
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
  const claimed = new Map<number, string>();
  let text: string;
  try {
    text = await readFile(sidecarPath(partialPath), 'utf8');
  } catch {
    return claimed;
  }
  const [first, ...lines] = text.split('\n');
  if (first !== header(identity).trimEnd()) return claimed;
  const limit = Math.ceil(identity.size / identity.chunkSize);
  for (const line of lines) {
    const m = /^(\d+) ([0-9a-f]{64})$/.exec(line);
    if (!m) continue;
    const index = Number(m[1]);
    if (index < limit) claimed.set(index, m[2]!);
  }
  return claimed;
}

/** Keeps the sidecar up to date as chunks are verified; appends are queued and never overlap. */
export class DownloadStateWriter {
  readonly #path: string;
  readonly #identity: DownloadIdentity;
  readonly #initial: ReadonlyMap<number, string>;
  #handle: Promise<FileHandle | undefined> | undefined;
  #queue: Promise<void> = Promise.resolve();

  /** Starts a record for `partialPath` with the chunks already verified (written out again, compacted, on first use). */
  constructor(partialPath: string, identity: DownloadIdentity, verified: ReadonlyMap<number, string>) {
    this.#path = sidecarPath(partialPath);
    this.#identity = identity;
    this.#initial = verified;
  }

  /** Records a verified chunk. */
  add(index: number, treeHash: string): void {
    this.#queue = this.#queue.then(async () => {
      const handle = await (this.#handle ??= this.#start());
      // The record is an optimisation: losing a line only means fetching that chunk again on resume.
      await handle?.appendFile(`${index} ${treeHash}\n`).catch(() => undefined);
    });
  }

  /** Waits for pending appends. */
  async flush(): Promise<void> {
    await this.#queue;
  }

  /** Closes the record, leaving it in place for a later resume. */
  async close(): Promise<void> {
    await this.flush();
    const handle = await this.#handle;
    this.#handle = Promise.resolve(undefined);
    await handle?.close().catch(() => undefined);
  }

  /** Closes and deletes the record. */
  async remove(): Promise<void> {
    await this.close();
    await rm(this.#path, { force: true });
  }

  /** Writes the header and the chunks carried over, atomically, then opens the record for appending. */
  async #start(): Promise<FileHandle | undefined> {
    try {
      const lines = [header(this.#identity), ...[...this.#initial].map(([i, h]) => `${i} ${h}\n`)].join('');
      const temp = `${this.#path}.tmp`;
      await writeFile(temp, lines);
      await rename(temp, this.#path);
      return await open(this.#path, 'a');
    } catch {
      return undefined;
    }
  }
}
