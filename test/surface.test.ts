/**
 * The exported surface, checked against the table of the resource model's
 * issue: every resource with its identifiers, attributes, actions,
 * collections and sub-resources, and the package root's other exports.
 */
import * as sdk from '@aws-sdk/client-glacier';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { mockedGlacier } from './resources/mock-client.js';

interface Row {
  identifiers: string[];
  attributes: string[];
  actions: string[];
  collections: string[];
  subresources: string[];
}

/** Issue 3's table (boto3's names in camelCase), plus the members beyond boto3 it asks for. */
const TABLE: Record<Exclude<api.ResourceName, never>, Row> = {
  ServiceResource: {
    identifiers: [],
    attributes: [],
    actions: ['createVault'],
    collections: ['vaults'],
    subresources: ['Account', 'Archive', 'Job', 'MultipartUpload', 'Notification', 'Vault'],
  },
  Account: {
    identifiers: ['id'],
    attributes: [],
    actions: ['createVault', 'getDataRetrievalPolicy', 'setDataRetrievalPolicy', 'listProvisionedCapacity', 'purchaseProvisionedCapacity'],
    collections: ['vaults'],
    subresources: ['Vault'],
  },
  Vault: {
    identifiers: ['accountId', 'name'],
    attributes: ['vaultArn', 'vaultName', 'creationDate', 'lastInventoryDate', 'numberOfArchives', 'sizeInBytes'],
    actions: [
      'load',
      'reload',
      'create',
      'delete',
      'uploadArchive',
      'initiateInventoryRetrieval',
      'initiateMultipartUpload',
      'waitUntilExists',
      'waitUntilNotExists',
      'addTags',
      'removeTags',
      'listTags',
      'setAccessPolicy',
      'getAccessPolicy',
      'deleteAccessPolicy',
      'initiateLock',
      'completeLock',
      'abortLock',
      'getLock',
    ],
    collections: ['jobs', 'succeededJobs', 'failedJobs', 'jobsInProgress', 'completedJobs', 'multipartUploads', 'multipartUplaods'],
    subresources: ['Account', 'Archive', 'Job', 'MultipartUpload', 'Notification'],
  },
  Archive: {
    identifiers: ['accountId', 'vaultName', 'id'],
    attributes: ['checksum', 'size', 'description', 'creationDate', 'location'],
    actions: ['delete', 'initiateArchiveRetrieval', 'download'],
    collections: [],
    subresources: ['Vault'],
  },
  Job: {
    identifiers: ['accountId', 'vaultName', 'id'],
    attributes: [
      'action',
      'archiveId',
      'archiveSha256TreeHash',
      'archiveSizeInBytes',
      'completed',
      'completionDate',
      'creationDate',
      'inventoryRetrievalParameters',
      'inventorySizeInBytes',
      'jobDescription',
      'jobId',
      'jobOutputPath',
      'outputLocation',
      'retrievalByteRange',
      'selectParameters',
      'sha256TreeHash',
      'snsTopic',
      'statusCode',
      'statusMessage',
      'tier',
      'vaultArn',
    ],
    actions: ['load', 'reload', 'getOutput', 'waitUntilCompleted', 'download', 'inventory', 'archives'],
    collections: [],
    subresources: ['Vault'],
  },
  MultipartUpload: {
    identifiers: ['accountId', 'vaultName', 'id'],
    attributes: ['archiveDescription', 'creationDate', 'multipartUploadId', 'partSizeInBytes', 'vaultArn'],
    actions: ['abort', 'complete', 'parts', 'uploadPart'],
    collections: [],
    subresources: ['Vault'],
  },
  Notification: {
    identifiers: ['accountId', 'vaultName'],
    attributes: ['snsTopic', 'events'],
    actions: ['load', 'reload', 'set', 'delete'],
    collections: [],
    subresources: ['Vault'],
  },
};

const { client } = mockedGlacier();
const glacier = api.resource({ client });
const INSTANCES: Record<api.ResourceName, api.Resource<object, object>> = {
  ServiceResource: glacier,
  Account: glacier.Account('-'),
  Vault: glacier.Vault('-', 'v'),
  Archive: glacier.Archive('-', 'v', 'a'),
  Job: glacier.Job('-', 'v', 'j'),
  MultipartUpload: glacier.MultipartUpload('-', 'v', 'u'),
  Notification: glacier.Notification('-', 'v'),
};

function accessor(target: object, name: string): PropertyDescriptor | undefined {
  for (let o: object | null = target; o; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d) return d;
  }
  return undefined;
}

