/**
 * Vault notifications, tags, the account's data retrieval policy and
 * provisioned capacity.
 *
 * @module
 */
import type { Backend } from './backend.js';
import { isoDate } from './clock.js';
import { invalidParameter, limitExceeded, missingParameter, notFound } from './errors.js';
import { jsonBody, sendEmpty, sendJson, type RequestContext } from './http.js';
import { newCapacityId } from './ids.js';
import type { DataRetrievalPolicy } from './state.js';

/** Events a vault notification configuration may name. */
export const NOTIFICATION_EVENTS = ['ArchiveRetrievalCompleted', 'InventoryRetrievalCompleted'] as const;
/** Tags per vault. */
export const MAX_TAGS = 10;
/** Provisioned capacity units per account. */
export const MAX_CAPACITY_UNITS = 2;

/** Checks that `topic` is an SNS topic ARN (400 otherwise). */
export function validateSnsTopic(topic: string): void {
  if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/.test(topic)) {
    throw invalidParameter(`Invalid SNSTopic: ${topic}. Expected an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:my-topic.`);
  }
}

/** SetVaultNotifications: PUT /{accountId}/vaults/{vaultName}/notification-configuration. */
export async function setVaultNotifications(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const body = jsonBody(ctx);
  const topic = body.SNSTopic;
  const events = body.Events;
  if (topic === undefined || topic === null) throw missingParameter('Required parameter missing: SNSTopic');
  if (typeof topic !== 'string') throw invalidParameter('SNSTopic must be a string.');
  validateSnsTopic(topic);
  if (events === undefined || events === null) throw missingParameter('Required parameter missing: Events');
  if (!Array.isArray(events) || events.length === 0) throw invalidParameter('Events must be a non-empty list.');
  for (const e of events) {
    if (!(NOTIFICATION_EVENTS as readonly unknown[]).includes(e)) {
      throw invalidParameter(`Invalid event: ${String(e)}. Valid events are ${NOTIFICATION_EVENTS.join(' and ')}.`);
    }
  }
  const notifications = { SNSTopic: topic, Events: [...new Set(events as string[])] };
  b.write(ctx, () => b.store.updateVault(vault.name, { notifications }));
  sendEmpty(ctx.res, 204);
}

/** GetVaultNotifications: GET /{accountId}/vaults/{vaultName}/notification-configuration. */
export async function getVaultNotifications(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  if (!vault.notifications) throw notFound(`No notification configuration is set for the vault: ${b.vaultArn(vault.name)}`);
  sendJson(ctx.res, 200, vault.notifications);
}

/** DeleteVaultNotifications: DELETE /{accountId}/vaults/{vaultName}/notification-configuration. */
export async function deleteVaultNotifications(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  b.write(ctx, () => b.store.updateVault(vault.name, { notifications: null }));
  sendEmpty(ctx.res, 204);
}

/** AddTagsToVault / RemoveTagsFromVault: POST /{accountId}/vaults/{vaultName}/tags?operation=add|remove. */
export async function changeTags(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const body = jsonBody(ctx);
  // A Map, so that a key such as __proto__ is just a key.
  const current = new Map(Object.entries(vault.tags));
  if (ctx.operation === 'AddTagsToVault') {
    const tags = body.Tags ?? {};
    if (tags === null || typeof tags !== 'object' || Array.isArray(tags)) throw invalidParameter('Tags must be a map of strings.');
    const entries = Object.entries(tags as Record<string, unknown>);
    for (const [k, v] of entries) {
      if (typeof v !== 'string') throw invalidParameter(`The value of tag ${k} must be a string.`);
      if (k.length < 1 || k.length > 128) throw invalidParameter(`Invalid tag key: ${k}. Keys are 1 to 128 characters.`);
      if (v.length > 256) throw invalidParameter(`Invalid value for tag ${k}: values are at most 256 characters.`);
      if (k.toLowerCase().startsWith('aws:')) throw invalidParameter(`Invalid tag key: ${k}. The aws: prefix is reserved.`);
    }
    const keys = new Set([...current.keys(), ...entries.map(([k]) => k)]);
    if (keys.size > MAX_TAGS) throw limitExceeded(`A vault can have at most ${MAX_TAGS} tags; this request would leave ${keys.size}.`);
    for (const [k, v] of entries) current.set(k, v as string);
  } else {
    const keys = body.TagKeys ?? [];
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) throw invalidParameter('TagKeys must be a list of strings.');
    for (const k of keys as string[]) current.delete(k);
  }
  b.write(ctx, () => b.store.updateVault(vault.name, { tags: Object.fromEntries(current) }));
  sendEmpty(ctx.res, 204);
}

