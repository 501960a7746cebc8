/**
 * The service resource: the entry point of the object model, as boto3's
 * `boto3.resource('glacier')`.
 *
 * @module
 */
import type { GlacierClient } from '@aws-sdk/client-glacier';
import type { ListFilter, ResourceCollection } from '../collections/collection.js';
import { Account, accountVaults, type CreateVaultOptions } from './account.js';
import { Archive } from './archive.js';
import { Resource } from './base.js';
import { Job } from './job.js';
import { SERVICE_MODEL } from './model.js';
import { MultipartUpload } from './multipart-upload.js';
import { Notification } from './notification.js';
import { Vault } from './vault.js';

/**
 * Glacier's service resource: it creates vaults, lists them, and makes any
 * resource from its identifiers without a request. Make one with
 * `resource()`, or `new ServiceResource(client)` around your own client.
 */
export class ServiceResource extends Resource<Record<string, never>, Record<string, never>> {
  /** Wraps an SDK client; no request is made. */
  constructor(client: GlacierClient) {
    super(SERVICE_MODEL, client, []);
  }

  /** Creates a vault in the credentials' own account (CreateVault) and returns it. */
  async createVault(options: CreateVaultOptions): Promise<Vault> {
    return this.Account('-').createVault(options);
  }

  /** The vaults of the credentials' own account (ListVaults). */
  get vaults(): ResourceCollection<Vault, ListFilter> {
    return accountVaults(this.client, '-', `${this.toString()}.vaults`);
  }

  /** An account; no request is made. */
  Account(id: string): Account {
    return new Account(this.client, id);
  }

  /** A vault; no request is made. */
  Vault(accountId: string, name: string): Vault {
    return new Vault(this.client, accountId, name);
  }

  /** An archive; no request is made. */
  Archive(accountId: string, vaultName: string, id: string): Archive {
    return new Archive(this.client, accountId, vaultName, id);
  }

  /** A job; no request is made. */
  Job(accountId: string, vaultName: string, id: string): Job {
    return new Job(this.client, accountId, vaultName, id);
  }

  /** A multipart upload; no request is made. */
  MultipartUpload(accountId: string, vaultName: string, id: string): MultipartUpload {
    return new MultipartUpload(this.client, accountId, vaultName, id);
  }

  /** A vault's notification configuration; no request is made. */
  Notification(accountId: string, vaultName: string): Notification {
    return new Notification(this.client, accountId, vaultName);
  }
}
