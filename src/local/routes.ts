/**
 * Routing: every API operation's handler, and the map from a method and a
 * path to an operation and its path labels.
 *
 * @module
 */
import { abortMultipartUpload, completeMultipartUpload, initiateMultipartUpload, listMultipartUploads, listParts, uploadMultipartPart } from './multipart.js';
import { deleteArchive, uploadArchive } from './archives.js';
import type { Backend } from './backend.js';
import type { PathParams, RequestContext } from './http.js';
import { describeJobOp, getJobOutput, initiateJob, listJobs } from './jobs.js';
import { abortVaultLock, completeVaultLock, getVaultLock, initiateVaultLock } from './lock.js';
import { deleteVaultAccessPolicy, getVaultAccessPolicy, setVaultAccessPolicy } from './policies.js';
import {
  changeTags,
  deleteVaultNotifications,
  getDataRetrievalPolicy,
  getVaultNotifications,
  listProvisionedCapacity,
  listTagsForVault,
  purchaseProvisionedCapacity,
  setDataRetrievalPolicy,
  setVaultNotifications,
} from './settings.js';
import { createVault, deleteVault, describeVaultOp, listVaults } from './vaults.js';

/** A handler of one API operation. */
export type Handler = (b: Backend, ctx: RequestContext) => Promise<void>;

/** The handler of every API operation, by name. */
export const HANDLERS: Readonly<Record<string, Handler>> = {
  AbortMultipartUpload: abortMultipartUpload,
  AbortVaultLock: abortVaultLock,
  AddTagsToVault: changeTags,
  CompleteMultipartUpload: completeMultipartUpload,
  CompleteVaultLock: completeVaultLock,
  CreateVault: createVault,
  DeleteArchive: deleteArchive,
  DeleteVault: deleteVault,
  DeleteVaultAccessPolicy: deleteVaultAccessPolicy,
  DeleteVaultNotifications: deleteVaultNotifications,
  DescribeJob: describeJobOp,
  DescribeVault: describeVaultOp,
  GetDataRetrievalPolicy: getDataRetrievalPolicy,
  GetJobOutput: getJobOutput,
  GetVaultAccessPolicy: getVaultAccessPolicy,
  GetVaultLock: getVaultLock,
  GetVaultNotifications: getVaultNotifications,
  InitiateJob: initiateJob,
  InitiateMultipartUpload: initiateMultipartUpload,
  InitiateVaultLock: initiateVaultLock,
  ListJobs: listJobs,
  ListMultipartUploads: listMultipartUploads,
  ListParts: listParts,
  ListProvisionedCapacity: listProvisionedCapacity,
  ListTagsForVault: listTagsForVault,
  ListVaults: listVaults,
  PurchaseProvisionedCapacity: purchaseProvisionedCapacity,
  RemoveTagsFromVault: changeTags,
  SetDataRetrievalPolicy: setDataRetrievalPolicy,
  SetVaultAccessPolicy: setVaultAccessPolicy,
  SetVaultNotifications: setVaultNotifications,
  UploadArchive: uploadArchive,
  UploadMultipartPart: uploadMultipartPart,
};

/** A matched route. */
export interface Route {
  /** The API operation name. */
  operation: string;
  /** The path labels. */
  params: PathParams;
}

const VAULT_SUBRESOURCES: Record<string, Record<string, string>> = {
  'access-policy': { PUT: 'SetVaultAccessPolicy', GET: 'GetVaultAccessPolicy', DELETE: 'DeleteVaultAccessPolicy' },
  'notification-configuration': { PUT: 'SetVaultNotifications', GET: 'GetVaultNotifications', DELETE: 'DeleteVaultNotifications' },
  'lock-policy': { POST: 'InitiateVaultLock', GET: 'GetVaultLock', DELETE: 'AbortVaultLock' },
  archives: { POST: 'UploadArchive' },
  'multipart-uploads': { POST: 'InitiateMultipartUpload', GET: 'ListMultipartUploads' },
  jobs: { POST: 'InitiateJob', GET: 'ListJobs' },
  tags: { GET: 'ListTagsForVault' },
};

/** Maps a method and decoded path segments (and the query, for tags) to an operation; undefined when none matches. */
export function route(method: string, segments: readonly string[], query: URLSearchParams): Route | undefined {
  const [accountId, collection, name, sub, id, tail, ...rest] = segments;
  if (accountId === undefined || accountId === '' || rest.length > 0) return undefined;
  const params: PathParams = { accountId };
  if (collection === 'policies' && name === 'data-retrieval' && sub === undefined) {
    return method === 'GET' ? { operation: 'GetDataRetrievalPolicy', params } : method === 'PUT' ? { operation: 'SetDataRetrievalPolicy', params } : undefined;
  }
  if (collection === 'provisioned-capacity' && name === undefined) {
    return method === 'GET' ? { operation: 'ListProvisionedCapacity', params } : method === 'POST' ? { operation: 'PurchaseProvisionedCapacity', params } : undefined;
  }
  if (collection !== 'vaults') return undefined;
  if (name === undefined) return method === 'GET' ? { operation: 'ListVaults', params } : undefined;
  if (name === '') return undefined;
  params.vaultName = name;
  if (sub === undefined) {
    const op = ({ PUT: 'CreateVault', GET: 'DescribeVault', DELETE: 'DeleteVault' } as Record<string, string>)[method];
    return op ? { operation: op, params } : undefined;
  }
  if (id === undefined) {
    if (sub === 'tags' && method === 'POST') {
      const operation = query.get('operation');
      if (operation === 'add') return { operation: 'AddTagsToVault', params };
      if (operation === 'remove') return { operation: 'RemoveTagsFromVault', params };
      return undefined;
    }
    const op = VAULT_SUBRESOURCES[sub]?.[method];
    return op ? { operation: op, params } : undefined;
  }
  if (id === '') return undefined;
  if (sub === 'archives' && tail === undefined) return method === 'DELETE' ? { operation: 'DeleteArchive', params: { ...params, archiveId: id } } : undefined;
  if (sub === 'multipart-uploads' && tail === undefined) {
    const op = ({ PUT: 'UploadMultipartPart', POST: 'CompleteMultipartUpload', GET: 'ListParts', DELETE: 'AbortMultipartUpload' } as Record<string, string>)[method];
    return op ? { operation: op, params: { ...params, uploadId: id } } : undefined;
  }
  if (sub === 'jobs') {
    if (tail === undefined && method === 'GET') return { operation: 'DescribeJob', params: { ...params, jobId: id } };
    if (tail === 'output' && method === 'GET') return { operation: 'GetJobOutput', params: { ...params, jobId: id } };
    return undefined;
  }
  if (sub === 'lock-policy' && tail === undefined && method === 'POST') return { operation: 'CompleteVaultLock', params: { ...params, lockId: id } };
  return undefined;
}
