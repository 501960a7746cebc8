/**
 * The whole run at the size the export is built for: a vault of 10,000
 * synthetic archives with mixed descriptions, exported on compressed time
 * with a daily budget that forces more than three days of pacing. Every file
 * is verified, names are decoded (mtimes restored), and no collision loses a file.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resource, SqliteLedger, type ServiceResource } from '../../src/index.js';
import { startLocalGlacier, type LocalGlacier } from '../../src/local/index.js';
import { seedVault } from '../../src/local/seed.js';
import { treeHash } from '../../src/transfer/tree-hash.js';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';

const SCALE = 5_000; // a day in 17 s: outputs outlive a flight of 200 at the export's pace
const ARCHIVES = 10_000;
let root: string;
let g: LocalGlacier;
let glacier: ServiceResource;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glacier-whole-run-'));
  await seedVault({ dataDir: join(root, 'endpoint'), vault: 'big', archives: ARCHIVES, size: { min: 1, max: 4096 }, descriptions: 'mixed', seed: 3 });
  g = await startLocalGlacier({ dataDir: join(root, 'endpoint'), timeScale: SCALE });
  glacier = resource({ endpoint: g.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
}, 60_000);

afterAll(async () => {
  glacier.meta.client.destroy();
  await g.close();
  await rm(root, { recursive: true, force: true });
});

it(`exports ${ARCHIVES} archives with mixed descriptions over three paced days, every file verified under its decoded name`, async () => {
  const vault = glacier.Vault('-', 'big');
  await vault.load();
  const total = vault.sizeInBytes!;
  const to = join(root, 'out');
  let firstStart = 0;
  let lastStart = 0;
  const report = await vault.export({
    to,
    bytesPerDay: Math.ceil(total / 3.2),
    maxJobsInFlight: 200,
    concurrency: 8,
    timeScale: SCALE,
    onProgress: (p) => {
      if (p.event !== 'started') return;
      lastStart = Date.now();
      firstStart ||= lastStart;
    },
  });
  expect(report.finished).toBe(true);
  expect(report.counts.verified.archives).toBe(ARCHIVES);
  expect(report.counts.verified.bytes).toBe(total);
  expect(report.skipped).toBe(0);
  expect(report.requests.count).toBe(ARCHIVES);
  expect(((lastStart - firstStart) * SCALE) / 86_400_000).toBeGreaterThan(3);
  const ledger = new SqliteLedger(join(to, '.glacier-export', 'ledger.sqlite'));
  try {
    const names = new Set<string>();
    let decoded = 0;
    let withMtime = 0;
    let checked = 0;
    for await (const a of ledger.all()) {
      names.add(a.name.toLowerCase());
      if (a.name.startsWith('photos/') || a.name.startsWith('fotos/')) decoded++;
      if (a.mtime !== null) {
        withMtime++;
        if (withMtime <= 50) expect((await stat(join(to, a.name))).mtimeMs).toBe(a.mtime);
      }
      if (checked++ % 25 === 0) expect(treeHash(await readFile(join(to, a.name)))).toBe(a.treeHash);
    }
    expect(names.size).toBe(ARCHIVES);
    expect(decoded).toBeGreaterThan(ARCHIVES / 2);
    expect(withMtime).toBeGreaterThan(0);
  } finally {
    await ledger.close();
  }
}, 1_200_000);
