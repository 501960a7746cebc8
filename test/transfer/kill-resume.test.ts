/**
 * A process uploading an archive is killed with SIGKILL mid-upload (no
 * clean-up runs); a new call with the upload id it reported resumes it.
 */
import { ListPartsCommand } from '@aws-sdk/client-glacier';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { uploadArchive, type UploadProgress } from '../../src/transfer/upload.js';
import { startHarness, testBytes, type Harness } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kill-'));
const data = testBytes(8 * MiB + 99, 11);
const file = join(dir, 'data.bin');
writeFileSync(file, data);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ faults: 'UploadMultipartPart:1:slow:150' });
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

it('resumes an upload whose process was killed with SIGKILL', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures/upload-child.ts'), JSON.stringify({ endpoint: h.env.endpoint, vaultName: 'transfer', file, partSize: MiB })], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let uploadId = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      uploadId = /^id (\S+)$/m.exec(out)?.[1] ?? uploadId;
      if (/^part 3$/m.test(out)) {
        child.kill('SIGKILL');
        resolve();
      }
      if (/^done$/m.test(out)) reject(new Error('the upload finished before it could be killed'));
    });
    child.once('exit', () => reject(new Error(`child exited early: ${stderr}`)));
  });
  expect(await exited).toBe('SIGKILL');
  expect(uploadId).toMatch(/\S/);

  const listed = await h.env.client.send(new ListPartsCommand({ accountId: '-', vaultName: 'transfer', uploadId }));
  const held = listed.Parts?.length ?? 0;
  expect(held).toBeGreaterThanOrEqual(3);
  expect(held).toBeLessThan(9);

  h.env.server.setFaults(undefined);
  h.sent.length = 0;
  const events: UploadProgress[] = [];
  const archive = await uploadArchive(h.target, { body: data, uploadId, onProgress: (p) => events.push(p) });
  expect(archive.checksum).toBe(treeHash(data));
  expect(archive.uploadId).toBe(uploadId);
  expect(h.count('UploadMultipartPart')).toBe(9 - held);
  expect(events.at(-1)).toMatchObject({ loaded: data.length, total: data.length });
  expect(await h.openUploads()).toBe(0);
});
