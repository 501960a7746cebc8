import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateVaultCommand,
  DescribeVaultCommand,
  GetJobOutputCommand,
  InitiateJobCommand,
  InitiateMultipartUploadCommand,
  ListPartsCommand,
  ListVaultsCommand,
  RequestTimeoutException,
  ServiceUnavailableException,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { formatFaultSpec, parseFaultSpec } from '../../src/local/index.js';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { bytes, rejection } from './util.js';

let t: TestEndpoint;
const vaultName = 'faults';
const data = bytes(2 * MiB + 500);
let jobId: string;
beforeAll(async () => {
  t = await startTestEndpoint();
  await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  const { archiveId } = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: data }));
  jobId = (await t.client.send(new InitiateJobCommand({ accountId: '-', vaultName, jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }))).jobId!;
});
afterAll(async () => t.close());

async function archiveCount(): Promise<number> {
  return (await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }))).NumberOfArchives!;
}

describe('fault SPEC', () => {
  it('parses rules with rates, counts and arguments, and formats them back', () => {
    const rules = parseFaultSpec('UploadMultipartPart:0.1:500, GetJobOutput:1#2:drop:1000,*:0.5:slow:20,ListVaults:1:503:empty');
    expect(rules).toEqual([
      { operation: 'UploadMultipartPart', rate: 0.1, kind: '500' },
      { operation: 'GetJobOutput', rate: 1, kind: 'drop', times: 2, arg: 1000 },
      { operation: '*', rate: 0.5, kind: 'slow', arg: 20 },
      { operation: 'ListVaults', rate: 1, kind: '503', arg: 'empty' },
    ]);
    expect(formatFaultSpec(rules)).toBe('UploadMultipartPart:0.1:500,GetJobOutput:1#2:drop:1000,*:0.5:slow:20,ListVaults:1:503:empty');
  });

  it('refuses malformed rules with a clear message', () => {
    for (const bad of ['x', 'Op:2:500', 'Op:0.1:boom', 'Op:0.1:500:7', 'Op:0.1:slow:fast', '../x:1:500']) {
      expect(() => parseFaultSpec(bad), bad).toThrow(SyntaxError);
    }
  });
});

describe('injected faults', () => {
  it('500: ServiceUnavailableException, and the faulted part is not stored', async () => {
    const { uploadId } = await t.client.send(new InitiateMultipartUploadCommand({ accountId: '-', vaultName, partSize: String(MiB) }));
    t.server.setFaults('UploadMultipartPart:1:500');
    const client = t.newClient({ maxAttempts: 1 });
    const err = await rejection(client.send(new UploadMultipartPartCommand({ accountId: '-', vaultName, uploadId, range: 'bytes 0-999/*', body: bytes(1000) })));
    t.server.setFaults(undefined);
    expect(err).toBeInstanceOf(ServiceUnavailableException);
    expect(err.$metadata?.httpStatusCode).toBe(500);
    expect((await t.client.send(new ListPartsCommand({ accountId: '-', vaultName, uploadId }))).Parts).toEqual([]);
  });

  it('503 with and without a body, throttle and 408 give the matching status and code', async () => {
    const client = t.newClient({ maxAttempts: 1 });
    const cases: Array<[string, number, string | undefined]> = [
      ['DescribeVault:1:503', 503, 'ServiceUnavailableException'],
      ['DescribeVault:1:503:empty', 503, undefined],
      ['DescribeVault:1:throttle', 400, 'ThrottlingException'],
      ['DescribeVault:1:408', 408, 'RequestTimeoutException'],
    ];
    for (const [spec, status, name] of cases) {
      t.server.setFaults(spec);
      const err = await rejection(client.send(new DescribeVaultCommand({ accountId: '-', vaultName })));
      expect(err.$metadata?.httpStatusCode, spec).toBe(status);
      if (name) expect(err.name, spec).toBe(name);
    }
    t.server.setFaults('DescribeVault:1:408');
    expect(await rejection(client.send(new DescribeVaultCommand({ accountId: '-', vaultName })))).toBeInstanceOf(RequestTimeoutException);
    t.server.setFaults(undefined);
  });

  it('N-limited rules stop firing, so SDK retries recover', async () => {
    t.server.setFaults('DescribeVault:1#2:500');
    const out = await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }));
    expect(out.$metadata.attempts).toBe(3);
    const next = await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }));
    expect(next.$metadata.attempts).toBe(1);
    t.server.setFaults(undefined);
  });

  it('drop on an upload cuts the connection mid-body and stores nothing', async () => {
    const before = await archiveCount();
    t.server.setFaults('UploadArchive:1:drop');
    const client = t.newClient({ maxAttempts: 1 });
    const err = await rejection(client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: bytes(MiB) })));
    t.server.setFaults(undefined);
    expect(err.name).not.toMatch(/Exception$/);
    expect(await archiveCount()).toBe(before);
  });

  it('after a dropped upload the SDK retry stores exactly one archive', async () => {
    const before = await archiveCount();
    t.server.setFaults('UploadArchive:1#1:drop');
    const out = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: bytes(300_000) }));
    t.server.setFaults(undefined);
    expect(out.$metadata.attempts).toBe(2);
    expect(await archiveCount()).toBe(before + 1);
  });

  it('drop on GetJobOutput sends part of the body, then cuts the connection', async () => {
    t.server.setFaults('GetJobOutput:1:drop:1000');
    const client = t.newClient({ maxAttempts: 1 });
    const out = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId }));
    const received = await out.body!.transformToByteArray().then(
      (b) => b.length,
      () => -1,
    );
    t.server.setFaults(undefined);
    expect(received).not.toBe(data.length);
  });

  it('drop on other operations closes the connection without an answer', async () => {
    t.server.setFaults('DescribeVault:1:drop');
    const err = await rejection(t.newClient({ maxAttempts: 1 }).send(new DescribeVaultCommand({ accountId: '-', vaultName })));
    t.server.setFaults(undefined);
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
  });

  it('corrupt flips one byte of the job output but keeps the correct tree-hash header', async () => {
    t.server.setFaults('GetJobOutput:1:corrupt');
    const out = await t.client.send(new GetJobOutputCommand({ accountId: '-', vaultName, jobId }));
    const body = Buffer.from(await out.body!.transformToByteArray());
    t.server.setFaults(undefined);
    expect(out.checksum).toBe(treeHash(data));
    expect(body.length).toBe(data.length);
    let differing = 0;
    for (let i = 0; i < body.length; i++) if (body[i] !== data[i]) differing++;
    expect(differing).toBe(1);
    expect(treeHash(body)).not.toBe(out.checksum);
  });

  it('slow delays the answer by the given milliseconds', async () => {
    t.server.setFaults('*:1:slow:300');
    const started = Date.now();
    await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName }));
    t.server.setFaults(undefined);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('is deterministic for a seed', async () => {
    const pattern = async (seed: number) => {
      const e = await startTestEndpoint({ faults: 'ListVaults:0.5:500', seed });
      try {
        const client = e.newClient({ maxAttempts: 1 });
        const outcome: boolean[] = [];
        for (let i = 0; i < 16; i++) outcome.push(await client.send(new ListVaultsCommand({ accountId: '-' })).then(() => true, () => false));
        return outcome;
      } finally {
        await e.close();
      }
    };
    const a = await pattern(42);
    expect(await pattern(42)).toEqual(a);
    expect(a).toContain(true);
    expect(a).toContain(false);
  });
});
