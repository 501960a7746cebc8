/**
 * Runs every script in examples/ against the local endpoint, as a user would
 * (`npx tsx examples/NAME.ts` with AWS_ENDPOINT_URL_GLACIER set). The scripts
 * import 'glacier-resource', which resolves to the built package.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateVaultCommand,
  DescribeJobCommand,
  DescribeVaultCommand,
  GlacierClient,
  InitiateJobCommand,
  ResourceNotFoundException,
  UploadArchiveCommand,
} from '@aws-sdk/client-glacier';
import { mockClient } from 'aws-sdk-client-mock';
import { JobFailedError, resource } from 'glacier-resource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeHash } from '../src/transfer/tree-hash.js';
import { startTestEndpoint, type TestEndpoint } from './helpers/endpoint.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let ep: TestEndpoint;
let work: string;

beforeAll(async () => {
  ep = await startTestEndpoint();
  work = await mkdtemp(join(tmpdir(), 'glacier-examples-'));
});
afterAll(async () => {
  await ep.close();
  await rm(work, { recursive: true, force: true });
});

/** Runs `examples/NAME.ts` with tsx; resolves with its exit code and output. */
function runExample(name: string, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('examples', name), ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ENDPOINT_URL_GLACIER: ep.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POLL_INTERVAL_MS: '50',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function vaultWith(vaultName: string, contents: Array<[description: string, body: Buffer]>): Promise<string[]> {
  await ep.client.send(new CreateVaultCommand({ accountId: '-', vaultName }));
  const ids: string[] = [];
  for (const [archiveDescription, body] of contents) {
    const out = await ep.client.send(new UploadArchiveCommand({ accountId: '-', vaultName, body, archiveDescription }));
    ids.push(out.archiveId!);
  }
  return ids;
}

describe('examples/', () => {
  it('archiving-workflow.ts runs the whole workflow and verifies the round trip', async () => {
    const r = await runExample('archiving-workflow.ts');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^uploaded \S+ checksum [0-9a-f]{64}$/m);
    expect(r.stdout).toMatch(/^inventory: /m);
    expect(r.stdout).toMatch(/^tree hashes match: [0-9a-f]{64}$/m);
    expect(r.stdout).toMatch(/^deleted glacier\.Vault\(accountId='-', name='archiving-workflow-\d+'\)$/m);
  }, 60_000);

  it('progress-upload.ts reports progress part by part and the checksum', async () => {
    const file = join(work, 'progress.bin');
    const bytes = randomBytes(4 * 1024 * 1024 + 100);
    await writeFile(file, bytes);
    const r = await runExample('progress-upload.ts', [file, 'progress-vault', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^upload id: \S+$/m);
    const percents = [...r.stdout.matchAll(/^(\d+)% \(\d+\/\d+ bytes, (?:sending|part \d+\/5 acknowledged),/gm)].map((m) => Number(m[1]));
    expect(percents.length).toBeGreaterThanOrEqual(3);
    expect(percents.at(-1)).toBe(100);
    expect(r.stdout).toContain(`checksum:   ${treeHash(bytes)}`);
  }, 60_000);

  it('inventory-to-csv.ts writes a quoted CSV of the inventory', async () => {
    const ids = await vaultWith('csv-vault', [
      ['plain.txt', Buffer.from('a')],
      ['with, comma and "quotes"', Buffer.from('bb')],
    ]);
    const out = join(work, 'inventory.csv');
    const r = await runExample('inventory-to-csv.ts', ['csv-vault', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`2 archives (3 bytes) written to ${out}`);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash');
    expect(lines).toHaveLength(3);
    expect(lines.find((l) => l.startsWith(ids[1]!))).toContain(',"with, comma and ""quotes""",');
    expect(lines.find((l) => l.startsWith(ids[0]!))).toMatch(new RegExp(`,plain\\.txt,[^,]+,1,${treeHash(Buffer.from('a'))}$`));
  }, 60_000);

  it('bulk-retrieval.ts restores every archive of a vault into a directory, verified', async () => {
    const a = randomBytes(2 * 1024 * 1024 + 7);
    const b = randomBytes(1000);
    await vaultWith('bulk-vault', [
      ['photos-a.tar', a],
      ['photos-b.tar', b],
    ]);
    const dir = join(work, 'restored');
    const r = await runExample('bulk-retrieval.ts', ['bulk-vault', dir, 'Standard']);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(dir)).filter((n) => n !== '.glacier-export').sort()).toEqual(['photos-a.tar', 'photos-b.tar']);
    expect(await readdir(join(dir, '.glacier-export'))).toContain('manifest.jsonl');
    expect((await readFile(join(dir, 'photos-a.tar'))).equals(a)).toBe(true);
    expect((await readFile(join(dir, 'photos-b.tar'))).equals(b)).toBe(true);
    expect(r.stdout).toContain('2 archives restored');
    // The same command again finds everything done.
    const again = await runExample('bulk-retrieval.ts', ['bulk-vault', dir, 'Standard']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('2 archives restored');
  }, 60_000);

  it('empty-vault.ts reports first, then deletes every archive and the vault with --yes', async () => {
    await vaultWith('empty-me', Array.from({ length: 12 }, (_, i) => [`f${i}`, Buffer.from(`content ${i}`)] as [string, Buffer]));
    const dry = await runExample('empty-vault.ts', ['empty-me']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('12 archives');
    expect(dry.stdout).toContain('dry run');
    expect((await ep.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'empty-me' }))).NumberOfArchives).toBe(12);

    const r = await runExample('empty-vault.ts', ['empty-me', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('deleted 12 archives');
    expect(r.stdout).toContain('deleted vault empty-me');
    await expect(ep.client.send(new DescribeVaultCommand({ accountId: '-', vaultName: 'empty-me' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  }, 60_000);
});

describe('docs/testing.md: the local endpoint recipe works as written', () => {
  it('starts an endpoint from glacier-resource/local and round-trips an archive', async () => {
    const { startLocalGlacier } = await import('glacier-resource/local');
    const local = await startLocalGlacier({ inMemory: true, jobDelay: 0 });
    try {
      const glacier = resource({ endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      const vault = await glacier.createVault({ vaultName: 'test-backups' });
      const archive = await vault.uploadArchive({ body: Buffer.from('hello'), archiveDescription: 'hello.txt' });
      const job = await archive.initiateArchiveRetrieval();
      await job.waitUntilCompleted({ pollInterval: 10 });
      const target = join(work, 'hello.restored.txt');
      await job.download(target);
      expect(archive.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(await readFile(target, 'utf8')).toBe('hello');
    } finally {
      await local.close();
    }
  });
});

describe('docs/testing.md: the aws-sdk-client-mock recipes work as written', () => {
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

  it('a failed retrieval is reported with its reason', async () => {
    const client = new GlacierClient({ region: 'us-east-1', credentials });
    const mock = mockClient(client);
    mock.on(DescribeJobCommand).resolves({
      JobId: 'job-1',
      Action: 'ArchiveRetrieval',
      Completed: true,
      StatusCode: 'Failed',
      StatusMessage: 'Archive not found',
    });
    const job = resource({ client }).Vault('-', 'v').Job('job-1');
    const error = await job.waitUntilCompleted({ pollInterval: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).statusMessage).toBe('Archive not found');
  });

  it('an expired job gives the SDK exception', async () => {
    const client = new GlacierClient({ region: 'us-east-1', credentials });
    mockClient(client)
      .on(DescribeJobCommand)
      .rejects(new ResourceNotFoundException({ message: 'The job ID was not found: job-1', $metadata: {} }));
    await expect(resource({ client }).Vault('-', 'v').Job('job-1').load()).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('commands can be asserted on: a Bulk retrieval keeps its archive id', async () => {
    const client = new GlacierClient({ region: 'us-east-1', credentials });
    const mock = mockClient(client);
    mock.on(InitiateJobCommand).resolves({ jobId: 'job-2', location: '/-/vaults/v/jobs/job-2' });
    await resource({ client }).Vault('-', 'v').Archive('ARCHIVE-1').initiateArchiveRetrieval({ tier: 'Bulk' });
    expect(mock.commandCalls(InitiateJobCommand)[0]?.args[0].input.jobParameters).toMatchObject({
      Type: 'archive-retrieval',
      ArchiveId: 'ARCHIVE-1',
      Tier: 'Bulk',
    });
  });
});
