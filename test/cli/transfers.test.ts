import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CreateVaultCommand,
  DescribeJobCommand,
  InitiateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/cli/format.js';
import { treeHash } from '../../src/transfer/tree-hash.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';
import { cliEnv, useCliFixture, finish, json, runCli, startCli, type CliResult } from './run.js';

const MiB = 1024 * 1024;
const fixture = useCliFixture('transfers');
let ep: TestEndpoint;
let env: NodeJS.ProcessEnv;
let work: string;
beforeAll(() => {
  ({ ep, env, work } = fixture);
});

async function makeFile(name: string, size: number): Promise<{ path: string; bytes: Buffer }> {
  const bytes = randomBytes(size);
  const path = join(work, name);
  await writeFile(path, bytes);
  return { path, bytes };
}

async function uploadSmall(vaultName: string, text: string, description = text): Promise<string> {
  const out = await ep.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body: Buffer.from(text), archiveDescription: description }));
  return out.archiveId!;
}

/** Waits until `check()` is true (polling), or fails after `ms`. */
async function until(check: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts the CLI and interrupts it with `signal` (SIGINT: Ctrl-C) once `ready(stderr)` holds. */
async function interruptWhen(
  args: string[],
  ready: (stderr: string) => boolean | Promise<boolean>,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<CliResult> {
  const child = startCli(args, env);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = finish(child);
  await until(() => ready(stderr));
  child.kill(signal);
  return done;
}

describe('glacier upload', () => {
  it('uploads a file (multipart with --part-size), prints the upload id early, and returns the verified checksum', async () => {
    await ep.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'up-vault' }));
    const { path, bytes } = await makeFile('five.bin', 5 * MiB + 17);
    const r = await runCli(['--json', 'upload', path, '--vault', 'up-vault', '--part-size', '1MiB', '--concurrency', '2', '--description', 'five parts'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = json(r);
    expect(out).toMatchObject({ vault: 'up-vault', checksum: treeHash(bytes), size: bytes.length, description: 'five parts' });
    expect(out.archiveId).toEqual(expect.any(String));
    expect(r.stderr).toMatch(new RegExp(`^upload id: ${String(out.uploadId)}$`, 'm'));
    // Not a terminal: plain progress lines, no redraws.
    expect(r.stderr).toMatch(/^upload 100% \| 5\.0 MiB \/ 5\.0 MiB \| .* \| ETA done in /m);
    expect(r.stderr).not.toMatch(/\r|\x1b\[/);
  });

  it("uploads standard input with '-' (length unknown: multipart, bytes and rate only)", async () => {
    const bytes = randomBytes(3 * MiB + 5);
    const r = await runCli(['--json', 'upload', '-', '--vault', 'up-vault', '--part-size', '1MiB', '--description', 'from a pipe'], env, bytes);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ checksum: treeHash(bytes), size: bytes.length, description: 'from a pipe' });
    expect(r.stderr).toMatch(/^upload id: /m);
    expect(r.stderr).toMatch(/^upload 3\.0 MiB \| .* \| done in /m);
  });

  it('a small file without --part-size goes up in one request, described by its file name', async () => {
    const { path, bytes } = await makeFile('small.txt', 1000);
    const r = await runCli(['upload', path, '--vault', 'up-vault'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`tree hash:  ${treeHash(bytes)}`);
    expect(r.stderr).not.toContain('upload id:');
  });

  it('after Ctrl-C the parts are kept, and --resume finishes the same upload', async () => {
    const { path, bytes } = await makeFile('resume.bin', 6 * MiB);
    ep.server.setFaults('UploadMultipartPart:1:slow:300');
    const interrupted = await interruptWhen(
      ['upload', path, '--vault', 'up-vault', '--part-size', '1MiB', '--concurrency', '1'],
      (stderr) => /upload id: \S+/.test(stderr),
    );
    ep.server.setFaults(undefined);
    expect(interrupted.code).toBe(130);
    const uploadId = /upload id: (\S+)/.exec(interrupted.stderr)?.[1];
    expect(uploadId).toBeDefined();
    expect(interrupted.stderr).toContain(`--resume ${uploadId}`);
    const uploads = await ep.client.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: 'up-vault' }));
    expect(uploads.UploadsList?.map((u) => u.MultipartUploadId)).toContain(uploadId);

    const resumed = await runCli(['--json', 'upload', path, '--vault', 'up-vault', '--part-size', '1MiB', '--resume', uploadId!], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(json(resumed)).toMatchObject({ checksum: treeHash(bytes), size: bytes.length, uploadId });
    const after = await ep.client.send(new ListMultipartUploadsCommand({ accountId: '-', vaultName: 'up-vault' }));
    expect(after.UploadsList ?? []).toHaveLength(0);
  });

  it('lists unfinished multipart uploads and aborts one; deletes a single archive', async () => {
    await ep.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'mpu-vault' }));
    const started = await ep.client.send(
      new InitiateMultipartUploadCommand({ accountId: '-', vaultName: 'mpu-vault', partSize: String(2 * MiB), archiveDescription: 'half done' }),
    );
    const listed = json<Array<{ uploadId: string; archiveDescription: string; partSizeInBytes: number }>>(await runCli(['--json', 'uploads', 'mpu-vault'], env));
    expect(listed).toEqual([expect.objectContaining({ uploadId: started.uploadId, archiveDescription: 'half done', partSizeInBytes: 2 * MiB })]);
    const table = await runCli(['uploads', 'mpu-vault'], env);
    expect(table.stdout).toMatch(/^CREATED\s+PART SIZE\s+DESCRIPTION\s+UPLOAD ID$/m);
    expect(table.stdout).toContain(started.uploadId!);

    const aborted = await runCli(['abort-upload', 'mpu-vault', started.uploadId!], env);
    expect(aborted.code, aborted.stderr).toBe(0);
    expect((await runCli(['uploads', 'mpu-vault'], env)).stdout).toContain('No unfinished multipart uploads.');

    const id = (await ep.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'mpu-vault', body: Buffer.from('one') }))).archiveId!;
    const deleted = await runCli(['--json', 'archive', 'delete', 'mpu-vault', '--', id], env);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(json(deleted)).toEqual({ vault: 'mpu-vault', archiveId: id, deleted: true });
    expect((await runCli(['vault', 'delete', 'mpu-vault'], env)).code).toBe(0);
  });

  it('after kill -9 the printed upload id still resumes the upload', async () => {
    const { path, bytes } = await makeFile('killed.bin', 6 * MiB);
    ep.server.setFaults('UploadMultipartPart:1:slow:300');
    const killed = await interruptWhen(
      ['upload', path, '--vault', 'up-vault', '--part-size', '1MiB', '--concurrency', '1'],
      (stderr) => /upload id: \S+/.test(stderr),
      'SIGKILL',
    );
    ep.server.setFaults(undefined);
    expect(killed.signal).toBe('SIGKILL');
    const uploadId = /upload id: (\S+)/.exec(killed.stderr)?.[1];
    const resumed = await runCli(['--json', 'upload', path, '--vault', 'up-vault', '--resume', uploadId!], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(json(resumed)).toMatchObject({ checksum: treeHash(bytes), size: bytes.length, uploadId });
  });

  it('an empty file or a missing file is a usage error', async () => {
    const { path } = await makeFile('empty.bin', 0);
    expect((await runCli(['upload', path, '--vault', 'up-vault'], env)).code).toBe(2);
    expect((await runCli(['upload', join(work, 'nope'), '--vault', 'up-vault'], env)).code).toBe(2);
    const noVault = await runCli(['upload', path], env);
    expect(noVault.code).toBe(2);
    expect(noVault.stderr).toContain("required option '--vault <name>' not specified");
  });
});

