import { afterAll, beforeAll, expect, it } from 'vitest';
import { DownloadError, ValidationError } from '../../src/errors.js';
import { readInventory } from '../../src/transfer/inventory.js';
import { treeHash } from '../../src/transfer/tree-hash.js';
import { uploadArchive } from '../../src/transfer/upload.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
const uploaded: Array<{ archiveId: string; body: string; description: string }> = [];
beforeAll(async () => {
  h = await startHarness();
  for (let i = 0; i < 5; i++) {
    const body = `archive number ${i} `.repeat(i + 1);
    const description = `item "${i}", with a comma`;
    const { archiveId } = await uploadArchive(h.target, { body, archiveDescription: description });
    uploaded.push({ archiveId, body, description });
  }
});
afterAll(() => h.close());

for (const format of ['JSON', 'CSV'] as const) {
  it(`reads a ${format} inventory job into typed records`, async () => {
    const jobId = await h.inventoryJob(format);
    const reader = readInventory({ ...h.target, jobId });
    const records = [];
    for await (const r of reader) records.push(r);
    expect(records).toHaveLength(5);
    for (const u of uploaded) {
      const r = records.find((x) => x.archiveId === u.archiveId);
      expect(r).toMatchObject({ archiveDescription: u.description, size: Buffer.byteLength(u.body), sha256TreeHash: treeHash(u.body) });
      expect(r?.creationDate).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    expect(reader.vaultArn).toMatch(/vaults\/transfer$/);
    if (format === 'JSON') expect(reader.inventoryDate).toMatch(/^\d{4}-/);
  });
}

for (const [jobFormat, asked] of [['JSON', 'CSV'], ['CSV', 'JSON']] as const) {
  it(`refuses to read a ${jobFormat} inventory as ${asked}, naming the job's format`, async () => {
    const jobId = await h.inventoryJob(jobFormat);
    const read = async () => {
      for await (const _ of readInventory({ ...h.target, jobId }, { format: asked })) void _;
    };
    const error = await read().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).parameter).toBe('format');
    expect((error as Error).message).toContain(`produced ${jobFormat} output`);
    expect((error as Error).message).toContain(`format: '${jobFormat}'`);
  });
}

it('reads an inventory when the given format matches the job, in any case', async () => {
  const jobId = await h.inventoryJob('CSV');
  const records = [];
  for await (const r of readInventory({ ...h.target, jobId }, { format: 'csv' as 'CSV' })) records.push(r);
  expect(records).toHaveLength(uploaded.length);
});

it('refuses a job that is not an inventory retrieval', async () => {
  const jobId = await h.retrieve(uploaded[0]!.archiveId);
  const reader = readInventory({ ...h.target, jobId });
  await expect(
    (async () => {
      for await (const _ of reader) void _;
    })(),
  ).rejects.toBeInstanceOf(DownloadError);
});

for (const kind of ['drop', '500'] as const) {
  it(`resumes an inventory download from where it broke off (${kind})`, async () => {
    const jobId = await h.inventoryJob('JSON');
    h.env.server.setFaults(`GetJobOutput:1#2:${kind}`);
    h.sent.length = 0;
    try {
      const records = [];
      for await (const r of readInventory({ ...h.target, jobId }, { retry: { minDelay: 1, maxDelay: 5 } })) records.push(r);
      expect(records.map((r) => r.archiveId).sort()).toEqual(uploaded.map((u) => u.archiveId).sort());
      expect(h.count('GetJobOutput')).toBe(3);
    } finally {
      h.env.server.setFaults(undefined);
    }
  });
}

it('retries an inventory download that stalls', async () => {
  const jobId = await h.inventoryJob('CSV');
  h.env.server.setFaults('GetJobOutput:1#1:slow:5000');
  h.sent.length = 0;
  try {
    const started = Date.now();
    const records = [];
    for await (const r of readInventory({ ...h.target, jobId }, { stallTimeout: 300, retry: { minDelay: 1, maxDelay: 5 } })) records.push(r);
    expect(records).toHaveLength(uploaded.length);
    expect(Date.now() - started).toBeLessThan(4500);
    expect(h.count('GetJobOutput')).toBe(2);
  } finally {
    h.env.server.setFaults(undefined);
  }
});
