import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateVaultCommand,
  DeleteArchiveCommand,
  DescribeVaultCommand,
  InvalidParameterValueException,
  MissingParameterValueException,
  ResourceNotFoundException,
  UploadArchiveCommand,
  type GlacierClient,
} from '@aws-sdk/client-glacier';
import { treeHash } from '../../src/transfer/tree-hash.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { bytes, rawRequest, rejection } from './util.js';

let t: TestEndpoint;
beforeAll(async () => {
  t = await startTestEndpoint();
  await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'arch' }));
});
afterAll(async () => t.close());

/** A client whose requests get one header replaced (or removed) after the SDK computed checksums, before signing. */
function clientWithHeader(name: string, value: string | undefined): GlacierClient {
  const client = t.newClient();
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = (args as unknown as { request: { headers: Record<string, string> } }).request;
      if (value === undefined) delete request.headers[name];
      else request.headers[name] = value;
      return next(args);
    },
    { step: 'build', priority: 'low', name: `override-${name}` },
  );
  return client;
}

describe('UploadArchive', () => {
  it('answers 201 with Location, x-amz-archive-id and the tree hash of the bytes', async () => {
    const data = bytes(3 * 1024 * 1024 + 17);
    const out = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'arch', body: data, archiveDescription: 'three and a bit MiB' }));
    expect(out.$metadata.httpStatusCode).toBe(201);
    expect(out.checksum).toBe(treeHash(data));
    expect(out.archiveId).toMatch(/^[A-Za-z0-9_-]{138}$/);
    expect(out.location).toBe(`/123456789012/vaults/arch/archives/${out.archiveId}`);
  });

  it('gives identical content a new, unrelated id on every upload', async () => {
    const data = Buffer.from('same bytes');
    const a = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'arch', body: data }));
    const b = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'arch', body: data }));
    expect(a.archiveId).not.toBe(b.archiveId);
    expect(a.checksum).toBe(b.checksum);
    expect(a.archiveId).not.toContain(a.checksum!.slice(0, 16));
  });

  it('rejects a wrong tree hash with 400 InvalidParameterValueException and stores nothing', async () => {
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'arch-bad' }));
    const err = await rejection(t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'arch-bad', body: bytes(2 * 1024 * 1024), checksum: 'ab'.repeat(32) })));
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.message).toMatch(/^Checksum mismatch: expected abab/);
    expect((await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'arch-bad' }))).NumberOfArchives).toBe(0);
  });

  it('rejects a wrong x-amz-content-sha256', async () => {
    const client = clientWithHeader('x-amz-content-sha256', 'cd'.repeat(32));
    const err = await rejection(client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'arch-bad', body: bytes(5000) })));
    expect(err).toBeInstanceOf(InvalidParameterValueException);
    expect(err.message).toMatch(/x-amz-content-sha256 does not match computed payload hash/);
    expect((await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'arch-bad' }))).NumberOfArchives).toBe(0);
  });

  it('answers 400 MissingParameterValueException without a tree hash header', async () => {
    const client = clientWithHeader('x-amz-sha256-tree-hash', undefined);
    const err = await rejection(client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'arch-bad', body: bytes(10) })));
    expect(err).toBeInstanceOf(MissingParameterValueException);
  });

  it('checks the description: printable ASCII, at most 1024 characters', async () => {
    const ok = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'arch', body: bytes(10), archiveDescription: 'x'.repeat(1024) }));
    expect(ok.archiveId).toBeDefined();
    const long = await rejection(t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'arch', body: bytes(10), archiveDescription: 'x'.repeat(1025) })));
    expect(long).toBeInstanceOf(InvalidParameterValueException);
    const latin = await rejection(t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'arch', body: bytes(10), archiveDescription: 'caf\u00e9' })));
    expect(latin).toBeInstanceOf(InvalidParameterValueException);
  });

  it('refuses an empty archive', async () => {
    const res = await rawRequest(t.endpoint, 'POST', '/-/vaults/arch/archives', {
      body: Buffer.alloc(0),
      headers: { 'x-amz-sha256-tree-hash': treeHash(Buffer.alloc(0)) },
    });
    expect(res.status).toBe(400);
    expect(res.json().code).toBe('InvalidParameterValueException');
  });

  it('answers 404 for a missing vault', async () => {
    expect(await rejection(t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'nope', body: bytes(10) })))).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('DeleteArchive', () => {
  it('deletes, is idempotent for a day for a deleted archive, and answers 404 for an unknown id', async () => {
    await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'del' }));
    const { archiveId } = await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'del', body: bytes(100) }));
    const out = await t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'del', archiveId }));
    expect(out.$metadata.httpStatusCode).toBe(204);
    expect((await t.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'del' }))).NumberOfArchives).toBe(0);
    const again = await t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'del', archiveId }));
    expect(again.$metadata.httpStatusCode).toBe(204);
    const unknown = await rejection(t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'del', archiveId: 'x'.repeat(138) })));
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    t.server.clock.advance(24 * 3600_000 + 1000);
    const forgotten = await rejection(t.client.send(new DeleteArchiveCommand({ accountId: '-', vaultName: 'del', archiveId })));
    expect(forgotten).toBeInstanceOf(ResourceNotFoundException);
  });
});
