import { InitiateMultipartUploadCommand, UploadMultipartPartCommand } from '@aws-sdk/client-glacier';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UploadError, ValidationError } from '../../src/errors.js';
import { MiB, treeHash, uploadChecksums } from '../../src/transfer/tree-hash.js';
import { uploadArchive, type UploadBody, type UploadProgress } from '../../src/transfer/upload.js';
import { checkUploadProgress, partEvents, startHarness, testBytes, type Harness } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'upload-'));
const data = testBytes(5 * MiB + 123);
const file = join(dir, 'data.bin');
writeFileSync(file, data);
const expected = treeHash(data);
const fast = { retries: 3, minDelay: 1, maxDelay: 5 };

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  h.sent.length = 0;
  h.sdkHashCalls.n = 0;
  h.env.server.setFaults(undefined);
});

function chunks(buf: Buffer, n: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += n) out.push(buf.subarray(i, i + n));
  return out;
}

function progressChecker() {
  const events: UploadProgress[] = [];
  return {
    events,
    onProgress: (p: UploadProgress) => events.push({ ...p }),
    check(total: number, parts: number, failures = false) {
      checkUploadProgress(events, total, parts, failures);
    },
  };
}

describe('uploadArchive, multipart', () => {
  const bodies: Array<[string, () => UploadBody, boolean]> = [
    ['Buffer', () => data, true],
    ['fs.ReadStream', () => createReadStream(file), true],
    ['Blob', () => new Blob([data]), true],
    ['Readable of unknown length', () => Readable.from(chunks(data, 100_000)), false],
    ['web ReadableStream', () => Readable.toWeb(Readable.from(chunks(data, 70_000))) as ReadableStream<Uint8Array>, false],
    ['AsyncIterable', () => (async function* () {
      yield* chunks(data, 333_333).map((c) => new Uint8Array(c));
    })(), false],
  ];
  for (const [name, body, known] of bodies) {
    it(`uploads a ${name} in 1 MiB parts, hashing each byte once`, async () => {
      const progress = progressChecker();
      const ids: string[] = [];
      const archive = await uploadArchive(h.target, {
        body: body(),
        archiveDescription: `multipart ${name}`,
        partSize: MiB,
        concurrency: 3,
        multipartThreshold: MiB,
        onProgress: progress.onProgress,
        onUploadId: (id) => ids.push(id),
      });
      expect(archive.checksum).toBe(expected);
      expect(archive.size).toBe(data.length);
      expect(archive.archiveId).toMatch(/\S/);
      expect(archive.location).toContain(archive.archiveId);
      expect(archive.archiveDescription).toBe(`multipart ${name}`);
      expect(ids).toEqual([archive.uploadId]);
      progress.check(data.length, 6);
      const last = progress.events.at(-1)!;
      // The last event carries the total even when the length was unknown at the start.
      expect(last).toMatchObject({ total: data.length, partsTotal: 6 });
      if (!known) expect(progress.events[0]!.total).toBeUndefined();
      expect(h.count('UploadMultipartPart')).toBe(6);
      expect(h.count('CompleteMultipartUpload')).toBe(1);
      expect(h.sdkHashCalls.n).toBe(0);
      expect(await h.openUploads()).toBe(0);
    });
  }

  it('reports the total in a final event when a stream of unknown length ends on a part boundary after its last part was sent', async () => {
    const body = data.subarray(0, 3 * MiB);
    const events: UploadProgress[] = [];
    const archive = await uploadArchive(h.target, {
      body: (async function* () {
        yield* chunks(body, 256 * 1024);
        // The end of the body is seen only after the last part was acknowledged.
        await new Promise((r) => setTimeout(r, 300));
      })(),
      partSize: MiB,
      multipartThreshold: MiB,
      onProgress: (p) => events.push({ ...p }),
    });
    expect(archive.size).toBe(3 * MiB);
    const parts = partEvents(events);
    expect(parts.slice(0, 3).map((e) => e.total)).toEqual([undefined, undefined, undefined]);
    expect(events.at(-1)).toEqual({ loaded: 3 * MiB, acknowledged: 3 * MiB, total: 3 * MiB, part: 3, partsTotal: 3, concurrency: expect.any(Number) });
    expect(parts).toHaveLength(4);
  });

  it('checks a stream against the size it was promised', async () => {
    await expect(uploadArchive(h.target, { body: Readable.from(chunks(data, 100_000)), size: data.length + 1, partSize: MiB, multipartThreshold: MiB })).rejects.toThrow(
      /body has \d+ bytes, but size/,
    );
    expect(await h.openUploads()).toBe(0);
  });
});

