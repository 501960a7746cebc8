/**
 * File names from archive descriptions. Glacier keeps no file names: the
 * tools that uploaded the archives put them in the description, each in its
 * own format. {@link decodeDescription} reads every format the tools are
 * known to write; {@link safeRelativePath} makes any decoded path safe to
 * write under a target directory; {@link autoNames} names a whole plan, with
 * deterministic suffixes on collisions.
 *
 * | format | description written | decoded |
 * |---|---|---|
 * | `mt2` | mt-aws-glacier ≥ 0.85: `mt2 ` + base64url(JSON `{"filename","mtime"}`) | path, mtime |
 * | `mt1` | mt-aws-glacier 0.80-0.84: `mt1 ` + base64url of the JSON encoded twice (Latin-1 read as UTF-8) | path, mtime |
 * | `fastglacier` | FastGlacier 2-4: `<m><v>V</v><p>BASE64(path)</p><lm>DATE</lm></m>` | path, mtime |
 * | `fastglacier-v1` | FastGlacier 1: `<ArchiveMetadata><Path>BASE64(path)</Path></ArchiveMetadata>` | path |
 * | `cloudberry` | CloudBerry: JSON `{"Path","UTCDateModified"}` (`path` too, possibly encoded twice) | path, mtime |
 * | `plain` | glacier-cli, glacier-cmd, scripts: the path itself | path |
 * | `unknown` | empty, or a known format that does not decode | — (the archive id is used) |
 *
 * Base64 paths are decoded as UTF-8. A single `\` is read as `/`.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { InventoryArchive } from '../transfer/inventory.js';
import { resolve, sep } from 'node:path';

/** The folder inside the target that holds the ledger and files being downloaded. */
export const EXPORT_STATE_DIR = '.glacier-export';

/** A name chosen for an archive: a safe path relative to the target, and a modification time if known. */
export interface ArchiveName {
  /** Relative path (no `..`, not absolute). */
  path: string;
  /** Modification time to restore, ms since the epoch. */
  mtime?: number;
}

/**
 * Chooses the names of a plan's archives. It is given the archives one by
 * one, in inventory order, and must give each a name unique in the plan; a
 * namer may keep state (the names given so far), so each plan makes a new one.
 */
export interface ArchiveNamer {
  /** The name of the next archive. */
  name(archive: InventoryArchive): ArchiveName;
}

/** A namer that names every archive by its id. */
export function idNames(): ArchiveNamer {
  return { name: (a) => ({ path: a.archiveId }) };
}

/** The path of `name` under `to`, or undefined when it would leave `to` or enter the export's own folder. */
export function placeUnder(to: string, name: string): string | undefined {
  const path = resolve(to, name);
  if (!path.startsWith(to + sep)) return undefined;
  const first = path.slice(to.length + 1).split(sep)[0];
  return first === EXPORT_STATE_DIR ? undefined : path;
}

/** The description formats {@link decodeDescription} recognises. */
export type DescriptionFormat = 'mt2' | 'mt1' | 'fastglacier' | 'fastglacier-v1' | 'cloudberry' | 'plain' | 'unknown';

/** What a description says. */
export interface DecodedDescription {
  /** The file's path as the uploading tool gave it (not yet made safe), or undefined. */
  path: string | undefined;
  /** The file's modification time, when the format carries one. */
  mtime?: Date;
  /** The format recognised. */
  format: DescriptionFormat;
}

