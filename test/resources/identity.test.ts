import { inspect } from 'node:util';
import { DescribeVaultCommand, ListVaultsCommand } from '@aws-sdk/client-glacier';
import { describe, expect, it } from 'vitest';
import { ResourceNotLoadedError, ValidationError, resource } from '../../src/index.js';
import { mockedGlacier } from './mock-client.js';

describe('resource identity', () => {
  const { client, mock } = mockedGlacier();
  const glacier = resource({ client });

  it('prints as boto3 does, in toString and util.inspect', () => {
    expect(String(glacier)).toBe('glacier.ServiceResource()');
    expect(String(glacier.Account('-'))).toBe("glacier.Account(id='-')");
    expect(String(glacier.Vault('-', 'my-vault'))).toBe("glacier.Vault(accountId='-', name='my-vault')");
    expect(inspect(glacier.Vault('-', 'my-vault'))).toBe("glacier.Vault(accountId='-', name='my-vault')");
    expect(String(glacier.Archive('-', 'v', 'ARCH1'))).toBe("glacier.Archive(accountId='-', vaultName='v', id='ARCH1')");
    expect(String(glacier.Job('123456789012', 'v', 'JOB1'))).toBe("glacier.Job(accountId='123456789012', vaultName='v', id='JOB1')");
    expect(String(glacier.MultipartUpload('-', 'v', 'U1'))).toBe("glacier.MultipartUpload(accountId='-', vaultName='v', id='U1')");
    expect(String(glacier.Notification('-', 'v'))).toBe("glacier.Notification(accountId='-', vaultName='v')");
    expect(String(glacier.Archive('-', 'v', "it's"))).toBe("glacier.Archive(accountId='-', vaultName='v', id='it\\'s')");
  });

  it('compares type and identifiers, not data', () => {
    const a = glacier.Vault('-', 'v');
    expect(a.equals(glacier.Vault('-', 'v'))).toBe(true);
    expect(a.equals(glacier.Account('-').Vault('v'))).toBe(true);
    expect(a.equals(glacier.Vault('-', 'w'))).toBe(false);
    expect(a.equals(glacier.Notification('-', 'v'))).toBe(false);
    expect(glacier.Job('-', 'v', 'x').equals(glacier.Archive('-', 'v', 'x'))).toBe(false);
    expect(a.equals({ accountId: '-', name: 'v' })).toBe(false);
  });

  it('exposes meta = { client, data, identifiers }', () => {
    const vault = glacier.Vault('-', 'v');
    expect(vault.meta.client).toBe(client);
    expect(glacier.meta.client).toBe(client);
    expect(vault.meta.identifiers).toEqual({ accountId: '-', name: 'v' });
    expect(vault.meta.data).toBeUndefined();
    expect(vault.meta.resourceName).toBe('Vault');
    expect(vault.accountId).toBe('-');
    expect(vault.name).toBe('v');
    expect(vault.vaultName).toBe('v');
    expect(glacier.Job('-', 'v', 'J').jobId).toBe('J');
    expect(glacier.MultipartUpload('-', 'v', 'U').multipartUploadId).toBe('U');
  });

  it('lists sub-resources sorted, as boto3', () => {
    expect(glacier.getAvailableSubresources()).toEqual(['Account', 'Archive', 'Job', 'MultipartUpload', 'Notification', 'Vault']);
    expect(glacier.Account('-').getAvailableSubresources()).toEqual(['Vault']);
    expect(glacier.Vault('-', 'v').getAvailableSubresources()).toEqual(['Account', 'Archive', 'Job', 'MultipartUpload', 'Notification']);
    for (const r of [glacier.Archive('-', 'v', 'a'), glacier.Job('-', 'v', 'j'), glacier.MultipartUpload('-', 'v', 'u'), glacier.Notification('-', 'v')]) {
      expect(r.getAvailableSubresources()).toEqual(['Vault']);
    }
  });

  it('sub-resource constructors make no request and carry identifiers', () => {
    mock.reset();
    const vault = glacier.Vault('-', 'v');
    expect(String(vault.Account())).toBe("glacier.Account(id='-')");
    expect(String(vault.Archive('a'))).toBe("glacier.Archive(accountId='-', vaultName='v', id='a')");
    expect(String(vault.Job('j').Vault())).toBe("glacier.Vault(accountId='-', name='v')");
    expect(String(vault.MultipartUpload('u').Vault())).toBe("glacier.Vault(accountId='-', name='v')");
    expect(String(vault.Notification().Vault())).toBe("glacier.Vault(accountId='-', name='v')");
    expect(String(vault.Archive('a').Vault())).toBe("glacier.Vault(accountId='-', name='v')");
    expect(mock.calls()).toHaveLength(0);
  });

  it('validates identifiers before any request', () => {
    expect(() => glacier.Vault('-', 'bad name!')).toThrow(ValidationError);
    expect(() => glacier.Vault('12-34', 'v')).toThrow(/12-digit/);
    expect(() => glacier.Archive('-', 'v', '')).toThrow(ValidationError);
    expect(() => (glacier.Vault as (a: string) => unknown)('-')).toThrow(/Required identifier name/);
    expect(() => glacier.Account('not-an-account')).toThrow(ValidationError);
    expect(() => glacier.Vault('-', 'v').Archive('A1', { ArchiveId: 'B2' })).toThrow(/about archive B2/);
  });

  it('createVault checks the vault name before any request', async () => {
    mock.reset();
    const error = await glacier.createVault({} as { vaultName: string }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).parameter).toBe('vaultName');
    await expect(glacier.Account('-').createVault({ vaultName: 'no spaces allowed' })).rejects.toThrow(/Invalid vault name/);
    expect(mock.calls()).toHaveLength(0);
  });

  it('attributes throw ResourceNotLoadedError naming the call that loads them', () => {
    const vault = glacier.Vault('-', 'v');
    expect(() => vault.sizeInBytes).toThrow(ResourceNotLoadedError);
    expect(() => vault.sizeInBytes).toThrow('await vault.load()');
    expect(() => glacier.Job('-', 'v', 'j').statusCode).toThrow('await job.load()');
    expect(() => glacier.Notification('-', 'v').snsTopic).toThrow('await notification.load()');
    expect(() => glacier.Archive('-', 'v', 'a').size).toThrow(/upload that made it .* inventory/);
    expect(() => glacier.MultipartUpload('-', 'v', 'u').partSizeInBytes).toThrow(/vault\.multipartUploads/);
  });

  it('gives every command a fresh input object (the SDK writes into inputs)', async () => {
    mock.reset();
    mock.on(DescribeVaultCommand).resolves({ VaultName: 'v' });
    const vault = glacier.Vault('-', 'v');
    await vault.load();
    await vault.reload();
    const [first, second] = mock.commandCalls(DescribeVaultCommand).map((c) => c.args[0].input);
    expect(first).toEqual({ accountId: '-', vaultName: 'v' });
    expect(second).toEqual({ accountId: '-', vaultName: 'v' });
    expect(first).not.toBe(second);
  });

  it('actions that change the server clear loaded data; collections hydrate', async () => {
    mock.reset();
    mock.on(ListVaultsCommand).resolves({ VaultList: [{ VaultName: 'v', NumberOfArchives: 2, SizeInBytes: 10 }] });
    mock.on(DescribeVaultCommand).resolves({ VaultName: 'v', NumberOfArchives: 3 });
    const [vault] = await glacier.vaults.toArray();
    expect(vault?.numberOfArchives).toBe(2);
    expect(vault?.lastInventoryDate).toBeUndefined();
    await vault?.load();
    expect(vault?.numberOfArchives).toBe(3);
    expect(JSON.parse(JSON.stringify(vault))).toEqual({
      resource: 'Vault',
      identifiers: { accountId: '-', name: 'v' },
      data: { VaultName: 'v', NumberOfArchives: 3 },
    });
    await vault?.addTags({ a: 'b' });
    expect(JSON.stringify(vault)).toBe('{"resource":"Vault","identifiers":{"accountId":"-","name":"v"}}');
    expect(() => vault?.numberOfArchives).toThrow(ResourceNotLoadedError);
  });
});