/** ListTagsForVault: GET /{accountId}/vaults/{vaultName}/tags. */
export async function listTagsForVault(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  sendJson(ctx.res, 200, { Tags: vault.tags });
}

/** GetDataRetrievalPolicy: GET /{accountId}/policies/data-retrieval. */
export async function getDataRetrievalPolicy(b: Backend, ctx: RequestContext): Promise<void> {
  sendJson(ctx.res, 200, { Policy: b.store.dataRetrievalPolicy() });
}

/** SetDataRetrievalPolicy: PUT /{accountId}/policies/data-retrieval. One rule: BytesPerHour (with a limit), FreeTier or None. */
export async function setDataRetrievalPolicy(b: Backend, ctx: RequestContext): Promise<void> {
  const body = jsonBody(ctx);
  const policy = body.Policy;
  let rules: unknown = [];
  if (policy !== undefined && policy !== null) {
    if (typeof policy !== 'object' || Array.isArray(policy)) throw invalidParameter('Policy must be an object with Rules.');
    rules = (policy as { Rules?: unknown }).Rules ?? [];
  }
  if (!Array.isArray(rules) || rules.length > 1) throw invalidParameter('A data retrieval policy has exactly one rule.');
  const next: DataRetrievalPolicy = { Rules: [] };
  for (const rule of rules as Array<Record<string, unknown>>) {
    const strategy = rule?.Strategy;
    const bytes = rule?.BytesPerHour;
    if (strategy === 'BytesPerHour') {
      if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 1) {
        throw invalidParameter('BytesPerHour must be a whole number of at least 1 when the strategy is BytesPerHour.');
      }
      next.Rules.push({ Strategy: strategy, BytesPerHour: bytes });
    } else if (strategy === 'FreeTier' || strategy === 'None') {
      if (bytes !== undefined && bytes !== null) throw invalidParameter(`BytesPerHour is only valid with the BytesPerHour strategy, not ${strategy}.`);
      next.Rules.push({ Strategy: strategy });
    } else {
      throw invalidParameter(`Invalid strategy: ${String(strategy)}. Valid strategies are BytesPerHour, FreeTier and None.`);
    }
  }
  if (next.Rules.length === 0) next.Rules.push({ Strategy: 'None' });
  b.write(ctx, () => b.store.setDataRetrievalPolicy(next));
  sendEmpty(ctx.res, 204);
}

/** PurchaseProvisionedCapacity: POST /{accountId}/provisioned-capacity. At most two active units. */
export async function purchaseProvisionedCapacity(b: Backend, ctx: RequestContext): Promise<void> {
  const now = b.now();
  const capacity = b.store.capacity().filter((c) => c.expires > now);
  if (capacity.length >= MAX_CAPACITY_UNITS) {
    throw limitExceeded(`An account can have at most ${MAX_CAPACITY_UNITS} provisioned capacity units.`);
  }
  const start = new Date(now);
  const expires = new Date(now);
  expires.setUTCMonth(expires.getUTCMonth() + 1);
  const id = newCapacityId();
  b.write(ctx, () => b.store.setCapacity([...capacity, { id, start: start.getTime(), expires: expires.getTime() }]));
  sendEmpty(ctx.res, 201, { 'x-amz-capacity-id': id });
}

/** ListProvisionedCapacity: GET /{accountId}/provisioned-capacity. */
export async function listProvisionedCapacity(b: Backend, ctx: RequestContext): Promise<void> {
  sendJson(ctx.res, 200, {
    ProvisionedCapacityList: b.store.capacity().map((c) => ({ CapacityId: c.id, StartDate: isoDate(c.start), ExpirationDate: isoDate(c.expires) })),
  });
}
