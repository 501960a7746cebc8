/**
 * Small text helpers shared by the `glacier` CLI and the tour: byte sizes,
 * rates, durations and plain-text tables.
 *
 * @module
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Formats a byte count with binary units, e.g. `300.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** Formats a transfer rate in bytes per second, e.g. `112.4 MiB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** Formats a duration in seconds as `1h02m03s`, `2m03s` or `4.2s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${rest}s` : `${m}m${rest}s`;
}

/** Shortens a long id for a table cell: keeps the start and the end. */
export function shortId(id: string, width = 24): string {
  if (id.length <= width) return id;
  const half = Math.floor((width - 1) / 2);
  return `${id.slice(0, half)}…${id.slice(id.length - (width - 1 - half))}`;
}

/** One column of {@link formatTable}. */
export interface Column<T> {
  /** Header text. */
  header: string;
  /** Cell text for a row. */
  value: (row: T) => string;
  /** Right-align the column (numbers). */
  right?: boolean;
}

/** Renders rows as a plain-text table with a header line and a rule. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (columns[i]?.right ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Parses a size such as `64MiB`, `64M`, `1GiB`, `1048576`; returns bytes. */
export function parseSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(text);
  if (!match) throw new RangeError(`not a size: '${text}' (try 64MiB, 1GiB or a number of bytes)`);
  const power = { '': 0, k: 1, m: 2, g: 3, t: 4 }[(match[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const bytes = Number(match[1]) * 1024 ** power;
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`not a whole number of bytes: '${text}'`);
  return bytes;
}

/** Formats a date from the API (a `Date` or an ISO string) for a table; `-` when absent. */
export function formatDate(value: Date | string | null | undefined): string {
  if (value === undefined || value === null || value === '') return '-';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An API date (a `Date` or an ISO string) as an ISO string, for JSON output. */
export function isoDate(value: Date | string | null | undefined): string | undefined {
  if (value === undefined || value === null) return undefined;
  return value instanceof Date ? value.toISOString() : value;
}
