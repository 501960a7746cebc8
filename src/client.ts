/**
 * The thin client: `resource()` makes a {@link ServiceResource} around an
 * `@aws-sdk/client-glacier` client, built from a few options or passed in.
 *
 * Region and endpoint follow the SDK's own rules when not given: `AWS_REGION`
 * (or the profile's region) and `AWS_ENDPOINT_URL_GLACIER` /
 * `AWS_ENDPOINT_URL`. Credentials default to the Node provider chain
 * (environment, SSO, shared files, process, web identity, container and
 * instance metadata).
 *
 * @module
 */
import { GlacierClient, type GlacierClientConfig } from '@aws-sdk/client-glacier';
import { fromIni, fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { ValidationError } from './errors.js';
import { validateClient } from './resources/base.js';
import { checkOptions } from './resources/options.js';
import { ServiceResource } from './resources/service-resource.js';

/** Options of {@link resource} and {@link createGlacierClient}. */
export interface ResourceOptions {
  /** The AWS Region, e.g. `us-east-1`. By default `AWS_REGION` or the profile's region. */
  region?: string;
  /** Credentials or a credential provider. By default the Node provider chain (or the `profile`'s credentials). */
  credentials?: GlacierClientConfig['credentials'];
  /** A profile of the shared config and credentials files; its credentials (`fromIni`) and region are used. */
  profile?: string;
  /** An endpoint URL, e.g. a local Glacier endpoint. By default `AWS_ENDPOINT_URL_GLACIER` or AWS's. */
  endpoint?: string;
  /** Use this client as it is (for example one mocked with aws-sdk-client-mock); other options must then be left out. */
  client?: GlacierClient;
  /** Attempts per request, including the first (the SDK's `maxAttempts`; its default is 3). */
  maxAttempts?: number;
}

const OPTION_NAMES = ['region', 'credentials', 'profile', 'endpoint', 'client', 'maxAttempts'] as const;

/**
 * Makes a `GlacierClient` from {@link ResourceOptions} (without `client`).
 * Options left out are left to the SDK, so its environment variables apply.
 */
export function createGlacierClient(options: Omit<ResourceOptions, 'client'> = {}): GlacierClient {
  const opts = checkOptions(options, OPTION_NAMES.filter((n) => n !== 'client'), 'createGlacierClient()');
  const config: GlacierClientConfig = {};
  if (opts.region !== undefined) {
    if (typeof opts.region !== 'string' || !/^[a-z0-9-]+$/.test(opts.region)) {
      throw new ValidationError('region', `Invalid region ${JSON.stringify(opts.region)}: use a Region name such as us-east-1.`);
    }
    config.region = opts.region;
  }
  if (opts.profile !== undefined) {
    if (typeof opts.profile !== 'string' || opts.profile.length === 0) {
      throw new ValidationError('profile', `profile must be the name of a profile in the shared config files, got ${JSON.stringify(opts.profile)}.`);
    }
    config.profile = opts.profile;
  }
  if (opts.endpoint !== undefined) {
    if (typeof opts.endpoint !== 'string' || !URL.canParse(opts.endpoint) || !/^https?:$/.test(new URL(opts.endpoint).protocol)) {
      throw new ValidationError('endpoint', `Invalid endpoint ${JSON.stringify(opts.endpoint)}: use an http:// or https:// URL.`);
    }
    config.endpoint = opts.endpoint;
  }
  if (opts.maxAttempts !== undefined) {
    if (typeof opts.maxAttempts !== 'number' || !Number.isSafeInteger(opts.maxAttempts) || opts.maxAttempts < 1) {
      throw new ValidationError('maxAttempts', `maxAttempts must be a positive integer (1 means no retries), got ${JSON.stringify(opts.maxAttempts)}.`);
    }
    config.maxAttempts = opts.maxAttempts;
  }
  config.credentials =
    opts.credentials ?? (opts.profile !== undefined ? fromIni({ profile: opts.profile }) : fromNodeProviderChain());
  return new GlacierClient(config);
}

/**
 * The entry point: a {@link ServiceResource} over a new client built from
 * `options`, or over `options.client`.
 *
 * @example
 * ```ts
 * const glacier = resource({ region: 'us-east-1' });
 * for await (const vault of glacier.vaults) console.log(String(vault), vault.numberOfArchives);
 * ```
 */
export function resource(options: ResourceOptions = {}): ServiceResource {
  const opts = checkOptions(options, OPTION_NAMES, 'resource()');
  if (opts.client !== undefined) {
    const others = OPTION_NAMES.filter((n) => n !== 'client' && opts[n] !== undefined);
    if (others.length > 0) {
      throw new ValidationError(others[0] ?? 'client', `Pass either client or ${others.join(', ')}: a given client is used as it is.`);
    }
    return new ServiceResource(validateClient(opts.client));
  }
  return new ServiceResource(createGlacierClient(opts));
}
