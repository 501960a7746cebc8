import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateVaultCommand } from '@aws-sdk/client-glacier';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestEndpoint } from '../helpers/endpoint.js';
import { runCli, useCliFixture } from './run.js';

const fixture = useCliFixture('retry-notes');
let ep: TestEndpoint;
let work: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  ({ ep, work, env } = fixture);
});

describe('glacier says why it is waiting, and what to check when it cannot connect', () => {
  it('prints a note for each retried request of an upload, and still succeeds', async () => {
    await ep.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'retry-notes' }));
    const file = join(work, 'note.txt');
    await writeFile(file, 'retried once');
    ep.server.setFaults('UploadArchive:1#1:500');
    try {
      const r = await runCli(['upload', file, '--vault', 'retry-notes'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/upload: attempt 1 failed \(ServiceUnavailableException: .*\); retrying/);
    } finally {
      ep.server.setFaults(undefined);
    }
  });

  it('names what to check when the endpoint cannot be reached', async () => {
    const r = await runCli(['--endpoint', 'http://127.0.0.1:9', 'vaults'], env);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stderr).toContain('cannot reach the Glacier endpoint');
  });
});
