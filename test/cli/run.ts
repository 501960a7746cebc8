/**
 * Test helper: runs the built `glacier` CLI (dist/cli/main.js) as a child
 * process, pointed at a local endpoint through AWS_ENDPOINT_URL_GLACIER.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

/** The built CLI entry point. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** What a CLI run produced. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout as bytes (for binary output such as `download ... -`). */
  stdoutBytes: Buffer;
  stderr: string;
}

/** Environment for a child pointed at `endpoint` with the endpoint's default credentials. */
export function cliEnv(endpoint: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ENDPOINT_URL_GLACIER: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // Never read a developer's real AWS files.
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    ...extra,
  };
}

/** Starts the CLI; the caller collects output with {@link finish}. */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv, script = CLI): ChildProcess {
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first (npm test does).`);
  return spawn(process.execPath, [script, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Waits for a child started by {@link startCli} and returns its output. */
export function finish(child: ChildProcess, input?: string | Buffer): Promise<CliResult> {
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (input !== undefined) child.stdin?.end(input);
  else child.stdin?.end();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr });
    });
  });
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, input?: string | Buffer): Promise<CliResult> {
  return finish(startCli(args, env), input);
}

/** Parses the single JSON document a `--json` run printed on stdout. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** A test file's endpoint, CLI environment and scratch directory. */
export interface CliFixture {
  ep: TestEndpoint;
  env: NodeJS.ProcessEnv;
  work: string;
}

/**
 * Registers hooks that start an in-memory endpoint and a scratch directory
 * before the file's tests and remove both after them. `extraEnv` adds
 * variables to the CLI environment (it sees the scratch directory).
 */
export function useCliFixture(name: string, extraEnv: (work: string) => Record<string, string> = () => ({})): CliFixture {
  const fixture = {} as CliFixture;
  beforeAll(async () => {
    fixture.ep = await startTestEndpoint();
    fixture.work = await mkdtemp(join(tmpdir(), `glacier-cli-${name}-`));
    fixture.env = cliEnv(fixture.ep.endpoint, extraEnv(fixture.work));
  });
  afterAll(async () => {
    await fixture.ep?.close();
    if (fixture.work) await rm(fixture.work, { recursive: true, force: true });
  });
  return fixture;
}
