/**
 * The Notification resource: a vault's notification configuration.
 *
 * @module
 */
import {
  DeleteVaultNotificationsCommand,
  GetVaultNotificationsCommand,
  SetVaultNotificationsCommand,
  type GlacierClient,
  type VaultNotificationConfig,
} from '@aws-sdk/client-glacier';
import { ValidationError } from '../errors.js';
import { validateId } from '../validation.js';
import { Resource, defineAccessors, makeResource } from './base.js';
import { NOTIFICATION_MODEL } from './model.js';
import { checkOptions, sendOptions, type RequestOptions } from './options.js';
import type { Vault } from './vault.js';

/** The identifiers of a {@link Notification}. */
export interface NotificationIdentifiers {
  /** `-` or a 12-digit account id. */
  accountId: string;
  /** The vault's name. */
  vaultName: string;
}

/** The events Glacier can notify about. */
export const NOTIFICATION_EVENTS = ['ArchiveRetrievalCompleted', 'InventoryRetrievalCompleted'] as const;

/** An event Glacier can notify about. */
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** Options of {@link Notification.set}. */
export interface NotificationSetOptions extends RequestOptions {
  /** The SNS topic ARN to notify. Glacier does not check that it exists or accepts messages. */
  snsTopic: string;
  /** The events to notify about. */
  events: readonly NotificationEvent[];
}

/**
 * A vault's notification configuration. Its attributes are
 * GetVaultNotifications' output: call `await notification.load()` first.
 */
export class Notification extends Resource<NotificationIdentifiers, VaultNotificationConfig> {
  /** The account id (`-` for the credentials' own account). */
  declare readonly accountId: string;
  /** The vault's name. */
  declare readonly vaultName: string;
  /** The SNS topic ARN notified. */
  declare readonly snsTopic: string | undefined;
  /** The events notified about. */
  declare readonly events: string[] | undefined;

  /** Makes a Notification resource; no request is made. */
  constructor(client: GlacierClient, accountId: string, vaultName: string) {
    super(NOTIFICATION_MODEL, client, [accountId, vaultName]);
  }

  /**
   * Loads the configuration (GetVaultNotifications) and returns the
   * resource. A vault without one answers ResourceNotFoundException.
   */
  async load(options?: RequestOptions): Promise<this> {
    const output = await this.request((c) =>
      c.send(new GetVaultNotificationsCommand({ accountId: this.accountId, vaultName: this.vaultName }), sendOptions(options)),
    );
    this.setData({ ...output.vaultNotificationConfig });
    return this;
  }

  /** The same as {@link Notification.load}. */
  reload(options?: RequestOptions): Promise<this> {
    return this.load(options);
  }

  /** Sets the configuration (SetVaultNotifications), replacing any earlier one. */
  async set(options: NotificationSetOptions): Promise<void> {
    const opts = checkOptions(options, ['snsTopic', 'events', 'signal'], 'notification.set()');
    const snsTopic = validateId(opts.snsTopic, 'snsTopic');
    const events = opts.events;
    if (!Array.isArray(events) || events.length === 0 || !events.every((e) => (NOTIFICATION_EVENTS as readonly unknown[]).includes(e))) {
      throw new ValidationError('events', `events must be a non-empty list of ${NOTIFICATION_EVENTS.join(' and ')}, got ${JSON.stringify(events)}.`);
    }
    await this.request((c) =>
      c.send(
        new SetVaultNotificationsCommand({
          accountId: this.accountId,
          vaultName: this.vaultName,
          vaultNotificationConfig: { SNSTopic: snsTopic, Events: [...events] },
        }),
        sendOptions(opts),
      ),
    );
    this.clearData();
  }

  /** Removes the configuration (DeleteVaultNotifications). */
  async delete(options?: RequestOptions): Promise<void> {
    await this.request((c) =>
      c.send(new DeleteVaultNotificationsCommand({ accountId: this.accountId, vaultName: this.vaultName }), sendOptions(options)),
    );
    this.clearData();
  }

  /** The configuration's vault; no request is made. */
  Vault(): Vault {
    return makeResource<Vault>('Vault', this.client, this.accountId, this.vaultName);
  }
}

defineAccessors(Notification, NOTIFICATION_MODEL);
