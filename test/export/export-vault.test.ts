/**
 * The whole-vault export against the local endpoint, with synthetic archives
 * and compressed time: paced over several days of export time, every file
 * verified and in place, resumable from its ledger.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportVault } from '../../src/export/export-vault.js';
import { SqliteLedger } from '../../src/export/ledger.js';
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
  glacier.client.destroy();
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
      for (const a of ledger.inState(['verified'])) {
        const data = await readFile(join(to, a.name));
        expect(data.length).toBe(a.size);
        expect(treeHash(data)).toBe(a.treeHash);
      }
    } finally {
      ledger.close();
    }
    expect((await readdir(join(to, '.glacier-export', 'staging'))).length).toBe(0);
    const again = await exportVault(glacier.Vault('-', 'photos'), { to, timeScale: SCALE });
    expect(again.finished).toBe(true);
    expect(again.counts.verified.archives).toBe(ARCHIVES);
  }, 120_000);
});
