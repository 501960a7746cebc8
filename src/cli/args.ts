/**
 * Argument parsers for commander options: each throws commander's
 * `InvalidArgumentError`, so a bad value is a usage error (exit code 2).
 *
 * @module
 */
import { InvalidArgumentError } from 'commander';
import { parseSize } from './format.js';

/** Parses a positive integer option value. */
export function positiveInt(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, not '${value}'.`);
  return n;
}

/** Milliseconds in one of each unit a duration may carry. */
const DURATION_UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** The units a duration may carry. */
export type DurationUnit = keyof typeof DURATION_UNITS;

/**
 * Parses a duration, 0 or more, into milliseconds: a number with a unit
 * (`500ms`, `30s`, `1.5m`, `2h`), or a bare number in `bareUnit` (what the
 * option meant before units were accepted).
 */
export function duration(value: string, name: string, bareUnit: DurationUnit): number {
  const m = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$/i.exec(value);
  if (!m) {
    throw new InvalidArgumentError(`${name} must be a duration such as 500ms, 30s or 5m (a bare number is in ${UNIT_NAMES[bareUnit]}), not '${value}'.`);
  }
  const unit = (m[2]?.toLowerCase() ?? bareUnit) as DurationUnit;
  return Math.round(Number(m[1]) * DURATION_UNITS[unit]);
}

const UNIT_NAMES: Record<DurationUnit, string> = { ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours' };

/** Parses a byte size such as `64MiB`, `64M` or `67108864`. */
export function byteSize(value: string, name: string): number {
  try {
    return parseSize(value);
  } catch (error) {
    throw new InvalidArgumentError(`${name}: ${(error as Error).message}.`);
  }
}

/**
 * Parses a memory budget (`--max-memory`): a byte size of at least 1 MiB,
 * the smallest part or chunk. At least one part or chunk is always in
 * flight, whatever the budget.
 */
export function memorySize(value: string, name: string): number {
  const bytes = byteSize(value, name);
  if (bytes < 1024 * 1024) throw new InvalidArgumentError(`${name} must be at least 1MiB (the smallest part or chunk), not '${value}'.`);
  return bytes;
}

/** Parses one of a fixed set of values, case-insensitively, returning the canonical spelling. */
export function oneOf<T extends string>(choices: readonly T[], name: string): (value: string) => T {
  return (value) => {
    const found = choices.find((c) => c.toLowerCase() === value.toLowerCase());
    if (!found) throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, not '${value}'.`);
    return found;
  };
}
