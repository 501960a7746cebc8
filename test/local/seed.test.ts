/**
 * `glacier-local seed` as a process, and the descriptions it writes, checked
 * against the formats and examples of the tools that write them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetJobOutputCommand, GlacierClient, InitiateJobCommand } from '@aws-sdk/client-glacier';
import { cloudBerryDescription, compactDate, fastGlacierDescription, mt2Description, syntheticDescription } from '../../src/local/descriptions.js';
import { startLocalGlacier } from '../../src/local/index.js';
import { seedVault } from '../../src/local/seed.js';
import { TEST_CREDENTIALS } from '../helpers/endpoint.js';
import { CLI_SOURCE } from './child.js';

const run = promisify(execFile);
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'glacier-seed-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

function seedCli(args: string[]) {
  return run(process.execPath, ['--import', 'tsx', CLI_SOURCE, 'seed', ...args], { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
}

describe('descriptions as real tools write them', () => {
  it("mt-aws-glacier's mt2 (the example of its own test suite)", () => {
    expect(mt2Description('file', 1352924178_000)).toBe('mt2 eyJmaWxlbmFtZSI6ImZpbGUiLCJtdGltZSI6IjIwMTIxMTE0VDIwMTYxOFoifQ');
  });

  it("FastGlacier's v4 (the example of AWS's vault-to-S3 solution's tests)", () => {
    const path = 'FX150/CBB_figure/ee4c3c19-490d-407e-8be7-889be41b48bb.cbb';
    expect(fastGlacierDescription(path, Date.UTC(2019, 0, 21, 8, 52, 42))).toBe(
      '<m><v>4</v><p>RlgxNTAvQ0JCX2ZpZ3VyZS9lZTRjM2MxOS00OTBkLTQwN2UtOGJlNy04ODliZTQxYjQ4YmIuY2Ji</p><lm>20190121T085242Z</lm></m>',
    );
  });

  it("CloudBerry's JSON", () => {
    expect(cloudBerryDescription('a/b.txt', Date.UTC(2010, 2, 10, 11, 6, 23))).toBe('{"Path":"a/b.txt","UTCDateModified":"20100310T110623Z"}');
    expect(compactDate(Date.UTC(2010, 2, 10, 11, 6, 23))).toBe('20100310T110623Z');
  });

  it('mixed: every style, empty and odd ones, non-ASCII paths, duplicates; all printable ASCII of at most 1024 characters', () => {
    const all = Array.from({ length: 400 }, (_, i) => syntheticDescription('mixed', i, Date.UTC(2020, 0, 1)));
    for (const d of all) expect(d).toMatch(/^[\x20-\x7e]{0,1024}$/);
    expect(all.some((d) => d.startsWith('mt2 '))).toBe(true);
    expect(all.some((d) => d.startsWith('<m><v>4</v>'))).toBe(true);
    expect(all.some((d) => d.startsWith('{"Path"'))).toBe(true);
    expect(all).toContain('');
    expect(all.some((d) => d.includes('../'))).toBe(true);
    expect(all.filter((d) => d === 'duplicate/name.txt').length).toBeGreaterThan(1);
    expect(all).toContain('mt2 not-base64-json!');
    const decoded = all.filter((d) => /^mt2 [A-Za-z0-9_-]+$/.test(d)).map((d) => JSON.parse(Buffer.from(d.slice(4), 'base64url').toString('utf8')) as { filename: string });
    expect(decoded.some((m) => /[^\x00-\x7f]/.test(m.filename))).toBe(true);
  });
});

describe('glacier-local seed', () => {
  it('fills a data directory that an endpoint then serves; seeding again adds new archives', async () => {
    const dataDir = join(root, 'cli');
    const { stdout } = await seedCli(['--data-dir', dataDir, '--vault', 'photos', '--archives', '500', '--size', '10-5000', '--descriptions', 'mt2', '--seed', '3']);
    expect(stdout).toMatch(/^seeded 500 archives \(\d+ bytes\) into vault photos/);
    await seedVault({ dataDir, vault: 'photos', archives: 100, seed: 3 });
    const g = await startLocalGlacier({ dataDir, jobDelay: 0, inventory: 'daily' });
    const client = new GlacierClient({ region: 'us-east-1', endpoint: g.endpoint, credentials: TEST_CREDENTIALS });
    try {
      const job = await client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'photos', jobParameters: { Type: 'inventory-retrieval' } }));
      const out = await client.send(new GetJobOutputCommand({ accountId: '-', vaultName: 'photos', jobId: job.jobId }));
      const list = (JSON.parse(await out.body!.transformToString()) as { ArchiveList: Array<{ ArchiveDescription: string; Size: number; SHA256TreeHash: string }> }).ArchiveList;
      expect(list).toHaveLength(600);
      expect(new Set(list.map((a) => a.SHA256TreeHash)).size).toBe(600);
      const mt2 = list.filter((a) => a.ArchiveDescription.startsWith('mt2 '));
      expect(mt2).toHaveLength(500);
      for (const a of mt2) {
        expect(a.Size).toBeGreaterThanOrEqual(10);
        expect(a.Size).toBeLessThanOrEqual(5000);
        const meta = JSON.parse(Buffer.from(a.ArchiveDescription.replace(/^mt2 /, ''), 'base64url').toString('utf8')) as { filename: string; mtime: string };
        expect(meta.filename).toMatch(/^photos\/\d{4}\//);
        expect(meta.mtime).toMatch(/^\d{8}T\d{6}Z$/);
      }
      const plain = list.filter((a) => !a.ArchiveDescription.startsWith('mt2 '));
      expect(plain.every((a) => a.Size === 1024 && a.ArchiveDescription.startsWith('photos/'))).toBe(true);
    } finally {
      client.destroy();
      await g.close();
    }
  }, 60_000);

  it('refuses bad options with a usage error, and a data directory in use', async () => {
    const bad = await seedCli(['--data-dir', join(root, 'bad'), '--vault', 'v', '--archives', '10', '--size', '9-3']).catch((e: { code: number; stderr: string }) => e);
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/size range 9-3 is empty/);
    const dataDir = join(root, 'busy');
    const g = await startLocalGlacier({ dataDir });
    try {
      const busy = await seedCli(['--data-dir', dataDir, '--vault', 'v', '--archives', '10']).catch((e: { code: number; stderr: string }) => e);
      expect(busy).toMatchObject({ code: 1 });
      expect((busy as { stderr: string }).stderr).toMatch(/in use by another glacier-local endpoint/);
    } finally {
      await g.close();
    }
  }, 60_000);
});
