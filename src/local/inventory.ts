/**
 * Vault inventories in AWS's JSON and CSV formats, with the
 * InventoryRetrievalParameters filters (StartDate inclusive, EndDate
 * exclusive) and Limit/Marker paging.
 *
 * @module
 */
import { TreeHash } from '../transfer/tree-hash.js';
import { inventoryEntry, sortedArchives, type Backend } from './backend.js';
import { invalidParameter } from './errors.js';
import { encodeMarker } from './http.js';
import type { InventoryEntry, InventoryParams, VaultRecord } from './state.js';

/** A generated inventory document. */
export interface InventoryDocument {
  /** The JSON or CSV bytes. */
  data: Buffer;
  /** Their tree-hash leaf digests. */
  leaves: Buffer;
  /** Marker of the next page when Limit cut the list short, else null. */
  nextMarker: string | null;
}

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

/**
 * The inventory of a vault for one job: the live archive list ('live' mode)
 * or the last daily snapshot ('daily' mode), filtered and paged by `params`.
 * Returns undefined in 'daily' mode while no inventory exists yet.
 */
export function buildInventory(b: Backend, vault: VaultRecord, params: InventoryParams): InventoryDocument | undefined {
  let entries: InventoryEntry[];
  let date: number;
  if (b.settings.inventory === 'daily') {
    if (!vault.snapshot) return undefined;
    entries = vault.snapshot.entries;
    date = vault.snapshot.date;
  } else {
    entries = sortedArchives(vault).map(inventoryEntry);
    date = vault.lastWrite ?? b.now();
  }
  const start = params.startDate !== null ? Date.parse(params.startDate) : -Infinity;
  const end = params.endDate !== null ? Date.parse(params.endDate) : Infinity;
  let selected = entries.filter((e) => {
    const created = Date.parse(e.CreationDate);
    return created >= start && created < end;
  });
  if (params.marker !== null) {
    const after = Buffer.from(params.marker, 'base64url').toString('utf8');
    selected = selected.filter((e) => markerKey(e) >= after);
  }
  let nextMarker: string | null = null;
  if (params.limit !== null) {
    const limit = Number(params.limit);
    const next = selected[limit];
    if (next !== undefined) nextMarker = encodeMarker(markerKey(next));
    selected = selected.slice(0, limit);
  }
  const vaultArn = b.vaultArn(vault.name);
  let text: string;
  if (params.format === 'CSV') {
    const lines = [CSV_HEADER];
    for (const e of selected) {
      lines.push([e.ArchiveId, csvQuote(e.ArchiveDescription), e.CreationDate, String(e.Size), e.SHA256TreeHash].join(','));
    }
    text = `${lines.join('\n')}\n`;
  } else {
    text = JSON.stringify({ VaultARN: vaultArn, InventoryDate: inventoryDate(date), ArchiveList: selected });
  }
  const data = Buffer.from(text, 'utf8');
  const leaves = Buffer.concat(new TreeHash().update(data).leafDigests());
  return { data, leaves, nextMarker };
}