describe('exported surface against the table', () => {
  for (const [name, row] of Object.entries(TABLE) as [api.ResourceName, Row][]) {
    describe(name, () => {
      const instance = INSTANCES[name];
      it('is an exported class', () => {
        const Class = (api as Record<string, unknown>)[name];
        expect(typeof Class).toBe('function');
        expect(instance).toBeInstanceOf(Class as new (...a: never[]) => unknown);
        expect(instance).toBeInstanceOf(api.Resource);
      });

      it('has its identifiers, in order, as read-only accessors', () => {
        expect(Object.keys(instance.meta.identifiers)).toEqual(row.identifiers);
        for (const id of row.identifiers) {
          const d = accessor(instance, id);
          expect(d?.get, id).toBeTypeOf('function');
          expect(d?.set, id).toBeUndefined();
          expect((instance as unknown as Record<string, unknown>)[id]).toBe((instance.meta.identifiers as Record<string, string>)[id]);
        }
      });

      it('has its attributes as synchronous getters', () => {
        for (const attribute of row.attributes) {
          const d = accessor(instance, attribute);
          expect(d?.get, attribute).toBeTypeOf('function');
          expect(d?.set, attribute).toBeUndefined();
        }
        const modelled = Object.keys(api.RESOURCE_MODELS[name].attributes);
        const aliases = api.RESOURCE_MODELS[name].identifiers.flatMap((i) => (i.alias ? [i.alias] : []));
        expect([...modelled, ...aliases].sort()).toEqual([...row.attributes].sort());
      });

      it('has its actions', () => {
        for (const action of [...row.actions, 'getAvailableSubresources', 'equals', 'toString']) {
          expect((instance as unknown as Record<string, unknown>)[action], action).toBeTypeOf('function');
        }
        expect(instance.meta.client).toBe(client);
        expect(instance.meta).toHaveProperty('data');
        expect(instance.meta).toHaveProperty('identifiers');
      });

      it('has its collections, lazily', () => {
        for (const collection of row.collections) {
          const value = (instance as unknown as Record<string, unknown>)[collection];
          expect(value, collection).toBeInstanceOf(api.ResourceCollection);
          for (const method of ['all', 'filter', 'limit', 'pageSize', 'pages', 'toArray', Symbol.asyncIterator] as const) {
            expect((value as Record<PropertyKey, unknown>)[method]).toBeTypeOf('function');
          }
        }
        if (name === 'MultipartUpload') expect((instance as api.MultipartUpload).parts()).toBeInstanceOf(api.ResourceCollection);
      });

      it('has its sub-resource constructors, listed sorted', () => {
        expect(instance.getAvailableSubresources()).toEqual([...row.subresources].sort());
        for (const sub of row.subresources) {
          expect((instance as unknown as Record<string, unknown>)[sub], sub).toBeTypeOf('function');
        }
      });
    });
  }
});

describe('package root exports', () => {
  it('exports the entry points, collection, waiter and option helpers', () => {
    for (const name of ['resource', 'createGlacierClient', 'ServiceResource', 'ResourceCollection', 'RESOURCE_MODELS', 'JOB_STATUS_CODES']) {
      expect((api as Record<string, unknown>)[name], name).toBeDefined();
    }
    expect(api.VAULT_WAITER_DELAY).toBe(3000);
    expect(api.VAULT_WAITER_MAX_ATTEMPTS).toBe(15);
  });

  it("exports the library's errors", () => {
    for (const name of ['GlacierResourceError', 'ValidationError', 'ResourceNotLoadedError', 'JobFailedError', 'WaitTimeoutError', 'TreeHashMismatchError', 'UploadError', 'DownloadError']) {
      const E = (api as Record<string, unknown>)[name] as new (...a: never[]) => Error;
      expect(E, name).toBeTypeOf('function');
      expect(E.prototype).toBeInstanceOf(Error);
    }
  });

  it('exports validation constants and checks', () => {
    expect(api.TIERS).toEqual(['Expedited', 'Standard', 'Bulk']);
    expect(api.INVENTORY_FORMATS).toEqual(['JSON', 'CSV']);
    for (const name of ['validateVaultName', 'validateDescription', 'validatePartSize', 'validateRetrievalRange', 'validateTier', 'validateInventoryFormat', 'minimumPartSize']) {
      expect((api as Record<string, unknown>)[name], name).toBeTypeOf('function');
    }
  });

  it('exports the tree-hash helpers', () => {
    for (const name of ['TreeHash', 'LinearAndTreeHash', 'treeHash', 'treeHashFile', 'combineTreeHashes', 'alignedRanges', 'isTreeHashAligned', 'isMegabyteAligned']) {
      expect((api as Record<string, unknown>)[name], name).toBeTypeOf('function');
    }
    expect(api.MiB).toBe(1048576);
  });

  it('exports the transfer functions', () => {
    expect(api.uploadArchive).toBeTypeOf('function');
    expect(api.downloadJobOutput).toBeTypeOf('function');
    expect(api.readInventory).toBeTypeOf('function');
  });

  it("re-exports the SDK's exception classes themselves", () => {
    for (const name of [
      'GlacierServiceException',
      'InsufficientCapacityException',
      'InvalidParameterValueException',
      'LimitExceededException',
      'MissingParameterValueException',
      'NoLongerSupportedException',
      'PolicyEnforcedException',
      'RequestTimeoutException',
      'ResourceNotFoundException',
      'ServiceUnavailableException',
    ]) {
      expect((api as Record<string, unknown>)[name], name).toBe((sdk as Record<string, unknown>)[name]);
    }
    expect(api.GlacierClient).toBe(sdk.GlacierClient);
  });
});
