import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UploadArchiveCommand } from '@aws-sdk/client-glacier';
import { beforeAll, describe, expect, it } from 'vitest';
import { treeHash } from '../../src/transfer/tree-hash.js';
import type { TestEndpoint } from '../helpers/endpoint.js';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { useCliFixture, json, runCli, finish, startCli } from './run.js';

const LOCAL_CLI = fileURLToPath(new URL('../../dist/local/cli.js', import.meta.url));

const fixture = useCliFixture('basics');
let ep: TestEndpoint;
let env: NodeJS.ProcessEnv;
let work: string;
beforeAll(() => {
  ({ ep, env, work } = fixture);
});

describe('glacier: help, usage and errors', () => {
  it('--help lists every command, the global options and the exit codes', async () => {
    const r = await runCli(['--help'], env);
    expect(r.code).toBe(0);
    for (const word of ['vaults', 'vault', 'upload', 'uploads', 'abort-upload', 'archive', 'inventory', 'jobs', 'retrieve', 'download', 'purge', 'treehash', 'local']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${word}\\b`, 'm'));
    }
    for (const option of ['--endpoint', '--region', '--profile', '--json', '--debug']) expect(r.stdout).toContain(option);
    expect(r.stdout).toContain('Exit codes:');
    expect(r.stdout).toMatch(/^\s+7\s+upload failed/m);
  });

  it('glacier --version and glacier-local --version print the package version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const script of [undefined, LOCAL_CLI]) {
      const r = await finish(startCli(['--version'], env, script));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it('an unknown command or a bad option value is a usage error (exit 2)', async () => {
    const unknown = await runCli(['bogus'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'bogus'");
    const badTier = await runCli(['retrieve', 'v', 'a', '--tier', 'Slow'], env);
    expect(badTier.code).toBe(2);
    expect(badTier.stderr).toContain('--tier must be one of Expedited, Standard, Bulk');
  });

  it('an invalid vault name is rejected before any request, in one line', async () => {
    const r = await runCli(['vault', 'create', 'bad name'], env);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^glacier: ValidationError: Invalid vault name/);
  });

  it('a missing vault exits 3 with one readable line; --debug adds the stack', async () => {
    const r = await runCli(['vault', 'describe', 'no-such-vault'], env);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^glacier: ResourceNotFoundException: .*no-such-vault/)]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const debug = await runCli(['--debug', 'vault', 'describe', 'no-such-vault'], env);
    expect(debug.code).toBe(3);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('with --json, a failure is also a JSON document on stdout', async () => {
    const r = await runCli(['--json', 'vault', 'describe', 'no-such-vault'], env);
    expect(r.code).toBe(3);
    expect(json(r)).toEqual({
      error: { name: 'ResourceNotFoundException', message: expect.stringContaining('no-such-vault'), exitCode: 3 },
    });
  });

  it('cannot reach the endpoint: exit 4, one line', async () => {
    const r = await runCli(['--endpoint', 'http://127.0.0.1:9', 'vaults'], { ...env, AWS_MAX_ATTEMPTS: '1' });
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^glacier: .*ECONNREFUSED/);
  });
});

describe('glacier vaults / vault create|describe|delete', () => {
  it('creates, lists, describes and deletes a vault, in text and in JSON', async () => {
    const created = await runCli(['--json', 'vault', 'create', 'cli-vault-1'], env);
    expect(created.code).toBe(0);
    expect(json(created)).toEqual({ name: 'cli-vault-1', created: true });

    const list = await runCli(['--json', 'vaults'], env);
    expect(list.code).toBe(0);
    const vaults = json<Array<{ name: string; numberOfArchives: number; vaultArn: string }>>(list);
    expect(vaults.map((v) => v.name)).toContain('cli-vault-1');
    expect(vaults.find((v) => v.name === 'cli-vault-1')?.numberOfArchives).toBe(0);

    const text = await runCli(['vaults'], env);
    expect(text.stdout).toMatch(/^VAULT\s+ARCHIVES\s+SIZE\s+CREATED\s+LAST INVENTORY$/m);
    expect(text.stdout).toMatch(/^cli-vault-1\s+0\s+0 B\s/m);

    const described = await runCli(['--json', 'vault', 'describe', 'cli-vault-1'], env);
    expect(json(described)).toMatchObject({
      name: 'cli-vault-1',
      vaultArn: expect.stringMatching(/:vaults\/cli-vault-1$/),
      numberOfArchives: 0,
      sizeInBytes: 0,
      lastInventoryDate: null,
    });

    const deleted = await runCli(['vault', 'delete', 'cli-vault-1'], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain('Vault cli-vault-1 deleted.');
    const after = await runCli(['vault', 'describe', 'cli-vault-1'], env);
    expect(after.code).toBe(3);
  });

  it('refuses to delete a vault with archives (exit 4) and points at purge', async () => {
    await runCli(['vault', 'create', 'cli-vault-full'], env);
    await ep.client.send(new UploadArchiveCommand({ accountId: '-', vaultName: 'cli-vault-full', body: Buffer.from('x') }));
    const r = await runCli(['vault', 'delete', 'cli-vault-full'], env);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('InvalidParameterValueException');
    expect(r.stderr).toContain('glacier purge cli-vault-full --delete-vault');
  });
});

describe('credentials and profiles', () => {
  it('--profile reads the shared files; a wrong secret is refused by the endpoint (exit 4)', async () => {
    const credentials = join(work, 'credentials');
    const config = join(work, 'config');
    await writeFile(credentials, '[archive]\naws_access_key_id = test\naws_secret_access_key = test\n[wrong]\naws_access_key_id = test\naws_secret_access_key = nope\n');
    await writeFile(config, '[profile archive]\nregion = eu-west-1\n[profile wrong]\nregion = eu-west-1\n');
    const profileEnv: NodeJS.ProcessEnv = { ...env, AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config };
    delete profileEnv.AWS_ACCESS_KEY_ID;
    delete profileEnv.AWS_SECRET_ACCESS_KEY;
    delete profileEnv.AWS_REGION;

    const ok = await runCli(['--profile', 'archive', '--json', 'vault', 'create', 'from-profile'], profileEnv);
    expect(ok.code, ok.stderr).toBe(0);
    const refused = await runCli(['--profile', 'wrong', 'vaults'], profileEnv);
    expect(refused.code).toBe(4);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^glacier: \w+: .*signature/i);
    expect(refused.stderr).not.toContain('nope');
  });
});

describe('without credentials', () => {
  it('says where credentials come from, in one line, with exit 4', async () => {
    const bare: NodeJS.ProcessEnv = { ...env, AWS_EC2_METADATA_DISABLED: 'true' };
    delete bare.AWS_ACCESS_KEY_ID;
    delete bare.AWS_SECRET_ACCESS_KEY;
    const r = await runCli(['vaults'], bare);
    expect(r.code).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^glacier: CredentialsProviderError: .*--profile NAME/);
  });
});

describe('without a region', () => {
  it('says --region or AWS_REGION, in one line, with exit 2 (a usage error)', async () => {
    // No endpoint either (a custom endpoint gets us-east-1): the SDK refuses before any request.
    const bare: NodeJS.ProcessEnv = { ...env, AWS_EC2_METADATA_DISABLED: 'true' };
    delete bare.AWS_REGION;
    delete bare.AWS_ENDPOINT_URL_GLACIER;
    const r = await runCli(['vaults'], bare);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^glacier: .*--region REGION.*AWS_REGION/);
    expect(r.stderr).not.toContain('resource(');
    const json = await runCli(['--json', 'vaults'], bare);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({ error: expect.objectContaining({ exitCode: 2 }) });
  });
});

describe('glacier treehash', () => {
  it("prints each file's tree hash, equal to the library's", async () => {
    const a = join(work, 'a.bin');
    const b = join(work, 'b.bin');
    const bytesA = randomBytes(3 * 1024 * 1024 + 5);
    const bytesB = Buffer.from('hello');
    await writeFile(a, bytesA);
    await writeFile(b, bytesB);
    const text = await runCli(['treehash', a, b], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`${treeHash(bytesA)}  ${a}\n${treeHash(bytesB)}  ${b}\n`);
    const one = await runCli(['--json', 'treehash', a], env);
    expect(json(one)).toEqual({ file: a, size: bytesA.length, treeHash: treeHash(bytesA) });
  });

  it('a missing file is a local-file error with exit 2, as the exit code table says', async () => {
    const r = await runCli(['treehash', join(work, 'missing')], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ENOENT');
  });
});
