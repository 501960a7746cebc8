/**
 * Hardening of `glacier download`: a target that is a device or a FIFO is
 * never replaced (even with --force), and a reader that closes the pipe
 * early ends the download quietly. Also the library's range errors.
 */
import { execFileSync, spawn } from 'node:child_process';
import { lstat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CreateVaultCommand, InitiateJobCommand, UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { resource, ValidationError } from '../../src/index.js';
import { bytes } from '../local/util.js';
import { CLI, runCli, useCliFixture } from './run.js';

const fixture = useCliFixture('download-targets');
let jobId: string;

beforeAll(async () => {
  const { client } = fixture.ep;
  await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'v1' }));
  const { archiveId } = await client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'v1', body: bytes(3 * 1024 * 1024) }));
  jobId = (await client.send(new InitiateJobCommand({ accountId: '-', vaultName: 'v1', jobParameters: { Type: 'archive-retrieval', ArchiveId: archiveId } }))).jobId!;
});

describe('glacier download to a special file', () => {
  it('refuses a character device, even with --force, and leaves it a device', async () => {
    const device = join(fixture.work, 'null-device');
    execFileSync('mknod', [device, 'c', '1', '3']);
    const r = await runCli(['download', 'v1', jobId, device, '--force'], fixture.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a regular file/);
    expect((await lstat(device)).isCharacterDevice()).toBe(true);
  });

  it('refuses a FIFO, and leaves it a FIFO', async () => {
    const fifo = join(fixture.work, 'a-fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await runCli(['download', 'v1', jobId, fifo, '--force'], fixture.env);
    expect(r.code).toBe(2);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
  });

  it('writes over a regular file with --force, as before', async () => {
    const file = join(fixture.work, 'plain.bin');
    await writeFile(file, 'old');
    const r = await runCli(['download', 'v1', jobId, file, '--force'], fixture.env);
    expect(r.code, r.stderr).toBe(0);
    expect((await lstat(file)).size).toBe(3 * 1024 * 1024);
  });
});

describe('glacier download to a pipe that closes early', () => {
  it('exits with the SIGPIPE status and no stack trace (download ... - | head -c 10)', async () => {
    // The reader takes the first bytes, then closes its end of the pipe, as head does.
    const cli = spawn(process.execPath, [CLI, 'download', 'v1', jobId, '-', '--no-progress'], { env: fixture.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => cli.stdout.once('data', () => resolve()));
    cli.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => cli.once('close', (c) => resolve(c)));
    expect(code).toBe(141);
    expect(stderr).not.toMatch(/Unhandled|EPIPE|at .*\.js/);
  });
});

describe('range errors of the library', () => {
  const glacier = resource({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const job = glacier.Job('-', 'v', 'JOB');
  const archive = glacier.Archive('-', 'v', 'ARCHIVE');
  const message = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  };
  it('says what is wrong with a negative, fractional or missing end, and with an array', async () => {
    expect(await message(job.getOutput({ range: { start: -1, end: 10 } }))).toMatch(/start is -1; it must be a whole number of bytes, 0 or more/);
    expect(await message(job.getOutput({ range: { start: 1.5, end: 10 } }))).toMatch(/start is 1\.5; it must be a whole number/);
    expect(await message(job.getOutput({ range: [0, 10] as never }))).toMatch(/give "bytes=start-end" or an object \{ start, end \}/);
    expect(await message(job.getOutput({ range: { start: 5, end: 1 } }))).toMatch(/the end must not come before the start/);
    expect(await message(archive.initiateArchiveRetrieval({ range: { start: -1048576, end: 1048575 } }))).toMatch(/start is -1048576/);
    expect(await message(archive.initiateArchiveRetrieval({ range: [0, 1048575] as never }))).toMatch(/give "start-end" or an object/);
  });
});
