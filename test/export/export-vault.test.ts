/**
 * The whole-vault export against the local endpoint, with synthetic archives
 * and compressed time: paced over several days of export time, every file
 * verified and in place, resumable from its ledger.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportVault, type ExportProgress } from '../../src/export/export-vault.js';
import { SqliteLedger } from '../../src/export/ledger-sqlite.js';
import { resource, type ServiceResource } from '../../src/index.js';
import { startLocalGlacier, type LocalGlacier } from '../../src/local/index.js';
import { seedVault } from '../../src/local/seed.js';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';

const SCALE = 20_000; // a day in 4.3 s: Bulk jobs take 1-2 s, outputs live 4.3 s
const ARCHIVES = 60;
let root: string;
let g: LocalGlacier;
let glacier: ServiceResource;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glacier-export-'));
  const dataDir = join(root, 'endpoint');
  await seedVault({ dataDir, vault: 'photos', archives: ARCHIVES, size: { min: 1, max: 2 * MiB }, seed: 11 });
  g = await startLocalGlacier({ dataDir, timeScale: SCALE });
  glacier = resource({ endpoint: g.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
}, 60_000);

afterAll(async () => {
  glacier.meta.client.destroy();
  await g.close();
  await rm(root, { recursive: true, force: true });
});

async function sizeOfVault(): Promise<number> {
  const vault = glacier.Vault('-', 'photos');
  await vault.load();
  return vault.sizeInBytes!;
}

describe('exportVault to a directory', () => {
  it('paces retrievals over three days of budget, verifies every file, and a rerun finds nothing to do', async () => {
    const to = join(root, 'out');
    const total = await sizeOfVault();
    const bytesPerDay = Math.ceil(total / 3.5);
    const started: number[] = [];
    const report = await exportVault(glacier.Vault('-', 'photos'), {
      to,
      bytesPerDay,
      maxJobsInFlight: 10,
      timeScale: SCALE,
      onProgress: (p) => {
        if (p.event === 'started') started.push(Date.now());
      },
    });
    expect(report.finished).toBe(true);
    expect(report.counts.verified.archives).toBe(ARCHIVES);
    expect(report.counts.verified.bytes).toBe(total);
    // Paced: the retrievals spread over more than three days of export time.
    expect(((started.at(-1)! - started[0]!) * SCALE) / 86_400_000).toBeGreaterThan(2.5);
    const ledger = new SqliteLedger(join(to, '.glacier-export', 'ledger.sqlite'));
    try {
      for (const a of await ledger.inState(['verified'])) {
        const data = await readFile(join(to, a.name));
        expect(data.length).toBe(a.size);
        expect(treeHash(data)).toBe(a.treeHash);
      }
    } finally {
      await ledger.close();
    }
    expect((await readdir(join(to, '.glacier-export', 'staging'))).length).toBe(0);
    const again = await exportVault(glacier.Vault('-', 'photos'), { to, timeScale: SCALE });
    expect(again.finished).toBe(true);
    expect(again.counts.verified.archives).toBe(ARCHIVES);
  }, 120_000);

  it('retrieves again an output that expired before it was downloaded (vault.export, one pass at a time)', async () => {
    const to = join(root, 'expired');
    const events: ExportProgress['event'][] = [];
    const onProgress = (p: ExportProgress) => events.push(p.event);
    const vault = glacier.Vault('-', 'photos');
    const first = await vault.export({ to, maxJobsInFlight: 3, timeScale: SCALE, once: true, onProgress });
    expect(first.finished).toBe(false);
    expect(first.counts.requested.archives).toBe(3);
    // Bulk jobs take at most 12 h and outputs live 24 h: after 40 h of endpoint time all three are gone.
    await new Promise((r) => setTimeout(r, (40 * 3_600_000) / SCALE));
    const second = await vault.export({ to, maxJobsInFlight: 3, timeScale: SCALE, once: true, onProgress });
    expect(events.filter((e) => e === 'retry')).toHaveLength(3);
    expect(second.counts.verified.archives).toBe(0);
    const done = await vault.export({ to, maxJobsInFlight: 20, timeScale: SCALE, onProgress });
    expect(done.finished).toBe(true);
    expect(done.counts.verified.archives).toBe(ARCHIVES);
  }, 120_000);

  it('slows down on a data-retrieval-policy refusal instead of failing, and ends complete under injected faults', async () => {
    const to = join(root, 'refused');
    await glacier.Account('-').setDataRetrievalPolicy({ Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: 3 * MiB }] });
    const faults = 'DescribeJob:0.1:500,GetJobOutput:0.1:500,InitiateJob:0.1:throttle';
    g.setFaults(faults);
    const events: ExportProgress['event'][] = [];
    // Outputs are corrupted in flight only once the plan is made: an inventory has no tree hash,
    // so a flipped byte in an archive id there could not be caught (TLS prevents it on AWS).
    const onProgress = (p: ExportProgress) => {
      events.push(p.event);
      if (p.event === 'planned') g.setFaults(`${faults},GetJobOutput:0.05:corrupt`);
    };
    try {
      const report = await glacier.Vault('-', 'photos').export({ to, tier: 'Standard', maxJobsInFlight: 10, timeScale: SCALE, onProgress });
      expect(report.finished).toBe(true);
      expect(report.counts.verified.archives).toBe(ARCHIVES);
      expect(report.counts.failed.archives).toBe(0);
      expect(events.filter((e) => e === 'retry').length).toBeGreaterThan(0);
    } finally {
      g.setFaults(undefined);
      await glacier.Account('-').setDataRetrievalPolicy({ Rules: [{ Strategy: 'FreeTier' }] });
    }
  }, 180_000);
});
