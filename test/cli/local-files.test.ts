/**
 * Local files the CLI cannot read or write end in exit code 2 (as the exit
 * code table says), however deep the operation wrapped the error: a missing
 * file or a folder given to `treehash`, a folder as `inventory --output`
 * (refused before any request), and a download whose disk takes no file
 * that large (a file-size limit, EFBIG, as a FAT32 disk gives at 4 GiB).
 * Also: resuming an upload Glacier does not know is "not found" (3), a
 * retrieval range may end at the archive's last byte without the CLI
 * knowing the size, and a file name outside ASCII is kept in the
 * description in mt-aws-glacier's mt2 encoding.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateVaultCommand, InitiateJobCommand, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeDescription } from '../../src/export/names.js';
import { CLI, finish, json, runCli, useCliFixture } from './run.js';

const MiB = 1024 * 1024;
const fixture = useCliFixture('local-files');
const data = randomBytes(3 * MiB + 17);
let archiveId: string;

beforeAll(async () => {
  await fixture.ep.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'files' }));
  archiveId = (await fixture.ep.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'files', body: data }))).archiveId!;
});

/** A completed retrieval job of the test archive. */
async function retrieval(range?: string): Promise<string> {
  const job = await fixture.ep.client.send(
    new InitiateJobCommand({ accountId: '-', vaultName: 'files', jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId, ...(range ? { RetrievalByteRange: range } : {}) } }),
  );
  return job.jobId!;
}

describe('local files and exit codes', () => {
  it('treehash: a missing file and a folder are usage errors (2), not crashes', async () => {
    const missing = await runCli(['treehash', join(fixture.work, 'no-such-file')], fixture.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/ENOENT/);
    const folder = await runCli(['treehash', fixture.work], fixture.env);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/EISDIR|directory/);
  });

  it('inventory --output: a folder is refused before any request, even with --force', async () => {
    const dir = join(fixture.work, 'a-folder');
    await mkdir(dir);
    const r = await runCli(['inventory', 'files', '--job', 'JOB', '--output', dir, '--force'], fixture.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a directory; give a file name/);
  });

  it('download: a disk that takes no file that large (EFBIG) is exit 2, and the same command without the limit then finishes', async () => {
    const jobId = await retrieval();
    const file = join(fixture.work, 'big.bin');
    // bash's ulimit -f counts KiB: at most 1 MiB per file for the CLI process.
    const child = spawn('bash', ['-c', 'ulimit -f 1024 && exec "$0" "$@"', process.execPath, CLI, 'download', 'files', jobId, file, '--chunk-size', '1MiB', '--concurrency', '1'], {
      env: fixture.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const r = await finish(child);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/EFBIG|too large/i);
    expect(existsSync(file)).toBe(false);
    // Without the limit, the same command finishes the download.
    const again = await runCli(['download', 'files', jobId, file, '--chunk-size', '1MiB'], fixture.env);
    expect(again.code, again.stderr).toBe(0);
    expect((await readFile(file)).equals(data)).toBe(true);
  });

  it('download from a vault that does not exist says so, instead of blaming the job (3)', async () => {
    const r = await runCli(['download', 'no-such-vault', 'JOB', join(fixture.work, 'x.bin')], fixture.env);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/the vault does not exist in this account and Region/);
    expect(r.stderr).not.toMatch(/keeps a job/);
  });

  it('upload --resume with an upload id Glacier does not know is "not found" (3)', async () => {
    const path = join(fixture.work, 'resume.bin');
    await writeFile(path, randomBytes(2 * MiB));
    const r = await runCli(['upload', path, '--vault', 'files', '--part-size', '1MiB', '--resume', 'no-such-upload-id'], fixture.env);
    expect(r.code, r.stderr).toBe(3);
  });

  it('retrieve --range may end at the last byte of an archive whose size the CLI does not know', async () => {
    const last = `${3 * MiB}-${data.length - 1}`;
    const r = await runCli(['--json', 'retrieve', 'files', archiveId, '--range', last], fixture.env);
    expect(r.code, r.stderr).toBe(0);
    const { jobId } = json<{ jobId: string }>(r);
    const file = join(fixture.work, 'tail.bin');
    expect((await runCli(['download', 'files', jobId, file, '--wait', '--poll-interval', '50ms'], fixture.env)).code).toBe(0);
    expect((await readFile(file)).equals(data.subarray(3 * MiB))).toBe(true);
    // An end that is neither: Glacier refuses it, and the CLI says so.
    const wrong = await runCli(['retrieve', 'files', archiveId, '--range', `${3 * MiB}-${data.length - 2}`], fixture.env);
    expect(wrong.code).toBe(4);
    expect(wrong.stderr).toMatch(/InvalidParameterValueException/);
  });

  it("upload: a file name outside ASCII becomes an mt2 description that decodes back to it, and the CLI says so", async () => {
    const path = join(fixture.work, 'Fotos München ☕.bin');
    await writeFile(path, randomBytes(1000));
    const r = await runCli(['--json', 'upload', path, '--vault', 'files'], fixture.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/not printable ASCII.*mt2/);
    const { description } = json<{ description: string }>(r);
    expect(description).toMatch(/^mt2 [A-Za-z0-9_-]+$/);
    expect(decodeDescription(description)).toMatchObject({ format: 'mt2', path: 'Fotos München ☕.bin' });
  });
});
