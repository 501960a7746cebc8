import {
  GlacierServiceException,
  ListJobsCommand,
  ListVaultsCommand,
  ResourceNotFoundException,
  type ListJobsCommandInput,
  type ListVaultsCommandInput,
} from '@aws-sdk/client-glacier';
import { beforeEach, describe, expect, it } from 'vitest';
import { Job, ValidationError, Vault, resource } from '../../src/index.js';
import { mockedGlacier, serviceError } from '../resources/mock-client.js';

/** ListVaults in pages of `size`, over vaults v0..v(n-1), following markers. */
function pagedVaults(n: number, defaultSize = 10) {
  return (input: ListVaultsCommandInput) => {
    const size = input.limit ?? defaultSize;
    const start = input.marker ? Number(input.marker) : 0;
    const end = Math.min(start + size, n);
    const VaultList = Array.from({ length: end - start }, (_, i) => ({ VaultName: `v${start + i}`, NumberOfArchives: start + i }));
    return end < n ? { VaultList, Marker: String(end) } : { VaultList };
  };
}

describe('collections (injected client)', () => {
  const { client, mock } = mockedGlacier();
  const glacier = resource({ client });
  beforeEach(() => mock.reset());

  it('makes no request until iteration starts, and repeats requests on each iteration', async () => {
    mock.on(ListVaultsCommand).callsFake(pagedVaults(3));
    const vaults = glacier.vaults.all().filter({}).pageSize(2).limit(5);
    expect(mock.calls()).toHaveLength(0);
    expect((await vaults.toArray()).map(String)).toEqual([
      "glacier.Vault(accountId='-', name='v0')",
      "glacier.Vault(accountId='-', name='v1')",
      "glacier.Vault(accountId='-', name='v2')",
    ]);
    expect(mock.commandCalls(ListVaultsCommand)).toHaveLength(2);
    await vaults.toArray();
    expect(mock.commandCalls(ListVaultsCommand)).toHaveLength(4);
  });

  it('follows markers and gives each request a fresh input object', async () => {
    const seen: ListVaultsCommandInput[] = [];
    const list = pagedVaults(5);
    mock.on(ListVaultsCommand).callsFake((input: ListVaultsCommandInput) => {
      seen.push({ ...input });
      return list(input);
    });
    const items: Vault[] = [];
    for await (const vault of glacier.vaults.pageSize(2)) items.push(vault);
    expect(items.map((v) => v.name)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    expect(seen.map((i) => [i.limit, i.marker])).toEqual([
      [2, undefined],
      [2, '2'],
      [2, '4'],
    ]);
    // A second iteration starts from scratch: the paginator wrote marker into the first input, not ours.
    await glacier.vaults.pageSize(2).toArray();
    expect(seen[3]?.marker).toBeUndefined();
    const [first, second] = mock.commandCalls(ListVaultsCommand).map((c) => c.args[0].input);
    const fourth = mock.commandCalls(ListVaultsCommand)[3]?.args[0].input;
    expect(first).toBe(second); // the SDK paginator reuses (and mutates) one input per iteration
    expect(fourth).not.toBe(first); // but every iteration starts from a fresh one
  });

  it('hydrates resources with their list element', async () => {
    mock.on(ListVaultsCommand).callsFake(pagedVaults(2));
    const [, second] = await glacier.vaults.toArray();
    expect(second?.numberOfArchives).toBe(1);
    expect(second?.meta.data).toEqual({ VaultName: 'v1', NumberOfArchives: 1 });
  });

  it('limit(n) stops requesting once n items have come', async () => {
    mock.on(ListVaultsCommand).callsFake(pagedVaults(100));
    const some = await glacier.vaults.pageSize(3).limit(4).toArray();
    expect(some.map((v) => v.name)).toEqual(['v0', 'v1', 'v2', 'v3']);
    expect(mock.commandCalls(ListVaultsCommand)).toHaveLength(2);
    expect(await glacier.vaults.limit(0).toArray()).toEqual([]);
    expect(mock.commandCalls(ListVaultsCommand)).toHaveLength(2);
    const pages: number[] = [];
    for await (const page of glacier.vaults.pageSize(3).limit(4).pages()) pages.push(page.length);
    expect(pages).toEqual([3, 1]);
  });

  it('is immutable: chaining returns new collections', async () => {
    mock.on(ListVaultsCommand).callsFake(pagedVaults(20));
    const all = glacier.vaults;
    const limited = all.limit(1);
    expect(limited).not.toBe(all);
    expect(await limited.toArray()).toHaveLength(1);
    expect(await all.toArray()).toHaveLength(20);
  });

  it("filter() takes the API's own limit, completed and statuscode (no boto3 name clash)", async () => {
    mock.on(ListJobsCommand).resolves({ JobList: [{ JobId: 'J1', StatusCode: 'Succeeded', Completed: true }] });
    const vault = glacier.Vault('-', 'v');
    const jobs = await vault.jobs.filter({ limit: '5', completed: true, statuscode: 'Succeeded', marker: 'M0' }).toArray();
    expect(jobs[0]).toBeInstanceOf(Job);
    expect(jobs[0]?.statusCode).toBe('Succeeded');
    const input = mock.commandCalls(ListJobsCommand)[0]?.args[0].input as ListJobsCommandInput;
    expect(input).toMatchObject({ accountId: '-', vaultName: 'v', limit: 5, completed: 'true', statuscode: 'Succeeded', marker: 'M0' });
  });

  it('job collections send their fixed filters', async () => {
    mock.on(ListJobsCommand).resolves({ JobList: [] });
    const vault = glacier.Vault('-', 'v');
    await vault.succeededJobs.toArray();
    await vault.failedJobs.toArray();
    await vault.jobsInProgress.toArray();
    await vault.completedJobs.toArray();
    await vault.jobs.toArray();
    const inputs = mock.commandCalls(ListJobsCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.statuscode, i.completed])).toEqual([
      ['Succeeded', undefined],
      ['Failed', undefined],
      ['InProgress', undefined],
      [undefined, 'true'],
      [undefined, undefined],
    ]);
    expect(() => vault.succeededJobs.filter({ statuscode: 'Failed' })).toThrow(/always lists statuscode=Succeeded/);
    expect(() => vault.completedJobs.filter({ completed: false })).toThrow(ValidationError);
  });

  it('rejects bad filters, limits and page sizes before any request', () => {
    const vault = glacier.Vault('-', 'v');
    expect(() => vault.jobs.filter({ statuscode: 'Done' as 'Failed' })).toThrow(/InProgress, Succeeded, Failed/);
    expect(() => vault.jobs.filter({ completed: 'yes' as 'true' })).toThrow(ValidationError);
    expect(() => vault.jobs.filter({ limit: 0 })).toThrow(/positive integer/);
    expect(() => glacier.vaults.filter({ statuscode: 'Failed' } as object)).toThrow(/does not take 'statuscode'/);
    expect(() => glacier.vaults.limit(-1)).toThrow(ValidationError);
    expect(() => glacier.vaults.pageSize(0)).toThrow(ValidationError);
    expect(mock.calls()).toHaveLength(0);
  });

  it('multipartUplaods is the same collection as multipartUploads', () => {
    const vault = glacier.Vault('-', 'v');
    expect(String(vault.multipartUplaods)).toBe(String(vault.multipartUploads));
    expect(String(vault.multipartUploads)).toBe("glacier.Vault(accountId='-', name='v').multipartUploads");
    expect(String(glacier.vaults)).toBe('glacier.ServiceResource().vaults');
    expect(String(glacier.Account('-').vaults)).toBe("glacier.Account(id='-').vaults");
  });

  it('names the collection in service errors', async () => {
    mock.on(ListJobsCommand).rejects(serviceError(ResourceNotFoundException, 'Vault not found for ARN: arn:aws:glacier:x', 404));
    const error = await glacier.Vault('-', 'gone').jobs.toArray().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error).toBeInstanceOf(GlacierServiceException);
    expect((error as Error).message).toBe(
      "glacier.Vault(accountId='-', name='gone').jobs: the vault does not exist in this account and Region; check its name, the Region and the account (Glacier said: Vault not found for ARN: arn:aws:glacier:x)",
    );
  });

  it('stops when the signal aborts', async () => {
    mock.on(ListVaultsCommand).callsFake(pagedVaults(10));
    const controller = new AbortController();
    const seen: string[] = [];
    const run = (async () => {
      for await (const page of glacier.vaults.pageSize(2).pages({ signal: controller.signal })) {
        seen.push(...page.map((v) => v.name));
        controller.abort(new Error('stop'));
      }
    })();
    await expect(run).rejects.toThrow('stop');
    expect(seen).toEqual(['v0', 'v1']);
    const signals = mock.commandCalls(ListVaultsCommand).map((c) => (c.args as unknown[])[1]);
    expect(signals[0]).toMatchObject({ abortSignal: controller.signal });
    await expect(glacier.vaults.toArray({ signal: controller.signal })).rejects.toThrow('stop');
  });
});

describe('collection printing', () => {
  it('prints its name in util.inspect', async () => {
    const { inspect } = await import('node:util');
    const { client } = mockedGlacier();
    const vault = resource({ client }).Vault('-', 'v');
    expect(inspect(vault.jobs)).toBe("glacier.Vault(accountId='-', name='v').jobs");
    expect(inspect(vault.MultipartUpload('u').parts())).toBe("glacier.MultipartUpload(accountId='-', vaultName='v', id='u').parts()");
  });
});

describe('clients from another copy of the SDK', () => {
  it('lists through any client with a compatible send', async () => {
    const calls: unknown[] = [];
    const foreign = {
      send: async (command: { input: unknown }) => {
        calls.push(command.input);
        return { VaultList: [{ VaultName: 'elsewhere' }] };
      },
    };
    const glacier = resource({ client: foreign as never });
    expect((await glacier.vaults.toArray()).map((v) => v.name)).toEqual(['elsewhere']);
    expect(calls).toHaveLength(1);
  });
});
