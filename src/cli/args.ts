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

/** Parses a non-negative number of seconds. */
export function seconds(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number of seconds, not '${value}'.`);
  return n;
}

/** Parses a byte size such as `64MiB`, `64M` or `67108864`. */
export function byteSize(value: string, name: string): number {
  try {
    return parseSize(value);
  } catch (error) {
    throw new InvalidArgumentError(`${name}: ${(error as Error).message}.`);
  }
}

/** Parses one of a fixed set of values, case-insensitively, returning the canonical spelling. */
export function oneOf<T extends string>(choices: readonly T[], name: string): (value: string) => T {
  return (value) => {
    const found = choices.find((c) => c.toLowerCase() === value.toLowerCase());
    if (!found) throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}, not '${value}'.`);
    return found;
  };
}
