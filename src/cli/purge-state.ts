/**
 * The purge state file: an append-only log (one JSON object per line) that
 * lets an interrupted `glacier purge` continue where it stopped, without
 * waiting hours for another inventory.
 *
 * The first line names the vault and the inventory job; each later line is
 * either `{"deleted": ID}` or an update such as `{"inventoryJobId": ID}`. A
 * torn last line (from a crash mid-write) is ignored; deleting an archive
 * twice is harmless, because DeleteArchive is idempotent.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What a purge remembers between runs. */
export interface PurgeState {
  /** Account id the purge runs under. */
  account: string;
  /** The vault being emptied. */
  vault: string;
  /** Where the vault lives (endpoint URL or region), so states never mix. */
  where: string;
  /** The inventory job whose archive list is being deleted. */
  inventoryJobId: string | undefined;
  /** Archive ids already deleted. */
  deleted: Set<string>;
  /** When the purge was first started. */
  startedAt: string;
}

/** The default state file of a vault's purge, under `$XDG_STATE_HOME/glacier-resource/`. */
export function defaultStatePath(account: string, vault: string, where: string): string {
  const base = process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state');
  const key = createHash('sha256').update(`${where}\n${account}`).digest('hex').slice(0, 10);
  return join(base, 'glacier-resource', `purge-${vault}-${key}.jsonl`);
}

/** Reads a state file; `undefined` when there is none. */
export async function readState(path: string): Promise<PurgeState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let state: PurgeState | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a torn final line
    }
    if (record.type === 'glacier-purge') {
      state = {
        account: String(record.account),
        vault: String(record.vault),
        where: String(record.where),
        inventoryJobId: typeof record.inventoryJobId === 'string' ? record.inventoryJobId : undefined,
        deleted: new Set(),
        startedAt: String(record.startedAt),
      };
    } else if (state && typeof record.deleted === 'string') {
      state.deleted.add(record.deleted);
    } else if (state && typeof record.inventoryJobId === 'string') {
      state.inventoryJobId = record.inventoryJobId;
    }
  }
  return state;
}

/** Appends to a state file, batching writes; `flush()` makes them durable. */
export class StateLog {
  readonly path: string;
  #pending: string[] = [];
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  private constructor(path: string) {
    this.path = path;
  }

  /** Starts a new state file (replacing any old one) for `state`. */
  static async create(path: string, state: Omit<PurgeState, 'deleted'>): Promise<StateLog> {
    await mkdir(dirname(path), { recursive: true });
    const header = { type: 'glacier-purge', version: 1, ...state };
    await writeFile(path, `${JSON.stringify(header)}\n`, { mode: 0o600 });
    return new StateLog(path);
  }

  /** Continues an existing state file. */
  static open(path: string): StateLog {
    return new StateLog(path);
  }

  /** Records that an archive is gone. */
  deleted(archiveId: string): void {
    this.#append({ deleted: archiveId });
  }

  /** Records a replacement inventory job (the old one expired). */
  inventoryJob(jobId: string): void {
    this.#append({ inventoryJobId: jobId });
  }

  #append(record: object): void {
    this.#pending.push(JSON.stringify(record));
    this.#timer ??= setTimeout(() => void this.flush(), 250);
  }

  /** Writes everything recorded so far. */
  async flush(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const lines = this.#pending;
    this.#pending = [];
    this.#writing = this.#writing.then(() => (lines.length > 0 ? appendFile(this.path, `${lines.join('\n')}\n`) : undefined));
    await this.#writing;
  }

  /** Removes the state file (the purge is complete). */
  async remove(): Promise<void> {
    await this.flush();
    await rm(this.path, { force: true });
  }
}
