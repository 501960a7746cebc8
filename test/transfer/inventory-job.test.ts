import { afterAll, beforeAll, expect, it } from 'vitest';
import { DownloadError } from '../../src/errors.js';
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

it('refuses a job that is not an inventory retrieval', async () => {
  const jobId = await h.retrieve(uploaded[0]!.archiveId);
  const reader = readInventory({ ...h.target, jobId });
  await expect(
    (async () => {
      for await (const _ of reader) void _;
    })(),
  ).rejects.toBeInstanceOf(DownloadError);
});
