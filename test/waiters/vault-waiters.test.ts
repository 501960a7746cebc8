import { DescribeVaultCommand, GlacierServiceException, ResourceNotFoundException } from '@aws-sdk/client-glacier';
import { beforeEach, describe, expect, it } from 'vitest';
import { VAULT_WAITER_DELAY, VAULT_WAITER_MAX_ATTEMPTS, ValidationError, WaitTimeoutError, resource } from '../../src/index.js';
import { mockedGlacier, serviceError } from '../resources/mock-client.js';

const notFound = () => serviceError(ResourceNotFoundException, 'Vault not found', 404);
const accessDenied = () =>
  new GlacierServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 403 },
    message: 'User is not authorized to perform glacier:DescribeVault',
  });

describe('vault waiters (injected client)', () => {
  const { client, mock } = mockedGlacier();
  const vault = resource({ client }).Vault('-', 'photos');
  beforeEach(() => mock.reset());

  it("has boto3's defaults: 3 s apart, 15 attempts", () => {
    expect(VAULT_WAITER_DELAY).toBe(3000);
    expect(VAULT_WAITER_MAX_ATTEMPTS).toBe(15);
  });

  it('waitUntilExists polls through ResourceNotFoundException until the vault exists', async () => {
    mock.on(DescribeVaultCommand).rejectsOnce(notFound()).rejectsOnce(notFound()).resolves({ VaultName: 'photos' });
    const started = Date.now();
    expect(await vault.waitUntilExists({ delay: 20 })).toBe(vault);
    expect(vault.meta.data).toEqual({ VaultName: 'photos' });
    expect(mock.commandCalls(DescribeVaultCommand)).toHaveLength(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(mock.commandCalls(DescribeVaultCommand)[0]?.args[0].input).toEqual({ accountId: '-', vaultName: 'photos' });
  });

  it('resolves at once, with the default schedule, when the vault is there', async () => {
    mock.on(DescribeVaultCommand).resolves({ VaultName: 'photos' });
    const started = Date.now();
    await vault.waitUntilExists();
    expect(Date.now() - started).toBeLessThan(2900);
    expect(mock.commandCalls(DescribeVaultCommand)).toHaveLength(1);
  });

  it('a 403 fails at once instead of being polled until the timeout', async () => {
    mock.on(DescribeVaultCommand).rejects(accessDenied());
    const started = Date.now();
    const error = await vault.waitUntilExists({ delay: 5000 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(error).toBeInstanceOf(GlacierServiceException);
    expect((error as Error).name).toBe('AccessDeniedException');
    expect((error as Error).message).toMatch(/^glacier\.Vault\(accountId='-', name='photos'\): User is not authorized/);
    expect(mock.commandCalls(DescribeVaultCommand)).toHaveLength(1);
    await expect(vault.waitUntilNotExists({ delay: 5000 })).rejects.toThrow(/not authorized/);
  });

  it('gives up with WaitTimeoutError after maxAttempts polls', async () => {
    mock.on(DescribeVaultCommand).rejects(notFound());
    const error = await vault.waitUntilExists({ delay: 10, maxAttempts: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toMatch(/did not come to exist after 3 DescribeVault calls/);
    expect(mock.commandCalls(DescribeVaultCommand)).toHaveLength(3);
  });

  it('gives up with WaitTimeoutError when maxWaitTime passes first', async () => {
    mock.on(DescribeVaultCommand).rejects(notFound());
    const error = await vault.waitUntilExists({ delay: 20, maxAttempts: 1000, maxWaitTime: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toMatch(/raise maxWaitTime/);
    expect(mock.commandCalls(DescribeVaultCommand).length).toBeLessThan(10);
  });

  it('waitUntilNotExists polls while the vault exists and succeeds on ResourceNotFoundException', async () => {
    mock.on(DescribeVaultCommand).resolvesOnce({ VaultName: 'photos' }).rejects(notFound());
    await vault.waitUntilNotExists({ delay: 10 });
    expect(mock.commandCalls(DescribeVaultCommand)).toHaveLength(2);

    mock.reset();
    mock.on(DescribeVaultCommand).resolves({ VaultName: 'photos' });
    await expect(vault.waitUntilNotExists({ delay: 10, maxAttempts: 2 })).rejects.toBeInstanceOf(WaitTimeoutError);
    expect(mock.commandCalls(DescribeVaultCommand)).toHaveLength(2);
  });

  it('an abort signal cancels the wait with its reason', async () => {
    mock.on(DescribeVaultCommand).rejects(notFound());
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user cancelled')), 50);
    const started = Date.now();
    await expect(vault.waitUntilExists({ delay: 5000, signal: controller.signal })).rejects.toThrow('user cancelled');
    expect(Date.now() - started).toBeLessThan(4000);
    await expect(vault.waitUntilExists({ signal: controller.signal })).rejects.toThrow('user cancelled');
  });

  it('validates its options before any request', async () => {
    await expect(vault.waitUntilExists({ delay: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(vault.waitUntilExists({ maxAttempts: 1.5 })).rejects.toThrow(/positive integer/);
    await expect(vault.waitUntilExists({ delay: 100, maxWaitTime: 50 })).rejects.toThrow(/longer than delay/);
    await expect(vault.waitUntilExists({ dealy: 5 } as object)).rejects.toThrow(/no option 'dealy'/);
    expect(mock.calls()).toHaveLength(0);
  });
});
