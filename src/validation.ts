/**
 * Glacier's input rules, checked before any request so that bad input ends in
 * a {@link ValidationError} that says what to do, not in a raw 400 (or, for
 * descriptions, a crash inside the HTTP stack).
 *
 * @module
 */
import { ValidationError } from './errors.js';
import { MiB, isMegabyteAligned, isValidPartSize } from './transfer/tree-hash.js';

/** The largest part size Glacier accepts: 4 GiB. */
export const MAX_PART_SIZE = 4096 * MiB;
/** The most parts one multipart upload may have. */
export const MAX_PARTS = 10_000;
/** The longest archive description Glacier accepts, in characters. */
export const MAX_DESCRIPTION_LENGTH = 1024;

/** Retrieval tiers. */
export const TIERS = ['Expedited', 'Standard', 'Bulk'] as const;
/** A retrieval tier: how fast (and how expensively) Glacier prepares a job's output. */
export type Tier = (typeof TIERS)[number];

/** Inventory output formats. */
export const INVENTORY_FORMATS = ['JSON', 'CSV'] as const;
/** An inventory output format. */
export type InventoryFormat = (typeof INVENTORY_FORMATS)[number];

const VAULT_NAME = /^[a-zA-Z0-9_.-]{1,255}$/;
const ACCOUNT_ID = /^(-|\d{12})$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Checks a vault name: 1–255 characters of a–z, A–Z, 0–9, `_`, `-` and `.`. */
export function validateVaultName(name: unknown, parameter = 'vaultName'): string {
  if (typeof name !== 'string' || !VAULT_NAME.test(name)) {
    throw new ValidationError(
      parameter,
      `Invalid vault name ${JSON.stringify(name)}: a vault name is 1 to 255 characters of a-z, A-Z, 0-9, '_', '-' and '.'.`,
    );
  }
  return name;
}

/** Checks an account id: `-` (the credentials' own account) or 12 digits without hyphens. */
export function validateAccountId(id: unknown, parameter = 'accountId'): string {
  if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) {
    throw new ValidationError(
      parameter,
      `Invalid account id ${JSON.stringify(id)}: use '-' for the credentials' own account, or a 12-digit AWS account id without hyphens.`,
    );
  }
  return id;
}

/** Checks an opaque id (archive, job, upload, lock): a non-empty string. */
export function validateId(id: unknown, parameter: string): string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new ValidationError(parameter, `${parameter} must be a non-empty string, got ${JSON.stringify(id)}.`);
  }
  return id;
}

/**
 * Checks an archive or job description: printable ASCII (0x20–0x7E), at most
 * 1024 characters. The SDK sends descriptions raw in a header, where other
 * characters are mangled or crash the request.
 */
export function validateDescription(description: unknown, parameter = 'archiveDescription'): string | undefined {
  if (description === undefined) return undefined;
  if (typeof description !== 'string') {
    throw new ValidationError(parameter, `${parameter} must be a string, got ${typeof description}.`);
  }
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw new ValidationError(
      parameter,
      `${parameter} is ${description.length} characters long; Glacier allows at most ${MAX_DESCRIPTION_LENGTH}.`,
    );
  }
  if (!PRINTABLE_ASCII.test(description)) {
    const bad = [...description].find((c) => !PRINTABLE_ASCII.test(c)) ?? '';
    const code = bad.codePointAt(0)?.toString(16).padStart(4, '0') ?? '';
    throw new ValidationError(
      parameter,
      `${parameter} contains ${JSON.stringify(bad)} (U+${code.toUpperCase()}); Glacier accepts only printable ASCII (space to '~'). ` +
        'Encode other text first, for example with encodeURIComponent or base64.',
    );
  }
  return description;
}

/** Parses a part size given as a number or a numeric string and checks it is 1 MiB × 2^n, at most 4 GiB. */
export function validatePartSize(size: unknown, parameter = 'partSize'): number {
  const n = typeof size === 'string' && /^\d+$/.test(size) ? Number(size) : size;
  if (typeof n !== 'number' || !isValidPartSize(n)) {
    throw new ValidationError(
      parameter,
      `Invalid part size ${JSON.stringify(size)}: a part size is 1 MiB (1048576) times a power of two, from 1 MiB to 4 GiB ` +
        '(1048576, 2097152, 4194304, … 4294967296 bytes).',
    );
  }
  return n;
}

/** The smallest valid part size that fits `archiveSize` bytes in at most 10,000 parts. */
export function minimumPartSize(archiveSize: number): number {
  let size = MiB;
  while (size * MAX_PARTS < archiveSize) size *= 2;
  if (size > MAX_PART_SIZE) {
    throw new ValidationError(
      'archiveSize',
      `An archive of ${archiveSize} bytes does not fit in 10,000 parts of 4 GiB; Glacier's largest archive is 40,000 GiB.`,
    );
  }
  return size;
}

/** Checks a tier name. */
export function validateTier(tier: unknown, parameter = 'tier'): Tier {
  if (typeof tier !== 'string' || !(TIERS as readonly string[]).includes(tier)) {
    throw new ValidationError(parameter, `Invalid tier ${JSON.stringify(tier)}: use one of ${TIERS.join(', ')}.`);
  }
  return tier as Tier;
}

