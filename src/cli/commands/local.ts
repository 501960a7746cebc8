import type { Command } from 'commander';
import { addLocalOptions, localOptionsFrom, serveUntilSignalled } from '../../local/cli.js';

/**
 * `glacier local`: the local Glacier endpoint, with exactly the flags of
 * `glacier-local` (they come from the endpoint's own command definition).
 */
export function registerLocal(program: Command): void {
  const local = program
    .command('local')
    .description('run a local Glacier endpoint until Ctrl-C (the same as glacier-local; see its --help)');
  addLocalOptions(local).action(async (_options: unknown, command: Command) => {
    // `--region` is also a global option of `glacier`: whichever position it
    // was given in, it means the endpoint's region here.
    const options = localOptionsFrom(command.optsWithGlobals(), (line) => process.stderr.write(`${line}\n`));
    await serveUntilSignalled(options);
    // Serve until SIGINT or SIGTERM, which close the endpoint and exit.
    await new Promise<never>(() => undefined);
  });
}
