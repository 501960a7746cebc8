/**
 * A local, persistent Amazon Glacier endpoint that `@aws-sdk/client-glacier`,
 * boto3 and the `aws` CLI can talk to as if it were AWS: all 33 operations of
 * API version 2012-06-01, SigV4-checked, crash-safe on disk, with a clock
 * that tests can advance and seeded fault injection.
 *
 * @example
 * ```ts
 * import { startLocalGlacier } from 'glacier-resource/local';
 * const glacier = await startLocalGlacier({ dataDir: './glacier-data' });
 * const client = new GlacierClient({ region: 'us-east-1', endpoint: glacier.endpoint,
 *   credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
 * // …
 * await glacier.close();
 * ```
 *
 * @module
 */
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { SigV4Verifier, type LocalCredentials } from './auth.js';
import { Backend, DEFAULT_JOB_DELAYS, type JobDelays } from './backend.js';
import { Clock } from './clock.js';
import { openStorage } from './datadir.js';
import { FaultInjector, type FaultRule } from './faults.js';
import { emulateLink, resolveLink, type LinkSettings } from './link.js';
import { createGlacierServer } from './server.js';

export type { FaultKind, FaultRule } from './faults.js';
export { parseFaultSpec, formatFaultSpec, DEFAULT_JOB_FAILURE } from './faults.js';
export type { LocalCredentials } from './auth.js';
export type { LinkSettings } from './link.js';
export { parseLinkSpec } from './link.js';
export type { JobDelays } from './backend.js';
export { seedVault, type SeedOptions, type SeedReport, type SizeRange } from './seed.js';
export { DESCRIPTION_STYLES, type DescriptionStyle } from './descriptions.js';

/** Options of {@link startLocalGlacier}. */
export interface LocalGlacierOptions {
  /** Address to bind (default `127.0.0.1`). */
  host?: string;
  /** Port to bind (default 0: any free port; the real one is in {@link LocalGlacier.endpoint}). */
  port?: number;
  /** Directory for persistent, crash-safe state. Created if missing. */
  dataDir?: string;
  /**
   * Keep everything in memory, nothing on disk. This is the default when
   * `dataDir` is not given; giving both is an error.
   */
  inMemory?: boolean;
  /**
   * Seconds until a job completes: one number for all jobs, or per tier and for
   * inventories. 0 completes jobs at once. Defaults: Expedited 1, Standard 3,
   * Bulk 5, inventory 3.
   */
  jobDelay?: number | Partial<JobDelays>;
  /** Check SigV4 signatures (default true). `false` accepts any or no signature. */
  auth?: boolean;
  /** Accepted key pairs (default one pair: `test` / `test`). Any region is accepted. */
  credentials?: LocalCredentials[];
  /**
   * The account's 12-digit id (default `123456789012`). Paths may use it or `-`;
   * another 12-digit id gets 403 AccessDeniedException, anything else 400.
   */
  accountId?: string;
  /** Region used in ARNs (default `us-east-1`). */
  region?: string;
  /**
   * `live` (default): vault counts and inventories follow every change at once.
   * `daily`: like AWS, a vault's inventory is taken about a day after changes
   * (on the endpoint clock) and DeleteVault refuses a vault written to since.
   */
  inventory?: 'live' | 'daily';
  /** Fault injection rules, as a SPEC string (see `faults.ts`) or parsed rules. */
  faults?: string | FaultRule[];
  /** Seed of the fault randomness (default 1). */
  seed?: number;
  /**
   * Service seconds per real second (default 1). Every Glacier clock runs
   * this much faster: job completion, the 24 h job-output window, idle
   * multipart uploads, the vault lock's 24 h, the daily inventory and the
   * data-retrieval policy's hour. Unless `jobDelay` is given, jobs then take
   * AWS's typical times (Expedited 1-5 min, Standard 3-5 h, Bulk 5-12 h,
   * inventories 3-5 h), drawn from `seed`: with 3600, a Standard retrieval
   * completes in 3-5 s and its output expires 24 s later.
   */
  timeScale?: number;
  /**
   * Milliseconds without a byte of a request's body before the endpoint
   * answers 408 RequestTimeoutException and closes the connection, as AWS
   * does after about 20 s (default 20000; 0 waits forever).
   */
  bodyTimeout?: number;
  /**
   * Network link emulation: latency before each response and rate caps per
   * connection and in total, as a SPEC string such as
   * `latency=50ms,connection=8MB/s,total=125MB/s` (see `link.ts`) or parsed.
   */
  link?: string | LinkSettings;
  /** Receives one line per request (never credentials or signatures). */
  log?: (line: string) => void;
}