/** Checks an inventory format; lower-case input is accepted and upper-cased. */
export function validateInventoryFormat(format: unknown, parameter = 'format'): InventoryFormat {
  const f = typeof format === 'string' ? format.toUpperCase() : format;
  if (typeof f !== 'string' || !(INVENTORY_FORMATS as readonly string[]).includes(f)) {
    throw new ValidationError(parameter, `Invalid inventory format ${JSON.stringify(format)}: use JSON or CSV.`);
  }
  return f as InventoryFormat;
}

/** An inclusive byte range, as an object or in Glacier's `start-end` string form. */
export type RangeInput =
  | string
  | {
      /** The first byte. */
      start: number;
      /** The last byte (inclusive). */
      end: number;
    };

/**
 * Checks the two ends of an inclusive byte range given as `{ start, end }`,
 * with one clear message for each way it can be wrong: not an object with
 * `start` and `end` (an array, say), an end that is not a whole number, a
 * negative or fractional one, or an end before the start. `what` names the
 * range in messages, `form` is the string form the caller also accepts.
 */
export function checkRangeBounds(range: unknown, parameter: string, what: string, form: string): { start: number; end: number } {
  if (typeof range !== 'object' || range === null || Array.isArray(range) || !('start' in range) || !('end' in range)) {
    throw new ValidationError(parameter, `Invalid ${what} ${JSON.stringify(range)}: give "${form}" or an object { start, end } (byte offsets, inclusive).`);
  }
  const { start, end } = range as { start: unknown; end: unknown };
  for (const [name, value] of [['start', start], ['end', end]] as const) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new ValidationError(parameter, `Invalid ${what}: its ${name} is ${JSON.stringify(value)}; it must be a whole number of bytes, 0 or more.`);
    }
  }
  if ((end as number) < (start as number)) throw new ValidationError(parameter, `Invalid ${what} ${String(start)}-${String(end)}: the end must not come before the start.`);
  return { start: start as number, end: end as number };
}

/**
 * Checks a retrieval range (`RetrievalByteRange`): `start-end`, inclusive,
 * starting on a 1 MiB boundary and ending one byte before a 1 MiB boundary
 * or at the archive's last byte. When `archiveSize` is not known, an end
 * that is not one byte before a 1 MiB boundary may be the last byte, so
 * only Glacier can tell: the range is sent, and Glacier refuses a wrong end
 * (InvalidParameterValueException). Returns the `start-end` string Glacier
 * expects.
 */
export function validateRetrievalRange(range: RangeInput, archiveSize?: number, parameter = 'range'): string {
  let start: number;
  let end: number;
  if (typeof range === 'string') {
    const m = /^(\d+)-(\d+)$/.exec(range.trim());
    if (!m) {
      throw new ValidationError(parameter, `Invalid range ${JSON.stringify(range)}: write it as "start-end", inclusive, e.g. "0-1048575".`);
    }
    start = Number(m[1]);
    end = Number(m[2]);
    if (!Number.isSafeInteger(end)) throw new ValidationError(parameter, `Invalid range ${range}: ${m[2]} is more bytes than any archive holds (Glacier's largest is 40,000 GiB).`);
  } else {
    ({ start, end } = checkRangeBounds(range, parameter, 'range', 'start-end'));
  }
  if (end < start) throw new ValidationError(parameter, `Invalid range ${start}-${end}: the end must not come before the start.`);
  // Unknown size: the end may be the archive's last byte, which only Glacier knows.
  const aligned = archiveSize === undefined ? start % MiB === 0 : isMegabyteAligned(start, end, archiveSize);
  if (!aligned) {
    throw new ValidationError(
      parameter,
      `Range ${start}-${end} is not megabyte aligned: it must start on a multiple of 1 MiB (1048576) and end one byte ` +
        `before a multiple of 1 MiB or at the archive's last byte${archiveSize === undefined ? '' : ` (${archiveSize - 1})`}, e.g. 0-1048575.`,
    );
  }
  return `${start}-${end}`;
}

/** Checks an ISO-8601 UTC date such as `2013-03-20T17:03:43Z`; a Date is formatted that way. */
export function validateDate(date: unknown, parameter: string): string {
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new ValidationError(parameter, `${parameter} is an invalid Date.`);
    return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(date) || Number.isNaN(Date.parse(date))) {
    throw new ValidationError(parameter, `Invalid ${parameter} ${JSON.stringify(date)}: use an ISO-8601 UTC date like 2013-03-20T17:03:43Z.`);
  }
  return date;
}

/**
 * Returns `options` (or `{}` when undefined) after checking it is a plain
 * object whose keys are all in `allowed`, so that a misspelt option fails
 * before any request instead of being silently ignored.
 *
 * @param where - the call, for messages, e.g. `vault.initiateInventoryRetrieval()`
 */
export function checkOptions<T extends object>(options: T | undefined, allowed: readonly string[], where: string): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ValidationError('options', `${where} takes an options object, got ${JSON.stringify(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(key, `${where} has no option '${key}'; it takes ${allowed.join(', ')}.`);
    }
  }
  return options;
}
