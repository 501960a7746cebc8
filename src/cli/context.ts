/**
 * What every `glacier` command shares: the global options, the resource they
 * build, and the two output channels (results on stdout, human notes and
 * progress on stderr; with `--json`, stdout carries exactly one JSON document).
 *
 * @module
 */
import type { Command } from 'commander';

/** The global options of the `glacier` CLI. */
export interface GlobalOptions {
  /** Endpoint URL (a local endpoint, or a custom AWS endpoint). */
  endpoint?: string;
  /** AWS region. */
  region?: string;
  /** Named profile of the shared AWS config and credentials files. */
  profile?: string;
  /** Account id (`-` means the credentials' own account). */
  account: string;
  /** Machine-readable output on stdout. */
  json?: boolean;
  /** Print stack traces and SDK details on error. */
  debug?: boolean;
  /** False with `--no-progress`. */
  progress: boolean;
}

/** Output channels of a command. */
export class Output {
  readonly #options: GlobalOptions;
  readonly #stdout: NodeJS.WriteStream;
  readonly #stderr: NodeJS.WriteStream;

  constructor(options: GlobalOptions, stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr) {
    this.#options = options;
    this.#stdout = stdout;
    this.#stderr = stderr;
  }

  /** True with `--json`. */
  get json(): boolean {
    return this.#options.json === true;
  }

  /** The stream progress bars draw on (stderr). */
  get progressStream(): NodeJS.WriteStream {
    return this.#stderr;
  }

  /** True when progress bars should be drawn at all. */
  get showProgress(): boolean {
    return this.#options.progress;
  }

  /** A note for people, on stderr, so that stdout only ever holds results. */
  note(message: string): void {
    this.#stderr.write(`${message}\n`);
  }

  /** Writes a command's result: `value` as JSON with `--json`, else the human text. */
  result(value: unknown, human: () => string): void {
    if (this.json) this.#stdout.write(`${JSON.stringify(value, (_key, v: unknown) => (v === undefined ? null : v), 2)}\n`);
    else {
      const text = human();
      if (text !== '') this.#stdout.write(`${text}\n`);
    }
  }

  /** Writes raw text to stdout (for example an inventory document). */
  raw(text: string | Uint8Array): void {
    this.#stdout.write(text);
  }
}

/** Reads the global options as seen from any (sub)command. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** Quotes a path or value for a shell command line when it needs it. */
export function quote(value: string): string {
  return /^[\w./@%+=:,-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * The global options that chose where a transfer went, as command-line flags
 * (each with a leading space), so that a printed resume command reaches the
 * same endpoint, region, profile and account.
 */
export function connectionFlags(opts: GlobalOptions): string {
  const flags: string[] = [];
  if (opts.endpoint) flags.push(`--endpoint ${quote(opts.endpoint)}`);
  if (opts.region) flags.push(`--region ${quote(opts.region)}`);
  if (opts.profile) flags.push(`--profile ${quote(opts.profile)}`);
  if (opts.account !== '-') flags.push(`--account ${quote(opts.account)}`);
  return flags.map((f) => ` ${f}`).join('');
}

/** A note for a request that failed with a transient error and will be tried again. */
export function retryNote(what: string, failure: { error: Error; attemptNumber: number; retriesLeft: number }): string {
  const code = (failure.error as { code?: unknown }).code;
  const reason = typeof code === 'string' && !failure.error.message.includes(code) ? `${code}: ${failure.error.message}` : failure.error.message;
  return failure.retriesLeft > 0
    ? `${what}: attempt ${failure.attemptNumber} failed (${failure.error.name}: ${reason}); retrying (${failure.retriesLeft} more at most).`
    : `${what}: attempt ${failure.attemptNumber} failed (${failure.error.name}: ${reason}); giving up.`;
}
