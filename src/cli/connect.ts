/**
 * Builds the library's service resource from the CLI's global options.
 *
 * @module
 */
import { resource, type ServiceResource } from '../index.js';
import type { GlobalOptions } from './context.js';

/**
 * The service resource for the global options. The region falls back to the
 * SDK's environment (`AWS_REGION`, the profile) and, for a custom endpoint
 * without one, to `us-east-1` (local endpoints accept any region).
 */
export function connect(options: GlobalOptions): ServiceResource {
  const endpoint = options.endpoint;
  const customEndpoint = endpoint !== undefined || process.env.AWS_ENDPOINT_URL_GLACIER !== undefined;
  const region =
    options.region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    (customEndpoint && options.profile === undefined ? 'us-east-1' : undefined);
  return resource({ endpoint, region, profile: options.profile });
}
