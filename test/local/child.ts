/**
 * Runs `glacier-local` (from the TypeScript sources) in a child process, for
 * the CLI, restart and kill -9 tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The CLI's source file. */
export const CLI_SOURCE = fileURLToPath(new URL('../../src/local/cli.ts', import.meta.url));

/** A running `glacier-local` child. */
export interface ChildEndpoint {
  readonly child: ChildProcess;
  /** The URL printed after `listening on `. */
  readonly endpoint: string;
  /** The whole first stdout line. */
  readonly firstLine: string;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `glacier-local ARGS` and resolves once it printed its `listening on`
 * line. `wrapper` runs it under another command (e.g. `unshare ...`).
 */
export function startChild(args: readonly string[], wrapper: readonly string[] = []): Promise<ChildEndpoint> {
  const command = [...wrapper, process.execPath, '--import', 'tsx', CLI_SOURCE, ...args];
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        const firstLine = out.slice(0, nl);
        const m = /^listening on (http:\/\/\S+)$/.exec(firstLine);
        if (m) resolve({ child, endpoint: m[1]!, firstLine, exited });
        else reject(new Error(`Unexpected first line: ${firstLine}`));
      }
    });
    void exited.then(({ code }) => reject(new Error(`glacier-local exited early (code ${code}): ${err}`)));
  });
}
