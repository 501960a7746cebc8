#!/usr/bin/env node
/**
 * `glacier-local`: runs the local Glacier endpoint from the command line.
 *
 * ```
 * glacier-local [--host 127.0.0.1] [--port 0] [--data-dir DIR | --in-memory]
 *               [--job-delay SECONDS] [--no-auth] [--faults SPEC] [--seed N]
 *               [--inventory live|daily] [--time-scale N] [--account-id ID] [--region REGION]
 *               [--link SPEC] [--verbose]
 * glacier-local seed --data-dir DIR --vault NAME --archives N [--size BYTES | --size MIN-MAX]
 *               [--descriptions plain|mt2|fastglacier|cloudberry|mixed] [--seed S]
 * ```
 *
 * When ready it prints `listening on http://HOST:PORT` (the real port) on
 * stdout. SIGINT or SIGTERM shut it down cleanly (exit status 0).
 *
 * @module
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DESCRIPTION_STYLES } from './descriptions.js';
import { parseFaultSpec } from './faults.js';
import { parseLinkSpec } from './link.js';
import { checkSeedOptions, seedVault, type SeedOptions } from './seed.js';
import { startLocalGlacier, type LocalGlacier, type LocalGlacierOptions } from './index.js';
import { packageVersion } from '../version.js';

/** The data directory used when neither `--data-dir` nor `--in-memory` is given. */
export const DEFAULT_DATA_DIR = 'glacier-local-data';

const SPEC_HELP = `
Fault SPEC: comma-separated rules OP:RATE:KIND[:ARG]
  OP    an API operation name (UploadMultipartPart, GetJobOutput, ...) or *
  RATE  probability 0..1, optionally #N to fire at most N times (e.g. 1#2)
  KIND  500       500 ServiceUnavailableException
        503       503 ServiceUnavailable (ARG "empty": no body)
        throttle  400 ThrottlingException
        408       408 RequestTimeoutException
        drop      connection cut mid-body (ARG: bytes before the cut; default half)
        slow      delay of ARG ms (default 1000), then served normally
        corrupt   GetJobOutput: one byte flipped, tree-hash header left correct
        fail      InitiateJob: the job is created but completes Failed, with ARG
                  (no commas) as its StatusMessage; its output cannot be read
        capacity  InitiateJob of an Expedited archive retrieval: 400
                  InsufficientCapacityException (other requests pass through)
  A faulted request changes nothing, except with slow and fail.
  Example: --faults 'UploadMultipartPart:0.1:500,GetJobOutput:0.1:corrupt'
           --faults 'InitiateJob:1#1:fail:Archive retrieval failed'

Link SPEC: comma-separated parts, each optional
  latency=DURATION   each response's first byte is held back (50ms, 0.2s)
  connection=RATE    cap of each TCP connection, request and response bytes each
  total=RATE         cap of all connections together, request and response bytes each
  RATE is a number and B/s, KB/s, MB/s, GB/s (MB = 10^6 bytes) or KiB/s, MiB/s, GiB/s.
  Example: --link latency=50ms,connection=8MB/s,total=125MB/s

Without --data-dir or --in-memory, state is kept in ./${DEFAULT_DATA_DIR}.
To fill a data directory with a big synthetic vault: glacier-local seed --help
Default credentials: access key "test", secret "test", any region.`;

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('Expected a non-negative number.');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('Expected a positive number.');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new InvalidArgumentError('Expected a port number from 0 to 65535.');
  return n;
}

function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError('Expected a whole number.');
  return Number(value);
}