describe('uploadArchive, single request', () => {
  it('sends a known-size body at or below the threshold in one UploadArchive', async () => {
    const progress = progressChecker();
    const archive = await uploadArchive(h.target, { body: data, archiveDescription: 'one shot', onProgress: progress.onProgress });
    expect(archive).toMatchObject({ checksum: expected, size: data.length, archiveDescription: 'one shot' });
    expect(archive.uploadId).toBeUndefined();
    expect(h.sent).toEqual(['UploadArchive']);
    expect(partEvents(progress.events)).toEqual([{ loaded: data.length, acknowledged: data.length, total: data.length, part: 1, partsTotal: 1, concurrency: 1 }]);
    progress.check(data.length, 1);
    expect(h.sdkHashCalls.n).toBe(0);
  });

  it('sends a short stream of unknown length in one request too', async () => {
    const small = data.subarray(0, 300_000);
    const archive = await uploadArchive(h.target, { body: Readable.from(chunks(small, 1000)) });
    expect(archive.checksum).toBe(treeHash(small));
    expect(h.sent).toEqual(['UploadArchive']);
  });

  it('uploads a string as UTF-8 content', async () => {
    const archive = await uploadArchive(h.target, { body: 'héllo wörld' });
    expect(archive.checksum).toBe(treeHash(Buffer.from('héllo wörld')));
    expect(archive.size).toBe(13);
  });

  it('retries a failed single request', async () => {
    h.env.server.setFaults('UploadArchive:1#2:500');
    const progress = progressChecker();
    const archive = await uploadArchive(h.target, { body: data, retry: fast, onProgress: progress.onProgress });
    expect(archive.checksum).toBe(expected);
    expect(h.count('UploadArchive')).toBe(3);
    progress.check(data.length, 1, true);
  });
});

describe('uploadArchive, bad input', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a part size that is not 1 MiB × 2^n', { partSize: 3 * MiB }, /1 MiB \(1048576\) times a power of two/],
    ['concurrency 0', { concurrency: 0 }, /concurrency must be a whole number/],
    ['a non-ASCII description', { archiveDescription: 'naïve' }, /printable ASCII/],
    ['a description over 1024 characters', { archiveDescription: 'x'.repeat(1025) }, /at most 1024/],
    ['a negative size', { size: -1 }, /size must be/],
    ['an empty body', { body: Buffer.alloc(0) }, /empty/],
    ['a size that differs from a Buffer body', { size: 10 }, /leave size out/],
    ['a part size too small for the size', { body: Readable.from([]), size: 20_000 * MiB, partSize: MiB }, /at least 2 MiB/],
    ['no body', { body: undefined }, /needs a body/],
    ['a threshold over 4 GiB', { multipartThreshold: 5 * 1024 * MiB }, /at most 4 GiB/],
    // A misspelt option is refused by name, with the valid names, not ignored.
    ['a misspelt option name', { partsize: MiB }, /^uploadArchive\(\) has no option 'partsize'; it takes body, archiveDescription, partSize, concurrency, .*, retry\.$/],
  ];
  for (const [name, options, message] of cases) {
    it(`rejects ${name} before any request`, async () => {
      const error = await uploadArchive(h.target, { body: data, ...options } as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as Error).message).toMatch(message);
      expect(h.sent).toEqual([]);
    });
  }

  it('rejects an empty stream before any request', async () => {
    await expect(uploadArchive(h.target, { body: Readable.from([]) })).rejects.toThrow(/empty/);
    expect(h.sent).toEqual([]);
  });

  it('reports a missing file before any request', async () => {
    await expect(uploadArchive(h.target, { body: createReadStream(join(dir, 'missing.bin')) })).rejects.toMatchObject({ code: 'ENOENT' });
    expect(h.sent).toEqual([]);
  });

  it('rejects a bad vault name before any request', async () => {
    await expect(uploadArchive({ ...h.target, vaultName: 'no/slash' }, { body: data })).rejects.toBeInstanceOf(ValidationError);
    expect(h.sent).toEqual([]);
  });
});

