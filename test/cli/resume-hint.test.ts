import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateVaultCommand } from '@aws-sdk/client-glacier';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestEndpoint } from '../helpers/endpoint.js';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { finish, json, runCli, startCli, useCliFixture } from './run.js';

const fixture = useCliFixture('resume-hint');
let ep: TestEndpoint;
let work: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  ({ ep, work, env } = fixture);
});

/** Splits a printed command line into arguments (it quotes with single quotes only). */
function words(line: string): string[] {
  return [...line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replaceAll("'\\''", "'") : m[2]!));
}

describe('glacier upload after an interruption', () => {
  it('prints a resume command that keeps --endpoint and --region, and that command finishes the upload', async () => {
    await ep.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'hint-vault' }));
    const bytes = randomBytes(4 * MiB + 5);
    const path = join(work, 'hint.bin');
    await writeFile(path, bytes);
    // No endpoint in the environment: only the flags say where the upload is.
    const { AWS_ENDPOINT_URL_GLACIER: _unused, ...bare } = env;
    const global = ['--endpoint', ep.endpoint, '--region', 'us-east-1'];
    ep.server.setFaults('UploadMultipartPart:1:slow:300');
    const child = startCli([...global, 'upload', path, '--vault', 'hint-vault', '--part-size', '1MiB', '--concurrency', '1'], bare);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = finish(child);
    while (!/upload id: \S+/.test(stderr)) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGINT');
    const interrupted = await done;
    ep.server.setFaults(undefined);
    expect(interrupted.code).toBe(130);
    const hint = /Resume with:\n\s+(.+)/.exec(interrupted.stderr)?.[1];
    expect(hint).toBeDefined();
    expect(hint).toContain(`glacier --endpoint ${ep.endpoint} --region us-east-1 upload`);
    const args = words(hint!);
    expect(args[0]).toBe('glacier');
    const resumed = await runCli(['--json', ...args.slice(1)], bare);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(json(resumed)).toMatchObject({ checksum: treeHash(bytes), size: bytes.length });
  });
});