/** An option parser that checks a SPEC with `parse` and keeps its text. */
function spec(parse: (text: string) => unknown): (value: string) => string {
  return (value) => {
    try {
      parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    return value;
  };
}

/**
 * Adds the endpoint's options to a commander command, so that wrappers (such
 * as `glacier local`) accept exactly the same flags. Read them back with
 * {@link localOptionsFrom}.
 */
export function addLocalOptions(command: Command): Command {
  return command
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port to bind (0: any free port)', port, 0)
    .addOption(new Option('--data-dir <dir>', `directory for persistent state (default ./${DEFAULT_DATA_DIR})`).conflicts('inMemory'))
    .option('--in-memory', 'keep all state in memory (lost on exit)')
    .option('--job-delay <seconds>', 'seconds until every job completes (default: Expedited 1, Standard 3, Bulk 5, inventory 3)', nonNegativeNumber)
    .option('--no-auth', 'accept any signature (no SigV4 check)')
    .option('--faults <spec>', 'fault injection rules (see below)', spec(parseFaultSpec))
    .option('--seed <n>', 'seed of the fault randomness', integer)
    .addOption(new Option('--inventory <mode>', "'live': counts and inventories follow changes at once; 'daily': AWS-like daily inventory").choices(['live', 'daily']).default('live'))
    .option(
      '--time-scale <n>',
      'service seconds per real second for every Glacier clock (jobs, 24 h expiries, daily inventory); without --job-delay, jobs take AWS-like times (3600: a Standard retrieval in 3-5 s)',
      positiveNumber,
    )
    .option('--account-id <id>', 'the 12-digit account id', '123456789012')
    .option('--region <region>', 'region used in ARNs', 'us-east-1')
    .option('--link <spec>', 'emulate a network link: latency and rate caps (see below)', spec(parseLinkSpec))
    .option('--verbose', 'log one line per request on stderr');
}

/** Turns parsed flags (from {@link addLocalOptions}) into {@link LocalGlacierOptions}. */
export function localOptionsFrom(opts: Record<string, unknown>, log?: (line: string) => void): LocalGlacierOptions {
  const options: LocalGlacierOptions = {
    host: opts.host as string,
    port: opts.port as number,
    auth: opts.auth !== false,
    accountId: opts.accountId as string,
    region: opts.region as string,
    inventory: opts.inventory as 'live' | 'daily',
  };
  if (opts.inMemory) options.inMemory = true;
  else options.dataDir = (opts.dataDir as string | undefined) ?? DEFAULT_DATA_DIR;
  if (opts.jobDelay !== undefined) options.jobDelay = opts.jobDelay as number;
  if (opts.faults !== undefined) options.faults = opts.faults as string;
  if (opts.seed !== undefined) options.seed = opts.seed as number;
  if (opts.timeScale !== undefined) options.timeScale = opts.timeScale as number;
  if (opts.link !== undefined) options.link = opts.link as string;
  if (opts.verbose && log) options.log = log;
  return options;
}

/**
 * Starts an endpoint with the given options, prints `listening on URL` on
 * stdout, and closes it on SIGINT or SIGTERM (then exits 0).
 */
export async function serveUntilSignalled(options: LocalGlacierOptions): Promise<LocalGlacier> {
  const glacier = await startLocalGlacier(options);
  await new Promise<void>((resolve) => process.stdout.write(`listening on ${glacier.endpoint}\n`, () => resolve()));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    glacier.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error while closing: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return glacier;
}

function sizeOption(value: string): number | { min: number; max: number } {
  const m = /^(\d+)(?:-(\d+))?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('Expected a size in bytes (e.g. 1048576) or a range MIN-MAX (e.g. 1024-4194304).');
  return m[2] === undefined ? Number(m[1]) : { min: Number(m[1]), max: Number(m[2]) };
}

/** Runs `glacier-local seed ...` (argv after `seed`). */
async function seedMain(argv: readonly string[]): Promise<void> {
  const program = new Command('glacier-local seed')
    .description('Fills a data directory with a vault of synthetic archives (bytes generated from the seed, never stored), then exits.')
    .requiredOption('--data-dir <dir>', 'the data directory (no endpoint may be running on it)')
    .requiredOption('--vault <name>', 'the vault to fill (created if missing)')
    .requiredOption('--archives <n>', 'how many archives to add', integer)
    .option('--size <bytes|min-max>', 'archive size in bytes, or a range drawn from the seed (default 1024)', sizeOption)
    .addOption(new Option('--descriptions <style>', 'how descriptions are written, as real tools write them').choices([...DESCRIPTION_STYLES]).default('plain'))
    .option('--seed <n>', 'generator seed (default 1)', integer)
    .showHelpAfterError();
  program.parse(argv as string[], { from: 'user' });
  const opts = program.opts();
  const options: SeedOptions = {
    dataDir: opts.dataDir as string,
    vault: opts.vault as string,
    archives: opts.archives as number,
    descriptions: opts.descriptions as SeedOptions['descriptions'],
    ...(opts.size !== undefined ? { size: opts.size as SeedOptions['size'] } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed as number } : {}),
  };
  try {
    checkSeedOptions(options);
  } catch (err) {
    program.error(`error: ${(err as Error).message}`, { exitCode: 2 });
  }
  const started = Date.now();
  let lastReport = 0;
  const report = await seedVault({
    ...options,
    onProgress: (done, total) => {
      if (Date.now() - lastReport < 1000 && done < total) return;
      lastReport = Date.now();
      process.stderr.write(`seeded ${done} of ${total} archives\n`);
    },
  });
  process.stdout.write(`seeded ${report.archives} archives (${report.bytes} bytes) into vault ${options.vault} in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}

/** Runs the `glacier-local` command with `argv` (as in `process.argv`). */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  if (argv[2] === 'seed') {
    try {
      await seedMain(argv.slice(3));
    } catch (err) {
      process.stderr.write(`glacier-local seed: ${(err as Error).message}\n`);
      process.exit(1);
    }
    return;
  }
  const program = addLocalOptions(new Command('glacier-local'))
    .description('A local Amazon Glacier endpoint (API 2012-06-01) for offline scripts and tests.')
    .version(packageVersion(), '-V, --version')
    .addHelpText('after', SPEC_HELP)
    .showHelpAfterError();
  program.parse(argv as string[]);
  const options = localOptionsFrom(program.opts(), (line) => process.stderr.write(`${line}\n`));
  try {
    await serveUntilSignalled(options);
  } catch (err) {
    process.stderr.write(`glacier-local: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) void main();
