import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEndpoint } from '../helpers/endpoint.js';
import { cliEnv, finish, json, runCli, startCli } from './run.js';

const TOUR = fileURLToPath(new URL('../../dist/cli/tour.js', import.meta.url));
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'glacier-cli-local-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('glacier local', () => {
  it('serves a persistent endpoint that the CLI can use, and stops cleanly on SIGTERM', async () => {
    const dataDir = join(work, 'data');
    const child = startCli(['local', '--port', '0', '--data-dir', dataDir, '--job-delay', '0'], cliEnv('http://unused'));
    const done = finish(child);
    let out = '';
    while (!/listening on (http:\/\/\S+)/.test(out)) {
      const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
      out += chunk.toString();
    }
    const endpoint = /listening on (http:\/\/\S+)/.exec(out)![1]!;
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const env = cliEnv(endpoint);
    expect((await runCli(['vault', 'create', 'from-local'], env)).code).toBe(0);
    const vaults = json<Array<{ name: string }>>(await runCli(['--json', 'vaults'], env));
    expect(vaults.map((v) => v.name)).toEqual(['from-local']);
    child.kill('SIGTERM');
    const result = await done;
    expect(result.code).toBe(0);
    // State was written to the data directory.
    expect((await readdir(dataDir)).length).toBeGreaterThan(0);
  });

  it('has exactly the flags of glacier-local', async () => {
    const flags = (help: string) =>
      [...new Set([...help.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1]))].filter((f) => f !== '--help').sort();
    const ours = await runCli(['local', '--help'], cliEnv('http://unused'));
    const theirs = await finish(startCli(['--help'], cliEnv('http://unused'), fileURLToPath(new URL('../../dist/local/cli.js', import.meta.url))));
    expect(ours.code).toBe(0);
    expect(flags(ours.stdout)).toEqual(flags(theirs.stdout));
    expect(flags(ours.stdout)).toEqual(expect.arrayContaining(['--host', '--port', '--data-dir', '--in-memory', '--job-delay', '--no-auth', '--faults']));
  });

  it('rejects --data-dir together with --in-memory', async () => {
    const r = await runCli(['local', '--data-dir', join(work, 'x'), '--in-memory'], cliEnv('http://unused'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot be used with');
  });
});

describe('the tour (npm start)', () => {
  it("the README gives the tour's duration as measured (13 s on 2 cores; the jobs' waits end about a second after them)", async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const line = readme.split('\n').find((l) => l.startsWith('npm ci && npm start'));
    expect(line).toMatch(/\(about 1\d s on 2 cores\)$/);
  });

  it('runs the whole archiving workflow on an in-process endpoint with plain output when not on a terminal', async () => {
    const r = await finish(startCli(['--size', '6', '--job-delay', '0', '--poll-interval', '50'], cliEnv('http://unused'), TOUR));
    expect(r.code, r.stderr).toBe(0);
    for (let n = 1; n <= 8; n++) expect(r.stdout).toMatch(new RegExp(`^${n}\\. `, 'm'));
    expect(r.stdout).toContain("glacier.Vault(accountId='-', name='201407')");
    expect(r.stdout).toContain("glacier.Vault(accountId='-', name='test-201611') created");
    expect(r.stdout).toMatch(/^\s+upload\s+100% \| 6\.0 MiB \/ 6\.0 MiB/m);
    expect(r.stdout).toMatch(/^\s+download 100% \| 6\.0 MiB \/ 6\.0 MiB/m);
    expect(r.stdout).toContain('All four match');
    expect(r.stdout).toContain('InvalidParameterValueException');
    expect(r.stdout).toContain("glacier.Vault(accountId='-', name='test-201610') deleted");
    expect(r.stdout).toMatch(/Tour finished in /);
    expect(r.stdout).not.toMatch(/\r|\x1b\[/);
  }, 60_000);

  it('stops cleanly on Ctrl-C, leaving no temporary files', async () => {
    const tmp = join(work, 'tour-tmp');
    await mkdir(tmp);
    const child = startCli(['--size', '2', '--job-delay', '30', '--poll-interval', '50'], cliEnv('http://unused', { TMPDIR: tmp }), TOUR);
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    const done = finish(child);
    while (!stdout.includes('poll 2:')) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('tour: interrupted');
    expect(await readdir(tmp)).toEqual([]);
  }, 60_000);

  it('runs against another endpoint with --endpoint, in uniquely named vaults it removes', async () => {
    const ep = await startTestEndpoint();
    try {
      const r = await finish(startCli(['--endpoint', ep.endpoint, '--size', '2', '--poll-interval', '50'], cliEnv('http://unused', { AWS_ENDPOINT_URL_GLACIER: '' }), TOUR));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Endpoint: ${ep.endpoint}`);
      expect(r.stdout).toMatch(/glacier\.Vault\(accountId='-', name='glacier-resource-tour-[a-z0-9]+-[0-9a-f]{6}'\) deleted/);
      expect(r.stdout).toContain('All four match');
      const left = json<unknown[]>(await runCli(['--json', 'vaults'], cliEnv(ep.endpoint)));
      expect(left).toEqual([]);
    } finally {
      await ep.close();
    }
  }, 60_000);
});
