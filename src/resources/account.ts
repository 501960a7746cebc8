/**
 * The Account resource: an AWS account's vaults and its account-wide Glacier
 * settings (data retrieval policy, provisioned capacity).
 *
 * @module
 */
import {
  GetDataRetrievalPolicyCommand,
  ListProvisionedCapacityCommand,
  PurchaseProvisionedCapacityCommand,
  SetDataRetrievalPolicyCommand,
  type DataRetrievalPolicy,
  type GlacierClient,
  type ProvisionedCapacityDescription,
} from '@aws-sdk/client-glacier';
import { ResourceCollection, type ListFilter } from '../collections/collection.js';
import { vaultsSource } from '../collections/sources.js';
import { ValidationError } from '../errors.js';
import { validateVaultName } from '../validation.js';
import { Resource, defineAccessors, makeResource, hydrate, responseId } from './base.js';
import { ACCOUNT_MODEL } from './model.js';
import { checkOptions, sendOptions, type RequestOptions } from './options.js';
import type { Vault } from './vault.js';

/** The identifiers of an {@link Account}. */
export interface AccountIdentifiers {
  /** `-` (the credentials' own account) or a 12-digit account id. */
  id: string;
}

/** Options of `createVault()`. */
export interface CreateVaultOptions extends RequestOptions {
  /** The new vault's name: 1–255 characters of a-z, A-Z, 0-9, `_`, `-` and `.`. */
  vaultName: string;
}

/** The data retrieval strategies Glacier offers. */
export const DATA_RETRIEVAL_STRATEGIES = ['BytesPerHour', 'FreeTier', 'None'] as const;

function checkRetrievalPolicy(policy: unknown): DataRetrievalPolicy {
  const rules = (policy as DataRetrievalPolicy | undefined)?.Rules;
  if (typeof policy !== 'object' || policy === null || !Array.isArray(rules) || rules.length !== 1) {
    throw new ValidationError('policy', 'A data retrieval policy is { Rules: [{ Strategy, BytesPerHour? }] } with exactly one rule.');
  }
  const [rule] = rules as [{ Strategy?: unknown; BytesPerHour?: unknown }];
  if (!(DATA_RETRIEVAL_STRATEGIES as readonly unknown[]).includes(rule.Strategy)) {
    throw new ValidationError('policy', `Strategy must be one of ${DATA_RETRIEVAL_STRATEGIES.join(', ')}, got ${JSON.stringify(rule.Strategy)}.`);
  }
  const perHour = rule.BytesPerHour;
  if (rule.Strategy === 'BytesPerHour' ? typeof perHour !== 'number' || !Number.isSafeInteger(perHour) || perHour < 1 : perHour !== undefined) {
    throw new ValidationError('policy', 'BytesPerHour (a positive integer) is required with Strategy BytesPerHour and not allowed otherwise.');
  }
  return { Rules: [{ ...rule } as NonNullable<DataRetrievalPolicy['Rules']>[number]] };
}

/**
 * An AWS account. It has no attributes; it holds the account's vaults and
 * the account-wide data retrieval policy and provisioned capacity.
 */
export class Account extends Resource<AccountIdentifiers, Record<string, never>> {
  /** The account id (`-` for the credentials' own account). */
  declare readonly id: string;

  /** Makes an Account resource; no request is made. */
  constructor(client: GlacierClient, id: string) {
    super(ACCOUNT_MODEL, client, [id]);
  }

  /** Creates a vault in this account (CreateVault; succeeds if it already exists) and returns it. */
  async createVault(options: CreateVaultOptions): Promise<Vault> {
    const opts = checkOptions(options, ['vaultName', 'signal'], 'createVault()');
    const vault = makeResource<Vault>('Vault', this.client, this.id, validateVaultName(opts.vaultName));
    return vault.create(opts.signal ? { signal: opts.signal } : {});
  }

  /** The account's vaults (ListVaults). */
  get vaults(): ResourceCollection<Vault, ListFilter> {
    return accountVaults(this.client, this.id, `${this.toString()}.vaults`);
  }

  /** The account's data retrieval policy (GetDataRetrievalPolicy). */
  async getDataRetrievalPolicy(options?: RequestOptions): Promise<DataRetrievalPolicy> {
    const output = await this.request((c) => c.send(new GetDataRetrievalPolicyCommand({ accountId: this.id }), sendOptions(options)));
    return { ...output.Policy };
  }

  /**
   * Sets the account's data retrieval policy (SetDataRetrievalPolicy), e.g.
   * `{ Rules: [{ Strategy: 'BytesPerHour', BytesPerHour: 10737418240 }] }`.
   */
  async setDataRetrievalPolicy(policy: DataRetrievalPolicy, options?: RequestOptions): Promise<void> {
    const Policy = checkRetrievalPolicy(policy);
    await this.request((c) => c.send(new SetDataRetrievalPolicyCommand({ accountId: this.id, Policy }), sendOptions(options)));
  }

  /** The account's provisioned capacity units (ListProvisionedCapacity). */
  async listProvisionedCapacity(options?: RequestOptions): Promise<ProvisionedCapacityDescription[]> {
    const output = await this.request((c) => c.send(new ListProvisionedCapacityCommand({ accountId: this.id }), sendOptions(options)));
    return (output.ProvisionedCapacityList ?? []).map((unit) => ({ ...unit }));
  }

  /**
   * Buys one provisioned capacity unit (PurchaseProvisionedCapacity), which
   * guarantees Expedited retrievals, and returns its id. This is billed.
   */
  async purchaseProvisionedCapacity(options?: RequestOptions): Promise<string> {
    const output = await this.request((c) => c.send(new PurchaseProvisionedCapacityCommand({ accountId: this.id }), sendOptions(options)));
    return responseId(output.capacityId, 'PurchaseProvisionedCapacity', 'capacityId');
  }

  /** A vault of this account; no request is made. */
  Vault(name: string): Vault {
    return makeResource<Vault>('Vault', this.client, this.id, name);
  }
}

defineAccessors(Account, ACCOUNT_MODEL);

/** The vaults collection of an account, printed as `name`. @internal */
export function accountVaults(client: GlacierClient, accountId: string, name: string): ResourceCollection<Vault, ListFilter> {
  return new ResourceCollection(
    vaultsSource(client, accountId, name, (vault) => hydrate(makeResource<Vault>('Vault', client, accountId, vault.VaultName ?? ''), vault)),
  );
}

