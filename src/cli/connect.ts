/**
 * Builds the library's service resource from the CLI's global options.
 *
 * @module
 */
import { resource, type ServiceResource } from '../index.js';
import type { GlobalOptions } from './context.js';

/**
 * The region to use: the option, else the SDK's environment (`AWS_REGION`,
 * `AWS_DEFAULT_REGION`), else the profile's; for a custom endpoint without
 * any of these, `us-east-1` (local endpoints accept any region).
 */
export function chooseRegion(options: { region?: string | undefined; endpoint?: string | undefined; profile?: string | undefined }): string | undefined {
  const customEndpoint = options.endpoint !== undefined || process.env.AWS_ENDPOINT_URL_GLACIER !== undefined;
  return (
    options.region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    (customEndpoint && options.profile === undefined ? 'us-east-1' : undefined)
  );
}

/** The service resource for the global options. */
export function connect(options: GlobalOptions): ServiceResource {
  return resource({ endpoint: options.endpoint, region: chooseRegion(options), profile: options.profile });
}
