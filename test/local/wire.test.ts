import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateVaultCommand, InitiateJobCommand, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { bytes, rawRequest } from './util.js';

let t: TestEndpoint;
const data = bytes(MiB + 300);
let jobId: string;
let archiveId: string;
beforeAll(async () => {
  t = await startTestEndpoint();
  await t.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'wire' }));
  archiveId = (await t.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'wire', body: data, archiveDescription: 'wire test' }))).archiveId!;
  jobId = (await t.client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'wire', jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }))).jobId!;
});
afterAll(async () => t.close());

describe('wire format', () => {
  it('sends x-amzn-RequestId on every kind of answer, unique per request', async () => {
    const answers = await Promise.all([
      rawRequest(t.endpoint, 'PUT', '/-/vaults/wire'),
      rawRequest(t.endpoint, 'GET', '/-/vaults/wire'),
      rawRequest(t.endpoint, 'GET', `/-/vaults/wire/jobs/${jobId}/output`),
      rawRequest(t.endpoint, 'DELETE', '/-/vaults/wire/notification-configuration'),
      rawRequest(t.endpoint, 'GET', '/-/vaults/absent'),
      rawRequest(t.endpoint, 'PATCH', '/-/vaults/wire'),
    ]);
    expect(answers.map((a) => a.status)).toEqual([201, 200, 200, 204, 404, 404]);
    const ids = answers.map((a) => a.headers['x-amzn-requestid']);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(answers[5]!.json()).toMatchObject({ code: 'UnknownOperationException', type: 'Client' });
  });

  it('answers GetJobOutput ranges as HTTP does: open-ended and suffix ranges, Content-Length', async () => {
    const path = `/-/vaults/wire/jobs/${jobId}/output`;
    const open = await rawRequest(t.endpoint, 'GET', path, { headers: { range: `bytes=${MiB}-` } });
    expect(open.status).toBe(206);
    expect(open.headers['content-range']).toBe(`bytes ${MiB}-${data.length - 1}/${data.length}`);
    expect(open.body.equals(data.subarray(MiB))).toBe(true);
    expect(open.headers['x-amz-sha256-tree-hash']).toBe(treeHash(data.subarray(MiB)));
    const suffix = await rawRequest(t.endpoint, 'GET', path, { headers: { range: 'bytes=-10' } });
    expect(suffix.body.equals(data.subarray(data.length - 10))).toBe(true);
    expect(suffix.headers['content-length']).toBe('10');
    const clamped = await rawRequest(t.endpoint, 'GET', path, { headers: { range: `bytes=0-${data.length + 1000}` } });
    expect(clamped.body.length).toBe(data.length);
    const whole = await rawRequest(t.endpoint, 'GET', path);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.headers['x-amz-archive-description']).toBe('wire test');
    expect(whole.headers['content-length']).toBe(String(data.length));
    const bad = await rawRequest(t.endpoint, 'GET', path, { headers: { range: 'lines=1-2' } });
    expect(bad.status).toBe(400);
  });

  it('checks a part request Content-Length against its Content-Range before reading the body', async () => {
    const init = await rawRequest(t.endpoint, 'POST', '/-/vaults/wire/multipart-uploads', { headers: { 'x-amz-part-size': String(MiB) } });
    const uploadId = init.headers['x-amz-multipart-upload-id'] as string;
    expect(init.headers.location).toBe(`/123456789012/vaults/wire/multipart-uploads/${uploadId}`);
    const body = bytes(100);
    const res = await rawRequest(t.endpoint, 'PUT', `/-/vaults/wire/multipart-uploads/${uploadId}`, {
      body,
      headers: { 'content-range': 'bytes 0-199/*', 'x-amz-sha256-tree-hash': treeHash(body) },
    });
    expect(res.status).toBe(400);
    expect(res.json().code).toBe('InvalidParameterValueException');
    const ok = await rawRequest(t.endpoint, 'PUT', `/-/vaults/wire/multipart-uploads/${uploadId}`, {
      body,
      headers: { 'content-range': 'bytes 0-99/*', 'x-amz-sha256-tree-hash': treeHash(body) },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers['x-amz-sha256-tree-hash']).toBe(treeHash(body));
  });

  it('uses PascalCase JSON with numbers, booleans and nulls as AWS does', async () => {
    const job = await rawRequest(t.endpoint, 'GET', `/-/vaults/wire/jobs/${jobId}`);
    const json = job.json();
    expect(json).toMatchObject({ Completed: true, ArchiveSizeInBytes: data.length, InventorySizeInBytes: null, JobDescription: null, Action: 'ArchiveRetrieval' });
    expect(Object.keys(json).every((k) => /^[A-Z]/.test(k))).toBe(true);
    const vault = await rawRequest(t.endpoint, 'GET', '/-/vaults/wire');
    expect(typeof vault.json().NumberOfArchives).toBe('number');
  });

  it('verifies x-amz-content-sha256 of JSON bodies too', async () => {
    const body = JSON.stringify({ Type: 'inventory-retrieval' });
    const res = await rawRequest(t.endpoint, 'POST', '/-/vaults/wire/jobs', {
      body,
      headers: { 'x-amz-content-sha256': createHash('sha256').update('something else').digest('hex') },
    });
    expect(res.status).toBe(400);
    expect(res.json().code).toBe('InvalidParameterValueException');
  });
});
