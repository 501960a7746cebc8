/**
 * The receive path over TLS, as every real Glacier endpoint is: a TLS front
 * (a certificate made with openssl for this run) passes each connection
 * through to the local endpoint. A download runs in a process of its own
 * that trusts the certificate through NODE_EXTRA_CA_CERTS, the way a user
 * behind an inspecting proxy trusts their CA; the certificate checks
 * (an untrusted certificate, a name it does not cover) must fail as the
 * SDK's own HTTPS path fails.
 */
import { DescribeJobCommand, GetJobOutputCommand } from '@aws-sdk/client-glacier';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RECEIVE_SWITCH, receiveStats, withReceivePath } from '../../src/transfer/job-output-receiver.js';
import { isTransientError } from '../../src/transfer/retry.js';
import { MiB, treeHash } from '../../src/transfer/tree-hash.js';
import { uploadArchive } from '../../src/transfer/upload.js';
import { pipeToPort } from '../helpers/pipe.js';
import { startHarness, testBytes, type Harness } from './harness.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'receive-tls-'));
const data = testBytes(5 * MiB + 333, 9);
const cert = join(dir, 'cert.pem');
const key = join(dir, 'key.pem');
let h: Harness;
let jobId: string;
let front: Server;
let frontPort: number;
/** TLS connections the front has accepted. */
let accepted = 0;
const open = new Set<Socket>();

beforeAll(async () => {
  // A self-signed certificate for the name "localhost" only (no IP address).
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl could not make the test certificate (is openssl installed?): ${made.error?.message ?? made.stderr}`);
  h = await startHarness({}, 'tls');
  const { archiveId } = await uploadArchive(h.target, { body: data });
  jobId = await h.retrieve(archiveId);
  const { port } = new URL(h.env.endpoint);
  front = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (secure) => {
    accepted++;
    pipeToPort(secure, Number(port), open);
  });
  front.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  frontPort = (front.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const s of open) s.destroy();
  await new Promise<void>((resolve) => front?.close(() => resolve()));
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  delete process.env[RECEIVE_SWITCH];
});

interface ChildReport {
  treeHash?: string;
  bytes?: number;
  verified?: boolean;
  stats?: { opened: number; idle: number };
  error?: string;
  code?: string;
  message?: string;
}

/** Runs fixtures/download-child.ts against `endpoint`, trusting the test certificate; resolves with its report. */
function downloadInChild(endpoint: string, path: string, env: NodeJS.ProcessEnv = {}, range?: string): Promise<ChildReport> {
  const args = JSON.stringify({ endpoint, vaultName: 'tls', jobId, path, range });
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures/download-child.ts'), args], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: cert, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += String(d)));
  child.stderr.on('data', (d: Buffer) => (err += String(d)));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as ChildReport);
      } catch {
        reject(new Error(`the download process printed no report: ${out}${err}`));
      }
    });
  });
}

describe('the receive path over TLS', () => {
  it('downloads a verified output over kept TLS connections to a trusted certificate', async () => {
    const path = join(dir, 'ok.bin');
    const before = accepted;
    const report = await downloadInChild(`https://localhost:${frontPort}`, path);
    expect(report.error).toBeUndefined();
    expect(report.treeHash).toBe(treeHash(data));
    expect(report.verified).toBe(true);
    expect(report.bytes).toBe(data.length);
    expect(readFileSync(path).equals(data)).toBe(true);
    // Six ranged requests, two at a time, went through the receive path's own
    // pool, on at most two TLS connections that it kept between requests.
    expect(report.stats!.opened).toBeGreaterThanOrEqual(1);
    expect(report.stats!.opened).toBeLessThanOrEqual(2);
    expect(report.stats!.idle).toBe(report.stats!.opened);
    // The SDK's own requests (DescribeJob) add at most one more connection.
    expect(accepted - before).toBeLessThanOrEqual(report.stats!.opened + 1);
  });

  it('refuses a certificate that covers a different name, as Node and the SDK do', async () => {
    // The certificate names "localhost"; 127.0.0.1 is not in it. First one
    // ranged request alone, so that this path is the one that connects.
    const direct = await downloadInChild(`https://127.0.0.1:${frontPort}`, '', {}, `bytes=0-${MiB - 1}`);
    expect(direct.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(direct.stats).toEqual({ opened: 1, idle: 0 });
    // Then a whole download, which fails before it writes anything.
    const path = join(dir, 'wrong-name.bin');
    const report = await downloadInChild(`https://127.0.0.1:${frontPort}`, path);
    expect(report.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(existsSync(path)).toBe(false);
  });

  it('refuses an untrusted certificate, through this path and through the SDK alike', async () => {
    const range = `bytes=0-${MiB - 1}`;
    const errorOf = async (route: 'receive' | 'sdk') => {
      const client = h.env.newClient({ endpoint: `https://localhost:${frontPort}`, maxAttempts: 1 });
      // The SDK's handler settles its agents on its first request, which the
      // path looks at: one request first, failing the same way.
      await client.send(new DescribeJobCommand({ accountId: '-', vaultName: 'tls', jobId })).catch(() => undefined);
      const plain = new GetJobOutputCommand({ accountId: '-', vaultName: 'tls', jobId, range });
      const command = route === 'receive' ? withReceivePath(plain, client, new AbortController().signal) : plain;
      const error = (await client.send(command).then(
        () => undefined,
        (e: unknown) => e,
      )) as { code?: string; cause?: { code?: string } } | undefined;
      // This path opened the connection (the SDK's did not), and keeps
      // nothing of it once its handshake failed.
      expect(receiveStats(client)).toEqual({ opened: route === 'receive' ? 1 : 0, idle: 0 });
      return { error, code: error?.code ?? error?.cause?.code };
    };
    const ours = await errorOf('receive');
    const sdk = await errorOf('sdk');
    expect(ours.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(ours.code).toBe(sdk.code);
    // Not an error worth retrying: a certificate does not fix itself.
    expect(isTransientError(ours.error)).toBe(false);
  });

  it('downloads through the SDK path too when it is switched on', async () => {
    const path = join(dir, 'sdk.bin');
    const report = await downloadInChild(`https://localhost:${frontPort}`, path, { [RECEIVE_SWITCH]: 'sdk' });
    expect(report.error).toBeUndefined();
    expect(report.treeHash).toBe(treeHash(data));
    expect(readFileSync(path).equals(data)).toBe(true);
    expect(report.stats).toEqual({ opened: 0, idle: 0 });
  });
});