describe('uploadArchive, failure and abort', () => {
  it('aborts the multipart upload when a part keeps failing, and says so', async () => {
    h.env.server.setFaults('UploadMultipartPart:1:500');
    const error = (await uploadArchive(h.target, { body: data, partSize: MiB, multipartThreshold: MiB, retry: { retries: 2, minDelay: 1, maxDelay: 2 } }).catch(
      (e: unknown) => e,
    )) as UploadError;
    expect(error).toBeInstanceOf(UploadError);
    expect(error.uploadId).toMatch(/\S/);
    expect(error.partsLeft).toBe(false);
    expect(error.message).toMatch(/aborted/);
    expect(h.count('AbortMultipartUpload')).toBe(1);
    expect(h.count('CompleteMultipartUpload')).toBe(0);
    expect(await h.openUploads()).toBe(0);
  });

  it('does not retry a non-transient error', async () => {
    h.env.server.setFaults(undefined);
    const error = (await uploadArchive({ ...h.target, vaultName: 'missing-vault' }, { body: data, partSize: MiB, multipartThreshold: MiB }).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('ResourceNotFoundException');
    expect(h.count('InitiateMultipartUpload')).toBe(1);
  });

  it('stops cleanly on its signal and aborts the upload', async () => {
    const controller = new AbortController();
    const error = (await uploadArchive(h.target, {
      body: data,
      partSize: MiB,
      concurrency: 1,
      multipartThreshold: MiB,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.part === 2) controller.abort(new Error('stop now'));
      },
    }).catch((e: unknown) => e)) as UploadError;
    expect(error).toBeInstanceOf(UploadError);
    expect((error.cause as Error).message).toBe('stop now');
    expect(error.partsLeft).toBe(false);
    expect(h.count('UploadMultipartPart')).toBeLessThan(6);
    expect(await h.openUploads()).toBe(0);
  });

  it('stops while a stream stalls, aborting the upload', async () => {
    const stalled = new Readable({ read() {} });
    stalled.push(data.subarray(0, MiB + MiB / 2));
    const controller = new AbortController();
    const done = uploadArchive(h.target, { body: stalled, partSize: MiB, signal: controller.signal, onProgress: () => controller.abort() });
    const error = (await done.catch((e: unknown) => e)) as UploadError;
    expect(error).toBeInstanceOf(UploadError);
    expect(error.partsLeft).toBe(false);
    expect(stalled.destroyed).toBe(true);
    expect(await h.openUploads()).toBe(0);
  });

  it('initiates a body of known length while its first part is read, and aborts that upload when the body fails first', async () => {
    const failing = new Readable({
      read() {
        // The initiate is sent before the first part is read: fail once it is under way.
        setTimeout(() => this.destroy(new Error('disk gone')), 50);
      },
    });
    const error = (await uploadArchive(h.target, { body: failing, size: 8 * MiB, partSize: MiB, multipartThreshold: MiB }).catch((e: unknown) => e)) as UploadError;
    expect(error).toBeInstanceOf(UploadError);
    expect((error.cause as Error).message).toBe('disk gone');
    expect(h.count('InitiateMultipartUpload')).toBe(1);
    expect(h.count('AbortMultipartUpload')).toBe(1);
    expect(h.count('UploadMultipartPart')).toBe(0);
    expect(await h.openUploads()).toBe(0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    await expect(uploadArchive(h.target, { body: data, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(h.sent).toEqual([]);
  });
});

describe('uploadArchive, resume', () => {
  it('keeps the parts with leavePartsOnError, then resumes sending only what is missing', async () => {
    const controller = new AbortController();
    let uploadId = '';
    const error = (await uploadArchive(h.target, {
      body: createReadStream(file),
      archiveDescription: 'resumable',
      partSize: MiB,
      multipartThreshold: MiB,
      concurrency: 1,
      leavePartsOnError: true,
      signal: controller.signal,
      onUploadId: (id) => (uploadId = id),
      onProgress: (p) => {
        if (p.part === 3) controller.abort();
      },
    }).catch((e: unknown) => e)) as UploadError;
    expect(error).toBeInstanceOf(UploadError);
    expect(error.partsLeft).toBe(true);
    expect(error.uploadId).toBe(uploadId);
    expect(await h.openUploads()).toBe(1);

    h.sent.length = 0;
    const progress = progressChecker();
    const archive = await uploadArchive(h.target, { body: createReadStream(file), uploadId, onProgress: progress.onProgress });
    expect(archive.checksum).toBe(expected);
    expect(archive.archiveDescription).toBe('resumable');
    expect(archive.uploadId).toBe(uploadId);
    expect(h.count('ListParts')).toBeGreaterThanOrEqual(1);
    expect(h.count('UploadMultipartPart')).toBe(3);
    progress.check(data.length, 6);
    expect(await h.openUploads()).toBe(0);
  });

  it('re-sends a part whose stored bytes differ from the local ones', async () => {
    const init = await h.client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'transfer', partSize: String(MiB) }));
    const uploadId = init.uploadId!;
    const wrong = testBytes(MiB, 99);
    const sums = uploadChecksums(wrong);
    await h.env.client.send(new UploadMultipartPartCommand({ accountId: '-', vaultName: 'transfer', uploadId, range: `bytes 0-${MiB - 1}/*`, checksum: sums.treeHash, body: wrong }));
    const good = data.subarray(MiB, 2 * MiB);
    await h.env.client.send(
      new UploadMultipartPartCommand({ accountId: '-', vaultName: 'transfer', uploadId, range: `bytes ${MiB}-${2 * MiB - 1}/*`, checksum: treeHash(good), body: good }),
    );
    h.sent.length = 0;
    const archive = await uploadArchive(h.target, { body: data, uploadId });
    expect(archive.checksum).toBe(expected);
    expect(h.count('UploadMultipartPart')).toBe(5);
  });

  it('explains an upload id that no longer exists', async () => {
    const error = (await uploadArchive(h.target, { body: data, uploadId: 'no-such-upload' }).catch((e: unknown) => e)) as UploadError;
    expect(error).toBeInstanceOf(UploadError);
    expect(error.message).toMatch(/does not exist.*24 hours/);
    expect(h.count('UploadMultipartPart')).toBe(0);
  });

  it('pages through ListParts', async () => {
    const init = await h.client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'transfer', partSize: String(MiB) }));
    const uploadId = init.uploadId!;
    const small = testBytes(3 * MiB, 5);
    for (let i = 0; i < 3; i++) {
      const part = small.subarray(i * MiB, (i + 1) * MiB);
      await h.env.client.send(
        new UploadMultipartPartCommand({ accountId: '-', vaultName: 'transfer', uploadId, range: `bytes ${i * MiB}-${(i + 1) * MiB - 1}/*`, checksum: treeHash(part), body: part }),
      );
    }
    // One part per page, so the listing must follow Marker.
    const paged = h.env.newClient();
    paged.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { query?: Record<string, string> };
        if (request.query?.['limit']) request.query['limit'] = '1';
        return next(args);
      },
      { step: 'build', name: 'onePartPerPage' },
    );
    const pages: string[] = [];
    paged.middlewareStack.add(
      (next, context) => async (args) => {
        pages.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name: 'countPages' },
    );
    const archive = await uploadArchive({ ...h.target, client: paged }, { body: small, uploadId });
    expect(archive.checksum).toBe(treeHash(small));
    expect(pages.filter((n) => n === 'ListPartsCommand').length).toBeGreaterThanOrEqual(3);
    expect(pages.filter((n) => n === 'UploadMultipartPartCommand')).toEqual([]);
  });

  it('refuses a partSize that differs from the upload being resumed, leaving it in place', async () => {
    const init = await h.client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'transfer', partSize: String(MiB) }));
    await expect(uploadArchive(h.target, { body: data, uploadId: init.uploadId!, partSize: 2 * MiB })).rejects.toThrow(/leave partSize out/);
    const after = await h.openUploads();
    expect(after).toBeGreaterThanOrEqual(1);
  });

  it('refuses to complete when the upload holds parts past the end of the body', async () => {
    const init = await h.client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'transfer', partSize: String(MiB) }));
    const uploadId = init.uploadId!;
    const extra = testBytes(MiB, 7);
    await h.env.client.send(
      new UploadMultipartPartCommand({ accountId: '-', vaultName: 'transfer', uploadId, range: `bytes ${9 * MiB}-${10 * MiB - 1}/*`, checksum: treeHash(extra), body: extra }),
    );
    const error = (await uploadArchive(h.target, { body: data, uploadId }).catch((e: unknown) => e)) as UploadError;
    expect(error).toBeInstanceOf(UploadError);
    expect(error.message).toMatch(/past the end/);
    expect(h.count('CompleteMultipartUpload')).toBe(0);
  });
});

