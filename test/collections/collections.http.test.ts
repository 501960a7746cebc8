/**
 * Collections over HTTP against the local endpoint: real ListVaults /
 * ListJobs pagination through the SDK paginators.
 */
import { ListVaultsCommand } from '@aws-sdk/client-glacier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resource, type ServiceResource } from '../../src/index.js';
import { startTestEndpoint, type TestEndpoint } from '../helpers/endpoint.js';

let endpoint: TestEndpoint;
let glacier: ServiceResource;
const requests: string[] = [];
const listVaultCalls = () => requests.filter((line) => line.includes(' ListVaults ')).length;

beforeAll(async () => {
  endpoint = await startTestEndpoint({ log: (line) => requests.push(line) });
  glacier = resource({ client: endpoint.client });
  for (let i = 0; i < 25; i++) await glacier.createVault({ vaultName: `coll-${String(i).padStart(2, '0')}` });
});
afterAll(() => endpoint.close());

describe('collections over HTTP', () => {
  it('iterates every vault across pages of the default size (10)', async () => {
    const before = listVaultCalls();
    const names: string[] = [];
    for await (const vault of glacier.vaults) names.push(vault.name);
    expect(names).toHaveLength(25);
    expect(new Set(names).size).toBe(25);
    expect(listVaultCalls() - before).toBe(3);
  });

  it('pageSize(n) sets the API limit; pages() yields one array per request', async () => {
    const sizes: number[] = [];
    for await (const page of glacier.vaults.pageSize(7).pages()) sizes.push(page.length);
    expect(sizes).toEqual([7, 7, 7, 4]);
    const viaFilter: number[] = [];
    for await (const page of glacier.vaults.filter({ limit: 12 }).pages()) viaFilter.push(page.length);
    expect(viaFilter).toEqual([12, 12, 1]);
  });

  it('makes no request until iteration, and limit(n) stops requesting after n items', async () => {
    const before = listVaultCalls();
    const collection = glacier.Account('-').vaults.pageSize(5).limit(6);
    expect(listVaultCalls()).toBe(before);
    const vaults = await collection.toArray();
    expect(vaults).toHaveLength(6);
    expect(listVaultCalls() - before).toBe(2);
    expect(vaults[5]?.vaultArn).toMatch(/:vaults\/coll-/);
  });

  it('filter({ marker }) starts from the marker of an earlier listing', async () => {
    const all = (await glacier.vaults.toArray()).map((v) => v.name);
    const earlier = await endpoint.client.send(new ListVaultsCommand({ accountId: '-', limit: 2 }));
    expect(earlier.Marker).toBeDefined();
    const rest = (await glacier.vaults.filter({ marker: earlier.Marker ?? '' }).toArray()).map((v) => v.name);
    expect(rest).toEqual(all.slice(2));
  });

  it('job collections follow markers too', async () => {
    const vault = await glacier.createVault({ vaultName: 'many-jobs' });
    const archive = await vault.uploadArchive({ body: 'job fodder' });
    for (let i = 0; i < 5; i++) await archive.initiateArchiveRetrieval({ description: `job ${i}` });
    const sizes: number[] = [];
    for await (const page of vault.succeededJobs.pageSize(2).pages()) sizes.push(page.length);
    expect(sizes).toEqual([2, 2, 1]);
    const descriptions = (await vault.jobs.toArray()).map((j) => j.jobDescription).sort();
    expect(descriptions).toEqual(['job 0', 'job 1', 'job 2', 'job 3', 'job 4']);
  });
});
