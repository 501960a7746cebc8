import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { openBody, type UploadBody } from '../../src/transfer/body.js';

const dir = mkdtempSync(join(tmpdir(), 'body-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = randomBytes(3 * 1024 * 1024 + 12345);
const file = join(dir, 'data.bin');
writeFileSync(file, data);

async function readAll(body: UploadBody, partSize: number, size?: number) {
  const source = await openBody(body, size);
  const parts: Buffer[] = [];
  try {
    for (;;) {
      const part = await source.read(partSize, source.zeroCopy ? undefined : Buffer.alloc(partSize));
      if (part.byteLength === 0) break;
      parts.push(Buffer.from(part));
      if (part.byteLength < partSize) break;
    }
  } finally {
    await source.close();
  }
  return { size: source.size, zeroCopy: source.zeroCopy, parts };
}

function chunksOf(buf: Buffer, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += n) out.push(buf.subarray(i, i + n));
  return out;
}

describe('openBody', () => {
  const partSize = 1024 * 1024;
  const cases: Array<[string, () => UploadBody, number | undefined]> = [
    ['Buffer', () => data, data.length],
    ['Uint8Array view with an offset', () => new Uint8Array(Buffer.concat([Buffer.alloc(7), data]).buffer, 7, data.length), data.length],
    ['Blob', () => new Blob([data]), data.length],
    ['fs.ReadStream', () => createReadStream(file), data.length],
    ['Readable.from (odd chunks)', () => Readable.from(chunksOf(data, 65_537)), undefined],
    ['PassThrough', () => {
      const p = new PassThrough();
      p.end(data);
      return p;
    }, undefined],
    ['web ReadableStream', () => Readable.toWeb(Readable.from(chunksOf(data, 100_000))) as ReadableStream<Uint8Array>, undefined],
    ['async generator', () => (async function* () {
      for (const c of chunksOf(data, 300_001)) yield new Uint8Array(c);
    })(), undefined],
  ];
  for (const [name, make, size] of cases) {
    it(`cuts a ${name} into exact parts`, async () => {
      const result = await readAll(make(), partSize);
      expect(result.size).toBe(size);
      expect(result.parts.map((p) => p.length)).toEqual([partSize, partSize, partSize, 12345]);
      expect(Buffer.concat(result.parts).equals(data)).toBe(true);
    });
  }

  it('uploads a string as its UTF-8 bytes, not as a file name', async () => {
    const result = await readAll('héllo', 1024 * 1024);
    expect(result.size).toBe(6);
    expect(Buffer.concat(result.parts).toString('utf8')).toBe('héllo');
  });

  it('honours a ReadStream start and end (inclusive)', async () => {
    const result = await readAll(createReadStream(file, { start: 1000, end: 1_049_999 }), partSize);
    expect(result.size).toBe(1_049_000);
    expect(Buffer.concat(result.parts).equals(data.subarray(1000, 1_050_000))).toBe(true);
  });

  it('reads Buffer bodies without copying', async () => {
    const source = await openBody(data);
    const part = await source.read(1024);
    expect(source.zeroCopy).toBe(true);
    expect(part.buffer).toBe(data.buffer);
  });

  it('pulls a stream only as parts are asked for (backpressure)', async () => {
    let produced = 0;
    const stream = new Readable({
      highWaterMark: 64 * 1024,
      read() {
        produced += 64 * 1024;
        this.push(Buffer.alloc(64 * 1024));
      },
    });
    const source = await openBody(stream);
    await source.read(1024 * 1024, Buffer.alloc(1024 * 1024));
    await new Promise((r) => setTimeout(r, 20));
    expect(produced).toBeLessThan(2 * 1024 * 1024);
    await source.close();
    expect(stream.destroyed).toBe(true);
  });

  it('rejects values that are not bodies', async () => {
    await expect(openBody(42 as unknown as UploadBody)).rejects.toBeInstanceOf(ValidationError);
    await expect(openBody({} as unknown as UploadBody)).rejects.toThrow(/Buffer, Uint8Array, string/);
  });

  it('rejects a stream that yields non-bytes', async () => {
    const source = await openBody(Readable.from([{ a: 1 }]));
    await expect(source.read(10, Buffer.alloc(10))).rejects.toThrow(/Uint8Array/);
  });
});
