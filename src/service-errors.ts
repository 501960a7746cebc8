/**
 * Service errors keep their SDK class (so `instanceof ResourceNotFoundException`
 * works) but get a message that names the resource the call was about, and,
 * for `NoLongerSupportedException`, one that explains Glacier's closure to new
 * accounts.
 *
 * @module
 */
import { GlacierServiceException } from '@aws-sdk/client-glacier';

const NAMED = Symbol('glacier-resource.named');

/** What `NoLongerSupportedException` means, in words a vault owner can act on. */
export const NO_LONGER_SUPPORTED_EXPLANATION =
  'Amazon Glacier (the vault-based service) stopped accepting new customers on 15 December 2025. ' +
  'Accounts that already had vaults keep working, but this account is treated as new and may not use the Glacier API: ' +
  'store archives in Amazon S3 with an S3 Glacier storage class (Glacier Flexible Retrieval or Glacier Deep Archive) instead.';

/** A hint added to a message when a service error of a given name is raised about a resource. */
export type ErrorHints = Readonly<Partial<Record<string, string>>>;

/** True for the SDK's modelled and unmodelled Glacier service errors. */
export function isServiceError(error: unknown): error is GlacierServiceException {
  return (
    error instanceof GlacierServiceException ||
    (error instanceof Error && typeof (error as { $fault?: unknown }).$fault === 'string' && '$metadata' in error)
  );
}

/**
 * Rewrites a service error's message to name `subject` (e.g.
 * `glacier.Vault(accountId='-', name='photos')`), once, and returns the same
 * error object. Other errors pass through untouched.
 */
export function nameServiceError(error: unknown, subject: string, hints: ErrorHints = {}): unknown {
  if (isRegionMissing(error) && !(NAMED in error)) {
    rename(error, `${subject}: ${REGION_MISSING_EXPLANATION}`);
    Object.defineProperty(error, REGION_MISSING, { value: true, enumerable: false });
    return error;
  }
  if (!isServiceError(error) || NAMED in error) return error;
  const said = error.message && error.message !== 'UnknownError' ? error.message : error.name;
  // A missing vault is named so by Glacier; the operation's own hint (a job forgotten, an upload expired) would mislead.
  const missingVault = error.name === 'ResourceNotFoundException' && /^Vault not found/i.test(said);
  const hint =
    error.name === 'NoLongerSupportedException' ? NO_LONGER_SUPPORTED_EXPLANATION : missingVault ? MISSING_VAULT_HINT : hints[error.name];
  rename(error, hint ? `${subject}: ${hint} (Glacier said: ${said})` : `${subject}: ${said}`);
  return error;
}

/** What to check when Glacier says the vault does not exist. */
const MISSING_VAULT_HINT = 'the vault does not exist in this account and Region; check its name, the Region and the account';

/** What to do when no Region is configured anywhere. */
export const REGION_MISSING_EXPLANATION =
  'no AWS Region is configured (the SDK said: Region is missing). Pass resource({ region: "us-east-1" }) ' +
  '(the Region your vaults are in), set AWS_REGION, or use a profile that has a region.';

const REGION_MISSING = Symbol('glacier-resource.region-missing');

/**
 * True for the SDK's error for a client without a Region (raised when the
 * first request is sent), before or after {@link nameServiceError} reworded it.
 */
export function isRegionMissing(error: unknown): error is Error {
  return error instanceof Error && (error.message === 'Region is missing' || REGION_MISSING in error);
}

/** Replaces an error's message, once, keeping its class and stack. */
function rename(error: Error, message: string): void {
  const before = error.message;
  error.message = message;
  // util.inspect and console.error print the stack, whose first line holds the message.
  if (typeof error.stack === 'string') {
    const head = `${error.name}: ${before}`;
    error.stack = error.stack.startsWith(head) ? `${error.name}: ${error.message}${error.stack.slice(head.length)}` : error.stack;
  }
  Object.defineProperty(error, NAMED, { value: true, enumerable: false });
}
