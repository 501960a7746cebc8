/**
 * Vault inventories in AWS's JSON and CSV formats, with the
 * InventoryRetrievalParameters filters (StartDate inclusive, EndDate
 * exclusive) and Limit/Marker paging.
 *
 * @module
 */
import { TreeHash } from '../transfer/tree-hash.js';
import { inventoryEntry, type Backend } from './backend.js';
import { invalidParameter } from './errors.js';
import { encodeMarker } from './http.js';
import type { InventoryEntry, InventoryParams, VaultRecord } from './state.js';

/** CSV header line of an inventory. */
export const CSV_HEADER = 'ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash';

/** Quotes a CSV field as RFC 4180 does: in double quotes, with inner quotes doubled. */
function csvQuote(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** Formats a time as the inventory's InventoryDate (ISO-8601 UTC, whole seconds, like AWS). */
function inventoryDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function markerKey(e: InventoryEntry): string {
  return `${e.CreationDate}|${e.ArchiveId}`;
}

/** Parses an ISO-8601 date parameter (400 on anything else). */
export function parseIsoDate(value: string, name: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw invalidParameter(`Invalid ${name}: ${value}. Expected an ISO 8601 date such as 2013-03-20T17:03:43Z.`);
  return ms;
}

/** Archives read from the store per batch; the event loop runs between batches. */
const BATCH = 2000;
/** Bytes gathered before each write to the blob. */
const WRITE_CHUNK = 1024 * 1024;

/** Decodes an inventory Marker (`base64url(CreationDate|ArchiveId)`) to a position. */
function markerPosition(marker: string): { created: number; id: string } {
  const text = Buffer.from(marker, 'base64url').toString('utf8');
  const bar = text.indexOf('|');
  const created = bar > 0 ? Date.parse(text.slice(0, bar)) : NaN;
  if (Number.isNaN(created)) throw invalidParameter(`Invalid Marker: ${marker}`);
  return { created, id: text.slice(bar + 1) };
}

/** A stored inventory document. */
export interface StoredInventory {
  /** Blob key of the JSON or CSV bytes. */
  key: string;
  /** Their size. */
  size: number;
  /** Marker of the next page when Limit cut the list short, else null. */
  nextMarker: string | null;
}

/**
 * Writes the inventory of a vault for one job to a new blob, streaming: the
 * live archive list as of now ('live' mode) or the last daily snapshot
 * ('daily' mode), filtered and paged by `params`. The archives are read from
 * the store in batches, in (creation date, id) order, and never held all in
 * memory. Resolves undefined in 'daily' mode while no inventory exists yet.
 */
export async function writeInventory(b: Backend, vault: VaultRecord, params: InventoryParams): Promise<StoredInventory | undefined> {
  let asOf: number;
  let date: number;
  if (b.settings.inventory === 'daily') {
    if (!vault.snapshot) return undefined;
    asOf = date = vault.snapshot.date;
  } else {
    asOf = b.now();
    date = vault.lastWrite ?? asOf;
  }
  const query = {
    asOf,
    from: params.startDate !== null ? Date.parse(params.startDate) : -Infinity,
    to: params.endDate !== null ? Date.parse(params.endDate) : Infinity,
    after: params.marker !== null ? markerPosition(params.marker) : null,
  };
  const limit = params.limit !== null ? Number(params.limit) : Infinity;
  const csv = params.format === 'CSV';
  const writer = await b.blobs.createWriter();
  const tree = new TreeHash();
  let pending: string[] = [];
  let pendingBytes = 0;
  let size = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const data = Buffer.from(pending.join(''), 'utf8');
    pending = [];
    pendingBytes = 0;
    tree.update(data);
    size += data.length;
    await writer.write(data);
  };
  const emit = async (text: string) => {
    pending.push(text);
    pendingBytes += text.length;
    if (pendingBytes >= WRITE_CHUNK) await flush();
  };
  try {
    await emit(csv ? `${CSV_HEADER}\n` : `{"VaultARN":${JSON.stringify(b.vaultArn(vault.name))},"InventoryDate":"${inventoryDate(date)}","ArchiveList":[`);
    let written = 0;
    let nextMarker: string | null = null;
    for (;;) {
      const want = Math.min(BATCH, limit - written + 1);
      const rows = b.store.inventoryPage(vault.name, query, want);
      for (const row of rows) {
        const e = inventoryEntry(row);
        if (written === limit) {
          nextMarker = encodeMarker(markerKey(e));
          break;
        }
        if (csv) await emit(`${[e.ArchiveId, csvQuote(e.ArchiveDescription), e.CreationDate, String(e.Size), e.SHA256TreeHash].join(',')}\n`);
        else await emit(`${written > 0 ? ',' : ''}${JSON.stringify(e)}`);
        written++;
      }
      const last = rows[rows.length - 1];
      if (nextMarker !== null || last === undefined || rows.length < want) break;
      query.after = { created: last.created, id: `${last.id}\u0000` };
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (!csv) await emit(']}');
    await flush();
    const key = await writer.commit(Buffer.concat(tree.leafDigests()));
    return { key, size, nextMarker };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