describe('glacier inventory, jobs, retrieve, download', () => {
  let ids: string[];
  let archiveBytes: Buffer;
  let archiveId: string;

  beforeAll(async () => {
    await ep.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'inv-vault' }));
    ids = [await uploadSmall('inv-vault', 'first archive'), await uploadSmall('inv-vault', 'second, with "quotes"')];
    archiveBytes = randomBytes(6 * MiB + 3);
    const up = await ep.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'inv-vault', body: archiveBytes, archiveDescription: 'big' }));
    archiveId = up.archiveId!;
    ids.push(archiveId);
  });

  it('requests an inventory, then prints it from --job, as JSON and as a table', async () => {
    const requested = await runCli(['--json', 'inventory', 'inv-vault'], env);
    expect(requested.code, requested.stderr).toBe(0);
    const { jobId } = json<{ jobId: string }>(requested);
    expect(jobId).toEqual(expect.any(String));

    const printed = await runCli(['--json', 'inventory', 'inv-vault', '--job', jobId], env);
    expect(printed.code, printed.stderr).toBe(0);
    const inv = json<{ jobId: string; vaultArn: string; inventoryDate: string; archives: Array<{ archiveId: string; size: number; sha256TreeHash: string }> }>(printed);
    expect(inv.jobId).toBe(jobId);
    expect(inv.vaultArn).toMatch(/:vaults\/inv-vault$/);
    expect(inv.archives.map((a) => a.archiveId).sort()).toEqual([...ids].sort());
    expect(inv.archives.find((a) => a.archiveId === archiveId)).toMatchObject({ size: archiveBytes.length, sha256TreeHash: treeHash(archiveBytes) });

    const table = await runCli(['inventory', 'inv-vault', '--job', jobId], env);
    expect(table.stdout).toMatch(/3 archive\(s\)/);
    expect(table.stdout).toMatch(/^CREATED\s+SIZE\s+DESCRIPTION\s+ARCHIVE ID$/m);
    for (const id of ids) expect(table.stdout).toContain(id);
  });

  it('--wait --format csv --output saves the document as Glacier returned it', async () => {
    const file = join(work, 'inventory.csv');
    const r = await runCli(['--json', 'inventory', 'inv-vault', '--format', 'csv', '--wait', '--poll-interval', '0.05', '--output', file], env);
    expect(r.code, r.stderr).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(json(r)).toMatchObject({ file, bytes: Buffer.byteLength(text) });
    expect(text.split('\n')[0]).toMatch(/^ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash/);
    for (const id of ids) expect(text).toContain(id);
    await expect(stat(`${file}.partial`)).rejects.toThrow();

    // The same CSV job, parsed.
    const parsed = await runCli(['--json', 'inventory', 'inv-vault', '--job', json<{ jobId: string }>(r).jobId], env);
    const archives = json<{ archives: Array<{ archiveId: string; archiveDescription: string }> }>(parsed).archives;
    expect(archives.map((a) => a.archiveId).sort()).toEqual([...ids].sort());
    expect(archives.map((a) => a.archiveDescription)).toContain('second, with "quotes"');
  });

  it('lists jobs with the status filters', async () => {
    const all = json<Array<{ jobId: string; action: string; statusCode: string }>>(await runCli(['--json', 'jobs', 'inv-vault'], env));
    expect(all.length).toBeGreaterThanOrEqual(2);
    expect(all.every((j) => j.action === 'InventoryRetrieval')).toBe(true);
    const completed = json<unknown[]>(await runCli(['--json', 'jobs', 'inv-vault', '--completed'], env));
    expect(completed).toHaveLength(all.length);
    expect(json<unknown[]>(await runCli(['--json', 'jobs', 'inv-vault', '--in-progress'], env))).toEqual([]);
    expect(json<unknown[]>(await runCli(['--json', 'jobs', 'inv-vault', '--failed'], env))).toEqual([]);
    // The status filters are exclusive: a pair is a usage error, not a silently empty list.
    for (const pair of [['--completed', '--failed'], ['--in-progress', '--completed'], ['--succeeded', '--failed'], ['--in-progress', '--succeeded']]) {
      const both = await runCli(['--json', 'jobs', 'inv-vault', ...pair], env);
      expect(both.code, pair.join(' ')).toBe(2);
      expect(both.stdout).toBe('');
      expect(both.stderr).toMatch(/cannot be used with option/);
      for (const flag of pair) expect(both.stderr).toContain(`'${flag}'`);
    }
    const table = await runCli(['jobs', 'inv-vault', '--succeeded'], env);
    expect(table.stdout).toMatch(/^JOB ID\s+ACTION\s+STATUS/m);
    expect(table.stdout).toContain('inventory (JSON)');
  });

  it('retrieves with a tier and a range, and downloads verified', async () => {
    const ranged = await runCli(['--json', 'retrieve', 'inv-vault', archiveId, '--tier', 'bulk', '--range', '0-1048575'], env);
    expect(ranged.code, ranged.stderr).toBe(0);
    const rangedJob = json<{ jobId: string; tier: string }>(ranged);
    expect(rangedJob.tier).toBe('Bulk');
    const described = await ep.client.send(new DescribeJobCommand({ accountId: '-', vaultName: 'inv-vault', jobId: rangedJob.jobId }));
    expect(described).toMatchObject({ Tier: 'Bulk', RetrievalByteRange: '0-1048575', ArchiveId: archiveId });

    const partFile = join(work, 'first-mib.bin');
    const part = await runCli(['download', 'inv-vault', rangedJob.jobId, partFile], env);
    expect(part.code, part.stderr).toBe(0);
    expect((await readFile(partFile)).equals(archiveBytes.subarray(0, MiB))).toBe(true);

    const whole = json<{ jobId: string }>(await runCli(['--json', 'retrieve', 'inv-vault', archiveId], env));
    const file = join(work, 'restored.bin');
    const r = await runCli(['--json', 'download', 'inv-vault', whole.jobId, file, '--chunk-size', '2MiB'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ file, size: archiveBytes.length, verified: true, sha256TreeHash: treeHash(archiveBytes) });
    expect((await readFile(file)).equals(archiveBytes)).toBe(true);
    expect(r.stderr).toMatch(/^download 100% /m);

    // An existing file is never replaced without --force.
    await writeFile(file, 'precious');
    const refused = await runCli(['download', 'inv-vault', whole.jobId, file], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('already exists');
    expect(await readFile(file, 'utf8')).toBe('precious');
    const forced = await runCli(['download', 'inv-vault', whole.jobId, file, '--force'], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect((await readFile(file)).equals(archiveBytes)).toBe(true);
  });

  it('a range that is not tree-hash aligned downloads, and says it could not be verified as a whole', async () => {
    const { jobId } = json<{ jobId: string }>(await runCli(['--json', 'retrieve', 'inv-vault', archiveId, '--range', '1048576-3145727'], env));
    const file = join(work, 'middle.bin');
    const r = await runCli(['--json', 'download', 'inv-vault', jobId, file], env);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r)).toMatchObject({ size: 2 * MiB, verified: false, sha256TreeHash: null });
    expect((await readFile(file)).equals(archiveBytes.subarray(MiB, 3 * MiB))).toBe(true);
  });

  it("downloads to standard output with '-', the summary going to stderr", async () => {
    const { jobId } = json<{ jobId: string }>(await runCli(['--json', 'retrieve', 'inv-vault', archiveId], env));
    const r = await runCli(['download', 'inv-vault', jobId, '-', '--chunk-size', '1MiB'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdoutBytes.equals(archiveBytes)).toBe(true);
    expect(r.stderr).toContain(`tree hash verified: ${treeHash(archiveBytes)}`);
    const withJson = await runCli(['--json', 'download', 'inv-vault', jobId, '-'], env);
    expect(withJson.code).toBe(2);
  });

  it('an interrupted download resumes from its verified .partial file', async () => {
    const { jobId } = json<{ jobId: string }>(await runCli(['--json', 'retrieve', 'inv-vault', archiveId], env));
    const file = join(work, 'resumed.bin');
    ep.server.setFaults('GetJobOutput:1:slow:300');
    const interrupted = await interruptWhen(['download', 'inv-vault', jobId, file, '--chunk-size', '1MiB', '--concurrency', '1'], async () => {
      // The engine's resume record lists one verified chunk per line: "INDEX TREEHASH".
      const record = await readFile(`${file}.partial.json`, 'utf8').catch(() => '');
      return (record.match(/^\d+ [0-9a-f]{64}$/gm) ?? []).length >= 2;
    });
    ep.server.setFaults(undefined);
    expect(interrupted.code).toBe(130);
    await expect(stat(file)).rejects.toThrow();
    expect((await stat(`${file}.partial`)).size).toBeGreaterThan(0);
    // Like an upload, an interrupted download says how to resume: the same command.
    const hint = /Resume with:\n {2}glacier (download .*)$/m.exec(interrupted.stderr);
    expect(hint?.[1], interrupted.stderr).toBe(`download inv-vault ${jobId} ${file} --concurrency 1 --chunk-size ${MiB}`);

    const resumed = await runCli(['--json', ...hint![1]!.split(' ')], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const out = json<{ size: number; fetched: number; resumed: number }>(resumed);
    // What the first run verified is reported as such (not the preallocated .partial size), and only the rest as fetched.
    expect(out.size).toBe(archiveBytes.length);
    expect(out.resumed).toBeGreaterThanOrEqual(2 * MiB);
    expect(out.resumed).toBeLessThan(archiveBytes.length);
    expect(out.resumed % MiB).toBe(0);
    expect(out.fetched).toBe(archiveBytes.length - out.resumed);
    expect(resumed.stderr).toContain(`Resuming from ${file}.partial: ${formatBytes(out.resumed)} of ${formatBytes(archiveBytes.length)} already verified`);
    expect((await readFile(file)).equals(archiveBytes)).toBe(true);
  });

  it('the summary of a resumed download counts what this run fetched', async () => {
    const { jobId } = json<{ jobId: string }>(await runCli(['--json', 'retrieve', 'inv-vault', archiveId], env));
    const file = join(work, 'resumed-summary.bin');
    // A .partial holding the first 4 MiB and a record of them, as an interrupted run leaves it.
    const identity = { version: 2, jobId, size: archiveBytes.length, chunkSize: MiB, treeHash: treeHash(archiveBytes) };
    const lines = [0, 1, 2, 3].map((i) => `${i} ${treeHash(archiveBytes.subarray(i * MiB, (i + 1) * MiB))}`);
    await writeFile(`${file}.partial`, Buffer.concat([archiveBytes.subarray(0, 4 * MiB), Buffer.alloc(archiveBytes.length - 4 * MiB)]));
    await writeFile(`${file}.partial.json`, `${JSON.stringify(identity)}\n${lines.join('\n')}\n`);
    const r = await runCli(['download', 'inv-vault', jobId, file, '--chunk-size', '1MiB'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Resuming from ${file}.partial: 4.0 MiB of ${formatBytes(archiveBytes.length)} already verified`);
    expect(r.stdout).toMatch(new RegExp(`^Downloaded ${formatBytes(archiveBytes.length)} to ${file}: fetched ${formatBytes(archiveBytes.length - 4 * MiB)} in [\\d.]+s .*; 4\\.0 MiB was verified by an earlier run\\.$`, 'm'));
    expect((await readFile(file)).equals(archiveBytes)).toBe(true);
  });

  it('refuses to download an inventory job as an archive (exit 2); an unknown archive id starting with - is looked up (exit 3)', async () => {
    const { jobId } = json<{ jobId: string }>(await runCli(['--json', 'inventory', 'inv-vault', '--new'], env));
    const r = await runCli(['download', 'inv-vault', jobId, join(work, 'x.bin')], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`glacier inventory inv-vault --job ${jobId}`);
    const dash = await runCli(['retrieve', 'inv-vault', '--', '-not-an-archive'], env);
    expect(dash.code).toBe(3);
    expect(dash.stderr).toContain('-not-an-archive');
  });

  it('a target that cannot be written is a usage error (exit 2) in one line, not a verification failure', async () => {
    const { jobId } = json<{ jobId: string }>(await runCli(['--json', 'retrieve', 'inv-vault', archiveId, '--range', '0-1048575'], env));
    const missing = join(work, 'no-such-dir', 'x.bin');
    const r = await runCli(['download', 'inv-vault', jobId, missing], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`glacier: cannot write ${missing}: directory ${join(work, 'no-such-dir')} does not exist`]);

    const dir = join(work, 'a-directory');
    await mkdir(dir);
    const isDir = await runCli(['download', 'inv-vault', jobId, dir, '--force'], env);
    expect(isDir.code).toBe(2);
    expect(isDir.stderr).toContain(`cannot write ${dir}: it is a directory`);

    // A problem the engine meets writing the target (here FILE.partial is a directory) maps the same way.
    const blocked = join(work, 'blocked.bin');
    await mkdir(`${blocked}.partial`);
    const engine = await runCli(['--json', 'download', 'inv-vault', jobId, blocked], env);
    expect(engine.code).toBe(2);
    expect(json<{ error: { name: string; message: string } }>(engine).error.message).toMatch(new RegExp(`^cannot write ${blocked}: EISDIR`));
    await expect(stat(blocked)).rejects.toThrow();
  });

  it('ids that start with - work without --, as operands and as option values', async () => {
    const fakeArchive = '-Xb3kq_FAKE-archive-id_0123456789abcdef';
    const retrieve = await runCli(['retrieve', 'inv-vault', fakeArchive, '--tier', 'Bulk'], env);
    expect(retrieve.code).toBe(3);
    expect(retrieve.stderr).toContain(`Archive not found: ${fakeArchive}`);
    const fakeJob = '-JOB_fake-job-id_0123456789abcdefghij';
    const inventory = await runCli(['inventory', 'inv-vault', '--job', fakeJob], env);
    expect(inventory.code).toBe(3);
    expect(inventory.stderr).toContain(fakeJob);
    const download = await runCli(['download', 'inv-vault', fakeJob, join(work, 'never.bin')], env);
    expect(download.code).toBe(3);
    expect(download.stderr).toContain(fakeJob);
    // A short unknown option is still an error.
    const typo = await runCli(['retrieve', 'inv-vault', 'x', '--teir', 'Bulk'], env);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown option '--teir'");
  });
});

describe('jobs that are not finished', () => {
  let slow: TestEndpoint;
  let slowEnv: NodeJS.ProcessEnv;
  beforeAll(async () => {
    slow = await startTestEndpoint({ jobDelay: 3600 });
    slowEnv = cliEnv(slow.endpoint);
    await slow.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'slow-vault' }));
    await slow.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'slow-vault', body: Buffer.from('data') }));
  });
  afterAll(() => slow.close());

  it('reports a running job as not ready (exit 6), lists it as in progress, and reuses it', async () => {
    const first = json<{ jobId: string }>(await runCli(['--json', 'inventory', 'slow-vault'], slowEnv));
    const again = await runCli(['--json', 'inventory', 'slow-vault'], slowEnv);
    expect(json<{ jobId: string }>(again).jobId).toBe(first.jobId);
    expect(again.stderr).toContain('already running');

    const notReady = await runCli(['inventory', 'slow-vault', '--job', first.jobId], slowEnv);
    expect(notReady.code).toBe(6);
    expect(notReady.stderr).toMatch(/still InProgress.*--wait/);

    const running = json<Array<{ jobId: string; statusCode: string }>>(await runCli(['--json', 'jobs', 'slow-vault', '--in-progress'], slowEnv));
    expect(running).toEqual([expect.objectContaining({ jobId: first.jobId, statusCode: 'InProgress' })]);
    expect(json<unknown[]>(await runCli(['--json', 'jobs', 'slow-vault', '--completed'], slowEnv))).toEqual([]);

    const download = await runCli(['download', 'slow-vault', first.jobId, join(work, 'never.bin')], slowEnv);
    expect(download.code).toBe(6);
  });
});