/** Parses `YYYYMMDDTHHMMSSZ`. */
function compactDate(text: unknown): Date | undefined {
  const m = typeof text === 'string' ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text) : null;
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** Base64 (or base64url) to a UTF-8 string; undefined when it is not base64 or not UTF-8. */
function base64Text(text: string, url = false): string | undefined {
  const clean = text.trim();
  if (clean === '' || !(url ? /^[A-Za-z0-9_-]+={0,2}$/ : /^[A-Za-z0-9+/]+={0,2}$/).test(clean)) return undefined;
  const bytes = Buffer.from(clean, url ? 'base64url' : 'base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function jsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    let value: unknown = JSON.parse(text);
    if (typeof value === 'string') value = JSON.parse(value); // encoded twice
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Reads a single `\` as a path separator (Windows paths); a doubled `\\` stays one backslash. */
function slashes(path: string): string {
  return path.replace(/\\\\|\\/g, (m) => (m === '\\' ? '/' : '\\'));
}

function found(path: unknown, format: DescriptionFormat, mtime?: Date): DecodedDescription {
  if (typeof path !== 'string' || path.trim() === '') return { path: undefined, format: 'unknown' };
  return { path: slashes(path), format, ...(mtime ? { mtime } : {}) };
}

const UNKNOWN: DecodedDescription = { path: undefined, format: 'unknown' };

/** Decodes an archive description into the file path (and modification time) the uploading tool recorded. */
export function decodeDescription(description: string): DecodedDescription {
  const text = description.trim();
  if (text === '') return UNKNOWN;
  const mt = /^mt([12]) ([A-Za-z0-9_-]+)$/.exec(text);
  if (mt) {
    let json = base64Text(mt[2]!, true);
    if (json !== undefined && mt[1] === '1') json = Buffer.from(json, 'latin1').toString('utf8');
    const meta = jsonObject(json);
    return meta ? found(meta.filename, mt[1] === '2' ? 'mt2' : 'mt1', compactDate(meta.mtime)) : UNKNOWN;
  }
  if (/^mt[12] /.test(text)) return UNKNOWN;
  const m = /<m>([\s\S]*)<\/m>/.exec(text);
  if (m) {
    const p = /<p>([\s\S]*?)<\/p>/.exec(m[1]!);
    const lm = /<lm>([\s\S]*?)<\/lm>/.exec(m[1]!);
    return found(p ? base64Text(p[1]!) : undefined, 'fastglacier', compactDate(lm?.[1]?.trim()));
  }
  const v1 = /<ArchiveMetadata>[\s\S]*?<Path>([\s\S]*?)<\/Path>[\s\S]*<\/ArchiveMetadata>/.exec(text);
  if (v1) return found(base64Text(v1[1]!), 'fastglacier-v1');
  if (/^\{[\s\S]*\}$/.test(text)) {
    const meta = jsonObject(text);
    if (meta && ('Path' in meta || 'path' in meta)) return found(meta.Path ?? meta.path, 'cloudberry', compactDate(meta.UTCDateModified));
  }
  if (/^<(m|ArchiveMetadata)>/.test(text)) return UNKNOWN; // a known format, broken
  return found(text, 'plain');
}

/** Most bytes of one path segment (Linux, macOS and Windows file systems all allow 255). */
const MAX_SEGMENT_BYTES = 255;
/** Most bytes of a whole relative path. */
const MAX_PATH_BYTES = 3072;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/** Shortens a segment to the byte limit, keeping its extension and adding a hash of the whole, so distinct long names stay distinct. */
function fitSegment(segment: string): string {
  if (Buffer.byteLength(segment) <= MAX_SEGMENT_BYTES) return segment;
  const dot = segment.lastIndexOf('.');
  const ext = dot > 0 && segment.length - dot <= 16 ? segment.slice(dot) : '';
  const tail = `~${shortHash(segment)}${ext}`;
  let head = segment.slice(0, segment.length - ext.length);
  while (Buffer.byteLength(head) + Buffer.byteLength(tail) > MAX_SEGMENT_BYTES) head = head.slice(0, -1);
  // Never end in half a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return head + tail;
}

/**
 * Makes a decoded path safe to place under a target directory: relative,
 * with no `.` or `..` segment (they are dropped, never followed), no drive
 * letter or UNC prefix, no NUL or control character (each becomes `_`),
 * no empty segment, each segment at most 255 bytes of UTF-8 and the whole at
 * most 3 KiB (shortened deterministically, with a hash). Returns undefined
 * when nothing is left.
 */
export function safeRelativePath(path: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  const cleaned = path.normalize('NFC').replace(/[\u0000-\u001f\u007f]/g, '_');
  const segments = cleaned
    .split('/')
    .map((s) => s.trim())
    .filter((s, i) => s !== '' && s !== '.' && s !== '..' && !(i === 0 && /^[A-Za-z]:$/.test(s)))
    .map(fitSegment);
  if (segments.length === 0) return undefined;
  let result = segments.join('/');
  if (Buffer.byteLength(result) > MAX_PATH_BYTES) result = `long-paths/${shortHash(result)}/${segments.at(-1)!}`;
  return result;
}

/** How many collisions an {@link AutoNamer} keeps as examples (it counts them all). */
export const COLLISION_EXAMPLES = 1000;

/** A copy of a string that holds no reference to a larger one (a parser's chunk) it was sliced from. */
function detached(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** A name collision resolved by a suffix. */
export interface NameCollision {
  /** The archive that got the suffix. */
  archiveId: string;
  /** The name it wanted. */
  wanted: string;
  /** The name it got. */
  given: string;
}

/** The namer of {@link autoNames}, with what it saw. */
export interface AutoNamer extends ArchiveNamer {
  /** How many names were taken already and got a suffix. */
  readonly collisionCount: number;
  /** The first {@link COLLISION_EXAMPLES} of them. */
  readonly collisions: NameCollision[];
  /** Archives whose description did not decode (named `unnamed/<archive id>`). */
  readonly undecodable: number;
  /** Archives per description format. */
  readonly formats: Record<DescriptionFormat, number>;
}

/**
 * Names archives from their descriptions: decoded, made safe, and
 * `unnamed/<archive id>` when nothing decodes. A name already given (compared
 * case-insensitively, so that the files also fit a case-insensitive file
 * system), or one that a file and a folder would share, gets the suffix
 * `~` + the first 8 hex digits of the SHA-256 of the archive id, before the
 * extension: it depends only on the archive, so every run and every worker
 * that reads the same inventory gives the same names. The names given are
 * kept in memory as short hashes (tens of bytes each). `pathOf` replaces the decoding of
 * descriptions (the paths it gives are made safe and de-duplicated the same way).
 */
export function autoNames(pathOf: (archive: InventoryArchive) => DecodedDescription = (a) => decodeDescription(a.archiveDescription)): AutoNamer {
  // Names are remembered as 48-bit hashes of their lower-case form: a few
  // bytes each instead of the whole string, so a million names fit in tens of
  // MB. Two names whose hashes meet (odds about 1 in 10^8 at a million) only
  // give one of them a suffix it did not need: nothing is ever overwritten.
  const files = new Set<number>();
  const folders = new Set<number>();
  const h = (key: string) => createHash('sha1').update(key).digest().readUIntBE(0, 6);
  const collisions: NameCollision[] = [];
  let collisionCount = 0;
  const formats = { mt2: 0, mt1: 0, fastglacier: 0, 'fastglacier-v1': 0, cloudberry: 0, plain: 0, unknown: 0 } as Record<DescriptionFormat, number>;
  let undecodable = 0;
  /** The index of the first segment of `path` that clashes with a name given already, or -1. */
  const clash = (path: string): number => {
    const parts = path.toLowerCase().split('/');
    for (let i = 1; i < parts.length; i++) if (files.has(h(parts.slice(0, i).join('/')))) return i - 1;
    const key = h(parts.join('/'));
    return files.has(key) || folders.has(key) ? parts.length - 1 : -1;
  };
  const take = (path: string) => {
    const parts = path.toLowerCase().split('/');
    files.add(h(parts.join('/')));
    for (let i = 1; i < parts.length; i++) folders.add(h(parts.slice(0, i).join('/')));
  };
  /** `path` with `suffix` added to its segment `at` (before the extension, on the last segment). */
  const suffixed = (path: string, at: number, suffix: string): string => {
    const parts = path.split('/');
    const segment = parts[at]!;
    const dot = at === parts.length - 1 ? segment.lastIndexOf('.') : -1;
    const cut = dot > 0 ? dot : segment.length;
    parts[at] = `${segment.slice(0, cut)}${suffix}${segment.slice(cut)}`;
    return parts.join('/');
  };
  return {
    collisions,
    get collisionCount() {
      return collisionCount;
    },
    formats,
    get undecodable() {
      return undecodable;
    },
    name(a: InventoryArchive): ArchiveName {
      const decoded = pathOf(a);
      formats[decoded.format]++;
      let path = decoded.path === undefined ? undefined : safeRelativePath(decoded.path);
      if (path === undefined) {
        undecodable++;
        path = `unnamed/${a.archiveId}`;
      }
      let given = path;
      const tag = `~${shortHash(a.archiveId)}`;
      for (let n = 1, at = clash(given); at >= 0; n++, at = clash(given)) given = suffixed(given, at, n === 1 ? tag : `${tag}-${n}`);
      if (given !== path && collisionCount++ < COLLISION_EXAMPLES) collisions.push({ archiveId: detached(a.archiveId), wanted: detached(path), given: detached(given) });
      take(given);
      return { path: given, ...(decoded.mtime ? { mtime: decoded.mtime.getTime() } : {}) };
    },
  };
}
