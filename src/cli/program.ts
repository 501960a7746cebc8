/**
 * The `glacier` command line: global options, the commands, and how errors
 * become one line and an exit code.
 *
 * @module
 */
import { Command, CommanderError, Option } from 'commander';
import { globalOptions, Output } from './context.js';
import { CliError, errorLine, ExitCode, exitCodeFor } from './exit-codes.js';
import { registerCommands } from './commands/index.js';
import { packageVersion } from '../version.js';

const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    unexpected error
  2    usage error (bad argument or option, or no region: pass --region or set
       AWS_REGION; nothing was sent)
  3    not found (vault, archive, job or upload; or job output expired)
  4    the service refused the request (credentials, permissions, a rule, throttling)
  5    data did not verify (tree-hash mismatch); nothing unverified is kept
  6    job failed, not ready yet, or the wait timed out
  7    upload failed; resume it with: glacier upload FILE --vault NAME --resume UPLOAD_ID
  130  interrupted; upload, download and purge can be resumed
  141  standard output closed by its reader (download ... - | head)

Archive, job and upload ids may start with '-'; they work as they are
(putting them after '--' works too).

Credentials come from the usual AWS sources (environment, shared files with
--profile, SSO, instance roles). AWS_ENDPOINT_URL_GLACIER or --endpoint points
the CLI at another endpoint, such as the local one started by 'glacier local'.`;

/** Marks an argument that looks like an option but is a Glacier id (NUL never occurs in a real argument). */
const ID_MARK = '\u0000';

/**
 * Archive, job and upload ids may start with `-`, which commander would take
 * for an option. Arguments that look like such an id (a dash and at least 19
 * more id characters) are marked here and unmarked before the command runs,
 * so they work as operands and as option values alike. The program's own
 * long options (`options`, such as `--delete-after-verify`) are never taken
 * for ids. Arguments after `--` are left alone.
 */
export function protectIds(argv: readonly string[], options: ReadonlySet<string> = new Set()): string[] {
  let operandsOnly = false;
  return argv.map((arg, i) => {
    if (i < 2 || operandsOnly) return arg;
    if (arg === '--') {
      operandsOnly = true;
      return arg;
    }
    return /^-[A-Za-z0-9_-]{19,}$/.test(arg) && !options.has(arg) ? ID_MARK + arg : arg;
  });
}

/** Every long option flag of a program and its commands. */
function longOptions(command: Command, into = new Set<string>()): Set<string> {
  for (const option of command.options) if (option.long) into.add(option.long);
  for (const sub of command.commands) longOptions(sub, into);
  return into;
}

function unmark(value: unknown): unknown {
  if (typeof value === 'string' && value.startsWith(ID_MARK)) return value.slice(ID_MARK.length);
  if (Array.isArray(value)) return value.map(unmark);
  return value;
}

function unmarkCommand(command: Command): void {
  command.processedArgs = command.processedArgs.map(unmark);
  for (const [key, value] of Object.entries(command.opts())) {
    const plain = unmark(value);
    if (plain !== value) command.setOptionValueWithSource(key, plain, command.getOptionValueSource(key) ?? 'cli');
  }
}

/** Builds the `glacier` program. Commands read global options through `optsWithGlobals()`. */
export function createProgram(): Command {
  const program = new Command('glacier')
    .description('Amazon Glacier vaults from the command line: upload, inventory, retrieve, download, purge.')
    .version(packageVersion(), '-V, --version')
    .option('--endpoint <url>', 'endpoint URL (default: AWS, or AWS_ENDPOINT_URL_GLACIER)')
    .option('--region <region>', 'AWS region (default: AWS_REGION, then the profile; with --endpoint, us-east-1; none is a usage error)')
    .option('--profile <name>', 'named profile from the shared AWS config files')
    .addOption(new Option('--account <id>', "account id; '-' is the credentials' own account").default('-'))
    .option('--json', 'machine-readable JSON on stdout')
    .option('--no-progress', 'no progress bars or progress lines')
    .option('--debug', 'show stack traces and SDK details on error')
    .addHelpText('after', EXIT_CODES_HELP)
    .hook('preAction', (thisCommand, actionCommand) => {
      unmarkCommand(thisCommand);
      if (actionCommand !== thisCommand) unmarkCommand(actionCommand);
    })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  registerCommands(program);
  return program;
}

/**
 * Runs the CLI on `argv` (as in `process.argv`) and resolves to the exit
 * code. Errors are printed as one line on stderr (with the stack under
 * `--debug`).
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(protectIds(argv, longOptions(program)));
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with "errors" whose exit code is 0.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    const debug = program.opts<{ debug?: boolean }>().debug === true || process.argv.includes('--debug');
    const output = new Output(globalOptions(program));
    if (debug) process.stderr.write(`${inspectError(error)}\n`);
    output.note(errorLine(error));
    const exitCode = exitCodeFor(error);
    // Scripts reading --json get the failure as a document too.
    if (output.json && !(error instanceof CliError && error.reported)) output.result({ error: { name: error instanceof Error ? error.name : 'Error', message: errorLine(error).replace(/^glacier: (\w+: )?/, ''), exitCode } }, () => '');
    return exitCode;
  }
}

function inspectError(error: unknown): string {
  if (error instanceof Error) {
    const meta = (error as { $metadata?: unknown }).$metadata;
    return `${error.stack ?? String(error)}${meta ? `\n$metadata: ${JSON.stringify(meta)}` : ''}${
      error.cause ? `\ncause: ${inspectError(error.cause)}` : ''
    }`;
  }
  return String(error);
}

export { CliError };
