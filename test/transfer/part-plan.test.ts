import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import {
  chooseConcurrency,
  DEFAULT_PART_SIZE,
  DEFAULT_STREAM_PART_SIZE,
  choosePartSize,
  partContentRange,
  validatePositiveInteger,
} from '../../src/transfer/part-plan.js';
import { MiB } from '../../src/transfer/tree-hash.js';

const GiB = 1024 * MiB;

describe('choosePartSize', () => {
  it('uses 8 MiB for archives that fit', () => {
    expect(DEFAULT_PART_SIZE).toBe(8 * MiB);
    expect(choosePartSize(100 * MiB)).toBe(8 * MiB);
    expect(choosePartSize(78 * GiB)).toBe(8 * MiB);
    expect(choosePartSize(79 * GiB)).toBe(16 * MiB);
    expect(choosePartSize(156 * GiB)).toBe(16 * MiB);
  });

  it('grows to the smallest power of two that fits 10,000 parts', () => {
    expect(choosePartSize(200 * GiB)).toBe(32 * MiB);
    expect(choosePartSize(1024 * GiB)).toBe(128 * MiB);
    expect(choosePartSize(40_000 * GiB)).toBe(4096 * MiB);
  });

  it('uses the stream default for unknown lengths', () => {
    expect(choosePartSize(undefined)).toBe(DEFAULT_STREAM_PART_SIZE);
    expect(choosePartSize(undefined, 2 * MiB)).toBe(2 * MiB);
  });

  it('rejects part sizes that are not 1 MiB × 2^n', () => {
    expect(() => choosePartSize(undefined, 3 * MiB)).toThrow(ValidationError);
    expect(() => choosePartSize(undefined, 8 * GiB)).toThrow(/1 MiB/);
  });

  it('rejects a part size too small for the archive, naming the minimum', () => {
    expect(() => choosePartSize(20 * GiB, MiB)).toThrow(/at least 4 MiB/);
  });

  it('rejects archives larger than 10,000 × 4 GiB', () => {
    expect(() => choosePartSize(40_001 * GiB)).toThrow(ValidationError);
  });
});

describe('chooseConcurrency', () => {
  it('keeps 4 parts in flight up to 128 MiB parts', () => {
    expect(chooseConcurrency(16 * MiB)).toBe(4);
    expect(chooseConcurrency(128 * MiB)).toBe(4);
  });

  it('holds fewer huge parts, never fewer than one', () => {
    expect(chooseConcurrency(256 * MiB)).toBe(2);
    expect(chooseConcurrency(1024 * MiB)).toBe(1);
    expect(chooseConcurrency(4096 * MiB)).toBe(1);
  });

  it('honours an explicit concurrency', () => {
    expect(chooseConcurrency(4096 * MiB, 3)).toBe(3);
  });
});

describe('helpers', () => {
  it('formats the Content-Range of a part', () => {
    expect(partContentRange(0, MiB, MiB)).toBe('bytes 0-1048575/*');
    expect(partContentRange(2, MiB, 10)).toBe('bytes 2097152-2097161/*');
  });

  it('validates concurrency', () => {
    expect(validatePositiveInteger(undefined, 'concurrency', 4)).toBe(4);
    expect(() => validatePositiveInteger(0, 'concurrency', 4)).toThrow(/concurrency must be a whole number/);
    expect(() => validatePositiveInteger(1.5, 'concurrency', 4)).toThrow(ValidationError);
  });
});