/** The endpoint clock as tests see it. */
export interface LocalClock {
  /** The current time on the endpoint clock (real time plus every advance). */
  now(): Date;
  /** Moves the endpoint clock forward by `ms` milliseconds. */
  advance(ms: number): void;
}

/** A running endpoint. */
export interface LocalGlacier {
  /** `http://HOST:PORT`, with the real port. */
  readonly endpoint: string;
  /** The account id paths resolve `-` to. */
  readonly accountId: string;
  /** The endpoint clock; `advance(ms)` moves it forward (job delays, 24 h expiries, daily inventory). */
  readonly clock: LocalClock;
  /** Replaces the fault rules; undefined clears them. */
  setFaults(faults: string | FaultRule[] | undefined): void;
  /** Stops listening, closes connections and waits for pending writes. */
  close(): Promise<void>;
}

function resolveJobDelays(jobDelay: LocalGlacierOptions['jobDelay']): JobDelays {
  if (jobDelay === undefined) return { ...DEFAULT_JOB_DELAYS };
  const delays: JobDelays =
    typeof jobDelay === 'number'
      ? { Expedited: jobDelay, Standard: jobDelay, Bulk: jobDelay, inventory: jobDelay }
      : { ...DEFAULT_JOB_DELAYS, ...Object.fromEntries(Object.entries(jobDelay).filter(([, v]) => v !== undefined)) };
  for (const [k, v] of Object.entries(delays)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`jobDelay.${k} must be a non-negative number of seconds, got ${String(v)}.`);
  }
  return delays;
}

/**
 * Starts a local Glacier endpoint and resolves once it is listening.
 *
 * With `dataDir`, state is kept in that directory (see `datadir.ts`): every
 * change is durable before it is acknowledged, and blobs left over by a
 * crash (never referenced by committed metadata) are deleted at start.
 */
export async function startLocalGlacier(options: LocalGlacierOptions = {}): Promise<LocalGlacier> {
  if (options.dataDir !== undefined && options.inMemory) throw new TypeError('Give either dataDir or inMemory, not both.');
  const accountId = options.accountId ?? '123456789012';
  if (!/^\d{12}$/.test(accountId)) throw new TypeError(`accountId must be 12 digits, got ${JSON.stringify(accountId)}.`);
  const region = options.region ?? 'us-east-1';
  const inventory = options.inventory ?? 'live';
  if (inventory !== 'live' && inventory !== 'daily') throw new TypeError(`inventory must be 'live' or 'daily', got ${JSON.stringify(inventory)}.`);
  const timeScale = options.timeScale ?? 1;
  if (typeof timeScale !== 'number' || !Number.isFinite(timeScale) || timeScale <= 0) {
    throw new RangeError(`timeScale must be a positive number (service seconds per real second), got ${String(timeScale)}.`);
  }
  const jobDelays = options.jobDelay === undefined && options.timeScale !== undefined ? 'aws' : resolveJobDelays(options.jobDelay);
  const faults = new FaultInjector(options.faults, options.seed ?? 1);
  const link = options.link === undefined ? undefined : resolveLink(options.link);
  const credentials: LocalCredentials[] = options.credentials ?? [{ accessKeyId: 'test', secretAccessKey: 'test' }];

  const dataDir = options.dataDir !== undefined ? resolve(options.dataDir) : undefined;
  const { store, blobs } = await openStorage(dataDir);
  const clock = new Clock(timeScale);
  const backend = new Backend(store, blobs, clock, { accountId, region, jobDelays, inventory, seed: options.seed ?? 1 });

  const server = createGlacierServer({
    backend,
    verifier: options.auth === false ? undefined : new SigV4Verifier(credentials),
    faults,
    log: options.log,
    ...(options.bodyTimeout !== undefined ? { bodyTimeoutMs: options.bodyTimeout } : {}),
  });
  if (link) emulateLink(server, link);
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (err) {
    store.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${shownHost}:${port}`,
    accountId,
    clock: { now: () => clock.now(), advance: (ms: number) => clock.advance(ms) },
    setFaults: (f) => faults.set(f),
    close: () =>
      (closing ??= new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      })
        .finally(() => store.close())),
  };
}