describe('uploadArchive, parts streamed from the file', () => {
  it('hashes with small reads and streams each part from the file, retrying with a fresh stream', async () => {
    h.env.server.setFaults('UploadMultipartPart:1#2:drop,UploadMultipartPart:0.2:500');
    const openBefore = await h.openUploads();
    const progress = progressChecker();
    const archive = await uploadArchive(
      h.target,
      { body: createReadStream(file), partSize: MiB, multipartThreshold: MiB, retry: fast, onProgress: progress.onProgress },
      { streamPartsFromFile: true },
    );
    expect(archive.checksum).toBe(expected);
    progress.check(data.length, 6, true);
    expect(h.count('UploadMultipartPart')).toBeGreaterThan(6);
    expect(h.sdkHashCalls.n).toBe(0);
    expect(await h.openUploads()).toBe(openBefore);
  });

  it('resumes with streamed parts', async () => {
    const controller = new AbortController();
    let uploadId = '';
    await uploadArchive(
      h.target,
      {
        body: createReadStream(file),
        partSize: MiB,
        concurrency: 1,
        multipartThreshold: MiB,
        leavePartsOnError: true,
        signal: controller.signal,
        onUploadId: (id) => (uploadId = id),
        onProgress: (p) => {
          if (p.part === 2) controller.abort();
        },
      },
      { streamPartsFromFile: true },
    ).catch(() => undefined);
    h.sent.length = 0;
    const archive = await uploadArchive(h.target, { body: createReadStream(file), uploadId }, { streamPartsFromFile: true });
    expect(archive.checksum).toBe(expected);
    expect(h.count('UploadMultipartPart')).toBe(4);
  });

  it('ignores the option for bodies that are not files', async () => {
    const archive = await uploadArchive(h.target, { body: data, partSize: MiB, multipartThreshold: MiB }, { streamPartsFromFile: true });
    expect(archive.checksum).toBe(expected);
  });
});

describe('uploadArchive, memory', () => {
  it('pulls a stream only as parts are needed', async () => {
    let produced = 0;
    const total = 8 * MiB;
    const stream = new Readable({
      highWaterMark: 64 * 1024,
      read() {
        if (produced >= total) {
          this.push(null);
          return;
        }
        produced += 64 * 1024;
        this.push(testBytes(64 * 1024, produced));
      },
    });
    let maxAhead = 0;
    await uploadArchive(h.target, {
      body: stream,
      partSize: MiB,
      concurrency: 2,
      onProgress: (p) => {
        maxAhead = Math.max(maxAhead, produced - p.loaded);
      },
    });
    // Read but unacknowledged bytes stay within concurrency parts plus the stream's buffer.
    expect(maxAhead).toBeLessThanOrEqual(3 * MiB);
  });

  it('accepts a PassThrough that is written to while uploading', async () => {
    const pass = new PassThrough();
    const done = uploadArchive(h.target, { body: pass, partSize: MiB });
    for (const c of chunks(data, 256 * 1024)) {
      if (!pass.write(c)) await new Promise((r) => pass.once('drain', r));
    }
    pass.end();
    expect((await done).checksum).toBe(expected);
  });
});
