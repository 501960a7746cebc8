/**
 * VaultExists / VaultNotExists, run by the SDK's own waiters
 * (`waitUntilVaultExists` / `waitUntilVaultNotExists`) with boto3's schedule:
 * a poll every 3 seconds, at most 15 polls. Unlike the SDK's acceptors, an
 * error other than `ResourceNotFoundException` (a 403, a throttle that
 * outlived the retries, …) ends the wait at once instead of being polled
 * until the timeout.
 *
 * @module
 */
import { waitUntilVaultExists, waitUntilVaultNotExists, type DescribeVaultOutput, type GlacierClient } from '@aws-sdk/client-glacier';
import { ValidationError, WaitTimeoutError } from '../errors.js';
import { nameServiceError } from '../service-errors.js';

/** boto3's VaultExists / VaultNotExists delay: 3 seconds. */
export const VAULT_WAITER_DELAY = 3000;
/** boto3's VaultExists / VaultNotExists attempt count: 15. */
export const VAULT_WAITER_MAX_ATTEMPTS = 15;

const UNLIMITED_SLACK = 3_600_000;

/** Options of `vault.waitUntilExists()` and `vault.waitUntilNotExists()`. */
export interface VaultWaiterOptions {
  /** Milliseconds between polls. Default 3000, as boto3. */
  delay?: number;
  /** The most DescribeVault calls to make. Default 15, as boto3. */
  maxAttempts?: number;
  /** An overall time limit in milliseconds. By default only `maxAttempts` limits the wait, as in boto3. */
  maxWaitTime?: number;
  /** Cancels the wait; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The state a vault waiter waits for. */
export type VaultState = 'exists' | 'notExists';

function positive(value: unknown, parameter: string, integer: boolean): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new ValidationError(parameter, `${parameter} must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/**
 * Polls DescribeVault until the vault exists (or no longer does). Resolves
 * with the last DescribeVault output when waiting for `exists`.
 *
 * @param subject - how the vault prints, for error messages
 * @throws WaitTimeoutError when the attempts or the time run out
 * @throws the SDK's service exception (named after the vault) on any error but ResourceNotFoundException
 */
export async function waitForVaultState(
  client: GlacierClient,
  vault: { accountId: string; vaultName: string },
  state: VaultState,
  subject: string,
  options: VaultWaiterOptions = {},
): Promise<DescribeVaultOutput | undefined> {
  const delay = positive(options.delay ?? VAULT_WAITER_DELAY, 'delay', false);
  const maxAttempts = positive(options.maxAttempts ?? VAULT_WAITER_MAX_ATTEMPTS, 'maxAttempts', true);
  // The SDK needs a time limit; without one from the caller, give it room
  // enough that the attempt count always ends the wait first.
  const maxWaitTime = positive(options.maxWaitTime ?? delay * (maxAttempts + 1) + UNLIMITED_SLACK, 'maxWaitTime', false);
  if (maxWaitTime <= delay) {
    throw new ValidationError('maxWaitTime', `maxWaitTime (${maxWaitTime} ms) must be longer than delay (${delay} ms).`);
  }
  const { signal } = options;
  signal?.throwIfAborted();

  const stop = new AbortController();
  const onAbort = (): void => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });

  let attempts = 0;
  let exhausted = false;
  let fatal: { error: unknown } | undefined;
  const wantMissing = state === 'notExists';
  // The SDK's acceptors retry on every error; this client ends the wait on
  // the errors they should not retry, and after the last attempt.
  const watcher: GlacierClient = Object.create(client);
  watcher.send = (async (...args: Parameters<GlacierClient['send']>) => {
    attempts += 1;
    try {
      const output = await (client.send as (...a: unknown[]) => Promise<unknown>)(...args);
      if (wantMissing && attempts >= maxAttempts) {
        exhausted = true;
        stop.abort();
      }
      return output;
    } catch (error) {
      if ((error as { name?: unknown }).name === 'ResourceNotFoundException') {
        if (!wantMissing && attempts >= maxAttempts) {
          exhausted = true;
          stop.abort();
        }
      } else {
        fatal = { error };
        stop.abort();
      }
      throw error;
    }
  }) as GlacierClient['send'];

  const config = { client: watcher, minDelay: delay / 1000, maxDelay: delay / 1000, maxWaitTime: maxWaitTime / 1000, abortSignal: stop.signal };
  const input = { accountId: vault.accountId, vaultName: vault.vaultName };
  try {
    if (state === 'notExists') {
      await waitUntilVaultNotExists(config, input);
      return undefined;
    }
    const result = await waitUntilVaultExists(config, input);
    const { $metadata: _, ...output } = result.reason ?? {};
    return output;
  } catch (error) {
    if (fatal) throw nameServiceError(fatal.error, subject);
    if (signal?.aborted) throw signal.reason;
    const what = state === 'exists' ? 'to exist' : 'to be deleted';
    if (exhausted || (error as { name?: unknown }).name === 'TimeoutError') {
      throw new WaitTimeoutError(
        `${subject} did not come ${what} after ${attempts} DescribeVault call${attempts === 1 ? '' : 's'} ` +
          `(${delay} ms apart); raise ${exhausted ? 'maxAttempts or delay' : 'maxWaitTime'} to wait longer.`,
      );
    }
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
