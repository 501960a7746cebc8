/**
 * `glacier export` to S3 and with a shared ledger, as a process: bad input
 * is refused before any request (exit 2), a missing bucket says what to do,
 * and `--status --state` reads the ledger and its workers without the vault.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freshDatabase } from '../helpers/databases.js';
import { json, runCli, useCliFixture } from './run.js';

const fx = useCliFixture('export-s3');
let s3: S3Client;

beforeAll(() => {
  s3 = new S3Client({ endpoint: inject('s3Endpoint'), region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
afterAll(() => s3.destroy());

describe('glacier export to S3', () => {
  it('refuses a malformed s3:// target, an unknown storage class and a missing --to before any request (exit 2)', async () => {
    for (const args of [
      ['export', 'v', '--to', 's3://Not_A_Bucket/x'],
      ['export', 'v', '--to', 's3://ok-bucket/x', '--storage-class', 'COLD'],
      ['export', 'v'],
      ['export', 'v', '--to', 's3://ok-bucket', '--lease-seconds', '0'],
    ]) {
      const r = await runCli(args, fx.env);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('says what to do when the bucket does not exist, and exports a vault to a bucket that does', async () => {
    expect((await runCli(['vault', 'create', 'to-s3'], fx.env)).code).toBe(0);
    await writeFile(join(fx.work, 'notes.txt'), 'notes '.repeat(1000));
    const up = await runCli(['upload', join(fx.work, 'notes.txt'), '--vault', 'to-s3'], fx.env);
    expect(up.code, up.stderr).toBe(0);
    const missing = await runCli(['export', 'to-s3', '--to', 's3://no-such-bucket-here/x', '--s3-endpoint', inject('s3Endpoint'), '--state', join(fx.work, 'missing.sqlite')], fx.env);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/no-such-bucket-here does not exist\. Create it/);
    const bucket = `cli-${randomBytes(4).toString('hex')}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const state = await freshDatabase();
    const r = await runCli(['export', 'to-s3', '--to', `s3://${bucket}/v`, '--s3-endpoint', inject('s3Endpoint'), '--state', state, '--tier', 'Expedited', '--no-progress', '--json'], fx.env);
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ finished: boolean; total: number; manifestPath: string }>(r)).toMatchObject({ finished: true, total: 1, manifestPath: `s3://${bucket}/v/.glacier-export/manifest.jsonl` });
    const status = json<{ destination: string; total: number; workers: Array<{ activity: string }> }>(await runCli(['export', 'to-s3', '--status', '--state', state, '--json'], fx.env));
    expect(status.destination).toBe(`s3://${bucket}/v/`);
    expect(status.workers.map((w) => w.activity)).toEqual(['finished']);
    const text = await runCli(['export', 'to-s3', '--status', '--state', state], fx.env);
    expect(text.stdout).toMatch(/Workers:\n .*finished/);
    expect(text.stdout).not.toContain('postgres://');
  });
});
