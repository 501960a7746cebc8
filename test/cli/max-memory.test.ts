/**
 * `--max-memory` on `glacier upload` and `glacier download`: the budget
 * reaches the engine and caps the requests in flight. A TCP proxy in front of
 * the endpoint counts the connections open at once (one per request in
 * flight: HTTP/1.1 has no pipelining), and every part or chunk is slowed so
 * that the requests overlap.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { CreateVaultCommand } from '@aws-sdk/client-glacier';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { treeHash } from '../../src/transfer/tree-hash.js';
import { pipeToPort } from '../helpers/pipe.js';
import { cliEnv, json, runCli, useCliFixture } from './run.js';

const MiB = 1024 * 1024;
const fixture = useCliFixture('max-memory');
const data = randomBytes(10 * MiB + 5);

/** A TCP proxy to the endpoint that remembers the most connections it had open at once. */
let proxy: Server;
let proxied: NodeJS.ProcessEnv;
let open = 0;
let peak = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  await fixture.ep.client.send(new CreateVaultCommand({ accountId: '-', vaultName: 'mem' }));
  const { port } = new URL(fixture.ep.endpoint);
  proxy = createServer((client) => {
    peak = Math.max(peak, ++open);
    client.once('close', () => open--);
    pipeToPort(client, Number(port), sockets);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxied = cliEnv(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
});
afterEach(() => fixture.ep.server.setFaults(undefined));
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
});

/** Runs the CLI through the proxy and returns the most connections it had open at once. */
async function peakConnections(args: string[], input?: Buffer): Promise<{ peak: number; result: Awaited<ReturnType<typeof runCli>> }> {
  peak = open;
  const result = await runCli(args, proxied, input);
  expect(result.code, result.stderr).toBe(0);
  return { peak, result };
}

describe('--max-memory', () => {
  let archiveId: string;

  it('caps the parts of an upload from a pipe in flight (each is a buffer): 2 MiB, 1 MiB parts, at most 2 at once', async () => {
    fixture.ep.server.setFaults('UploadMultipartPart:1:slow:150');
    const upload = ['--json', 'upload', '-', '--vault', 'mem', '--part-size', '1MiB'];
    const capped = await peakConnections([...upload, '--max-memory', '2MiB'], data);
    const out = json<{ archiveId: string; checksum: string }>(capped.result);
    expect(out.checksum).toBe(treeHash(data));
    archiveId = out.archiveId;
    expect(capped.peak).toBeLessThanOrEqual(2);
    // The default budget (256 MiB) lets the same upload run many parts at once.
    const free = await peakConnections(upload, data);
    expect(json<{ checksum: string }>(free.result).checksum).toBe(treeHash(data));
    expect(free.peak).toBeGreaterThan(3);
  });

  it('caps the chunks of a download to a file in flight (2 MiB each): 4 MiB, at most 2 at once', async () => {
    const { jobId } = json<{ jobId: string }>(await runCli(['--json', 'retrieve', 'mem', archiveId], fixture.env));
    fixture.ep.server.setFaults('GetJobOutput:1:slow:150');
    const download = (file: string) => ['--json', 'download', 'mem', jobId, file, '--wait', '--poll-interval', '50ms', '--chunk-size', '1MiB'];
    const capped = await peakConnections([...download(join(fixture.work, 'capped.bin')), '--max-memory', '4MiB']);
    expect((await readFile(join(fixture.work, 'capped.bin'))).equals(data)).toBe(true);
    // The chunks' two connections, and the SDK's own for DescribeJob.
    expect(capped.peak).toBeLessThanOrEqual(3);
    const free = await peakConnections(download(join(fixture.work, 'free.bin')));
    expect((await readFile(join(fixture.work, 'free.bin'))).equals(data)).toBe(true);
    expect(free.peak).toBeGreaterThan(4);
  });

  it('refuses a budget below one part or chunk, or not a size, before any request', async () => {
    peak = open;
    for (const [command, value] of [
      [['upload', '-', '--vault', 'mem'], '512KiB'],
      [['download', 'mem', 'job', join(fixture.work, 'x.bin')], 'lots'],
    ] as const) {
      const r = await runCli([...command, '--max-memory', value], proxied, Buffer.from('x'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(value === 'lots' ? /--max-memory: not a size: 'lots'/ : /--max-memory must be at least 1MiB/);
    }
    expect(peak).toBe(open);
  });
});
