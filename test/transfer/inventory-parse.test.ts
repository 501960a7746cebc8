import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { parseInventory } from '../../src/transfer/inventory.js';

const HASH = 'a'.repeat(64);

const json = JSON.stringify({
  VaultARN: 'arn:aws:glacier:us-west-2:012345678901:vaults/examplevault',
  InventoryDate: '2011-12-12T14:19:01Z',
  ArchiveList: [
    { ArchiveId: 'id-1', ArchiveDescription: 'my "quoted", archive', CreationDate: '2012-05-15T17:19:46.700Z', Size: 2140123, SHA256TreeHash: HASH },
    { ArchiveId: 'id-2', ArchiveDescription: '', CreationDate: '2012-05-15T17:21:39.339Z', Size: 2, SHA256TreeHash: HASH, Extra: { nested: [1, 2] } },
  ],
});

const csv =
  'ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\r\n' +
  `"id-1","my ""quoted"", archive","2012-05-15T17:19:46.700Z","2140123","${HASH}"\r\n` +
  `"id-2","","2012-05-15T17:21:39.339Z","2","${HASH}"\r\n`;

const expected = [
  { archiveId: 'id-1', archiveDescription: 'my "quoted", archive', creationDate: '2012-05-15T17:19:46.700Z', size: 2140123, sha256TreeHash: HASH },
  { archiveId: 'id-2', archiveDescription: '', creationDate: '2012-05-15T17:21:39.339Z', size: 2, sha256TreeHash: HASH },
];

/** Splits text into small chunks, cutting through tokens and multi-byte characters. */
function dribble(text: string, size = 7): Readable {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('parseInventory', () => {
  it('parses Glacier JSON into typed records, with the vault ARN and date', async () => {
    const reader = parseInventory(dribble(json), 'JSON');
    expect(await collect(reader)).toEqual(expected);
    expect(reader.vaultArn).toBe('arn:aws:glacier:us-west-2:012345678901:vaults/examplevault');
    expect(reader.inventoryDate).toBe('2011-12-12T14:19:01Z');
  });

  it('parses Glacier CSV (quoted fields, CRLF) into the same records', async () => {
    expect(await collect(parseInventory(dribble(csv, 5), 'csv'))).toEqual(expected);
  });

  it('parses UTF-8 descriptions split across chunks', async () => {
    const text = JSON.stringify({ VaultARN: 'v', ArchiveList: [{ ArchiveId: 'x', ArchiveDescription: 'héllo ✓', CreationDate: 'd', Size: 1, SHA256TreeHash: HASH }] });
    const [record] = await collect(parseInventory(dribble(text, 3)));
    expect(record?.archiveDescription).toBe('héllo ✓');
  });

  it('parses an empty inventory', async () => {
    const reader = parseInventory(Readable.from([JSON.stringify({ VaultARN: 'v', InventoryDate: 'd', ArchiveList: [] })]));
    expect(await collect(reader)).toEqual([]);
    expect(reader.vaultArn).toBe('v');
  });

  it('streams: the first record arrives before the input is read to the end', async () => {
    let produced = 0;
    const total = 200_000;
    async function* source() {
      yield '{"VaultARN":"v","InventoryDate":"d","ArchiveList":[';
      for (let i = 0; i < total; i++) {
        produced++;
        yield `${i ? ',' : ''}{"ArchiveId":"id-${i}","ArchiveDescription":"","CreationDate":"d","Size":${i},"SHA256TreeHash":"${HASH}"}`;
      }
      yield ']}';
    }
    let count = 0;
    let producedAtFirst = -1;
    for await (const record of parseInventory(Readable.from(source()))) {
      if (count === 0) producedAtFirst = produced;
      expect(record.size).toBe(count);
      count++;
    }
    expect(count).toBe(total);
    expect(producedAtFirst).toBeLessThan(total / 10);
  });

  it('stops reading when the loop breaks', async () => {
    const input = dribble(json);
    for await (const record of parseInventory(input)) {
      expect(record.archiveId).toBe('id-1');
      break;
    }
    expect(input.destroyed).toBe(true);
  });

  it('reports malformed input', async () => {
    await expect(collect(parseInventory(Readable.from(['{"ArchiveList":[{"ArchiveId":"x","Size":"many"}]}'])))).rejects.toThrow(/invalid Size/);
    await expect(collect(parseInventory(Readable.from(['{"ArchiveList":[{']))))
      .rejects.toThrow();
    await expect(collect(parseInventory(Readable.from(['ArchiveId,Size\n"unterminated']), 'CSV'))).rejects.toThrow();
  });

  it('rejects an unknown format before reading', () => {
    expect(() => parseInventory(Readable.from([]), 'XML' as 'JSON')).toThrow(ValidationError);
  });

  it('can be iterated only once', async () => {
    const reader = parseInventory(dribble(json));
    await collect(reader);
    expect(() => reader[Symbol.asyncIterator]()).toThrow(/only once/);
  });
});
