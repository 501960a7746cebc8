import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CreateVaultCommand, GlacierClient, ListVaultsCommand } from '@aws-sdk/client-glacier';
import { CLI_SOURCE, startChild } from './child.js';

describe('glacier-local', () => {
  it('prints "listening on http://HOST:PORT" with the real port, serves, and exits 0 on SIGTERM', async () => {
    const run = await startChild(['--in-memory', '--port', '0', '--job-delay', '0']);
    expect(run.firstLine).toMatch(/^listening on http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    const client = new GlacierClient({ region: 'us-east-1', endpoint: run.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'cli' }));
    expect((await client.send(new ListVaultsCommand({ accountId: '-' }))).VaultList!.map((v) => v.VaultName)).toEqual(['cli']);
    client.destroy();
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
  });

  it('exits 0 on SIGINT too, and applies --no-auth', async () => {
    const run = await startChild(['--in-memory', '--no-auth']);
    const client = new GlacierClient({ region: 'us-east-1', endpoint: run.endpoint, credentials: { accessKeyId: 'anyone', secretAccessKey: 'anything' } });
    await client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'open' }));
    client.destroy();
    run.child.kill('SIGINT');
    expect((await run.exited).code).toBe(0);
  });

  it('documents the fault SPEC in --help and refuses bad options', () => {
    const help = spawnSync(process.execPath, ['--import', 'tsx', CLI_SOURCE, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/OP:RATE:KIND\[:ARG\]/);
    expect(help.stdout).toMatch(/--data-dir/);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', CLI_SOURCE, '--in-memory', '--faults', 'Op:7:500'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/RATE must be a number/);
    const both = spawnSync(process.execPath, ['--import', 'tsx', CLI_SOURCE, '--in-memory', '--data-dir', 'x'], { encoding: 'utf8' });
    expect(both.status).not.toBe(0);
  });
});
