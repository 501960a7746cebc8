/**
 * What the benchmark orchestrators (bench/run.ts, bench/link.ts) share: the
 * random archive, child processes for the endpoint and for each client run,
 * timing, and the table.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MiB } from '../src/transfer/tree-hash.js';
import type { ClientResult, ClientTask } from './tasks.js';

// The SDK's notice about future Node versions is noise in a benchmark table.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

export const run = promisify(execFile);
export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..');
export const GiB = 1024 * MiB;

/** One row of a table. */
export interface Row {
  group: string;
  name: string;
  mbps: number;
  cpuPerGiB?: number;
  rssMiB?: number;
  ok: boolean | undefined;
  note?: string;
}

/** MB/s (10^6 bytes). */
export const mbps = (bytes: number, seconds: number) => bytes / 1e6 / seconds;
export const log = (message: string) => process.stderr.write(`${message}\n`);

/** Writes `size` random bytes to `path`. */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  const handle = await open(path, 'w');
  const buffer = Buffer.allocUnsafe(16 * MiB);
  try {
    for (let pos = 0; pos < size; pos += buffer.length) {
      const n = Math.min(buffer.length, size - pos);
      randomFillSync(buffer, 0, n);
      await handle.write(buffer, 0, n, pos);
    }
  } finally {
    await handle.close();
  }
}

/** The file's tree hash as botocore computes it (python3), the reference every row is checked against. */
export async function botocoreTreeHash(path: string): Promise<string> {
  const script = 'import sys, botocore.utils as u; print(u.calculate_tree_hash(open(sys.argv[1], "rb")))';
  return (await run('python3', ['-c', script, path])).stdout.trim();
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; cpuSeconds: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { value, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Starts a child that prints `listening on http://…`; resolves with that URL. */
export function startServer(args: string[], label: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    let out = '';
    const onData = (data: Buffer) => {
      out += data.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve({ child, url: m[1]! });
      }
    };
    child.stdout!.on('data', onData);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code}: ${err}`)));
  });
}

/** One client run in its own process (bench/client.mjs). */
export async function client(task: Partial<ClientTask> & Pick<ClientTask, 'mode'>, base: Omit<ClientTask, 'mode'>): Promise<ClientResult> {
  const { stdout } = await run(process.execPath, [join(here, 'client.mjs'), JSON.stringify({ ...base, ...task })], {
    cwd: root,
    maxBuffer: 1 << 20,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ClientResult;
}

/** A Python client run (one JSON line on stdout). */
export async function pythonClient(python: string, script: string, args: string[]): Promise<ClientResult> {
  const { stdout } = await run(python, [join(here, script), ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ClientResult;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** Prints rows as a Markdown table. */
export function printTable(rows: readonly Row[]): void {
  const header = ['', 'MB/s', 'client CPU s/GiB', 'peak RSS MiB', 'tree hash', 'note'];
  const lines = rows.map((r) => [
    `${r.group}: ${r.name}`,
    r.mbps.toFixed(0),
    r.cpuPerGiB === undefined ? '' : r.cpuPerGiB.toFixed(2),
    r.rssMiB === undefined ? '' : r.rssMiB.toFixed(0),
    r.ok === undefined ? 'n/a' : r.ok ? 'ok' : 'MISMATCH',
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => pad(c, widths[i]!, i > 0 && i < 4)).join(' | ')} |`;
  console.log(fmt(header));
  console.log(`|${widths.map((w, i) => (i > 0 && i < 4 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
}
