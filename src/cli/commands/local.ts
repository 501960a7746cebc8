import { Option, type Command } from 'commander';
import { startLocalGlacier, type LocalGlacierOptions } from '../../local/index.js';
import { oneOf, seconds } from '../args.js';
import { CliError, ExitCode } from '../exit-codes.js';

interface LocalOptions {
  host: string;
  port: number;
  dataDir?: string;
  inMemory?: boolean;
  jobDelay?: number;
  auth: boolean;
  faults?: string;
  inventory?: 'live' | 'daily';
  seed?: number;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`--port must be 0-65535, not '${value}'`, ExitCode.USAGE);
  return n;
}

/** `glacier local`: the local Glacier endpoint, with the same flags as `glacier-local`. */
export function registerLocal(program: Command): void {
  program
    .command('local')
    .description('run a local Glacier endpoint (the same as glacier-local) until Ctrl-C')
    .addOption(new Option('--host <host>', 'address to bind').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'port to bind; 0 picks a free one').default(0).argParser(port))
    .addOption(new Option('--data-dir <dir>', 'directory for persistent state').conflicts('inMemory'))
    .option('--in-memory', 'keep everything in memory (the default without --data-dir)')
    .option('--job-delay <seconds>', 'seconds until every job completes (default: Expedited 1, Standard 3, Bulk 5, inventory 3)', (v) =>
      seconds(v, '--job-delay'),
    )
    .option('--no-auth', 'accept any signature')
    .option('--faults <spec>', 'fault injection rules, e.g. UploadMultipartPart:0.1:500,GetJobOutput:0.1:corrupt')
    .addOption(
      new Option('--inventory <mode>', "'live': inventories follow every change; 'daily': AWS's daily lag").argParser(
        oneOf(['live', 'daily'] as const, '--inventory'),
      ),
    )
    .option('--seed <n>', 'seed of the fault randomness', (v) => Number(v))
    .action(async (options: LocalOptions) => {
      const settings: LocalGlacierOptions = {
        host: options.host,
        port: options.port,
        dataDir: options.dataDir,
        inMemory: options.dataDir === undefined ? true : undefined,
        jobDelay: options.jobDelay,
        auth: options.auth,
        faults: options.faults,
        inventory: options.inventory,
        seed: options.seed,
      };
      const local = await startLocalGlacier(settings);
      process.stdout.write(`listening on ${local.endpoint}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await local.close();
    });
}
