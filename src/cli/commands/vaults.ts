import type { Command } from 'commander';
import type { Vault } from '../../index.js';
import { connect } from '../connect.js';
import { globalOptions, Output } from '../context.js';
import { formatBytes, formatDate, formatTable, isoDate } from '../format.js';

/** A vault's attributes as the CLI prints them in JSON. */
export interface VaultSummary {
  name: string;
  vaultArn: string | undefined;
  creationDate: string | undefined;
  lastInventoryDate: string | undefined;
  numberOfArchives: number | undefined;
  sizeInBytes: number | undefined;
}

/** The attributes of a loaded vault. */
export function vaultSummary(vault: Vault): VaultSummary {
  return {
    name: vault.name,
    vaultArn: vault.vaultArn,
    creationDate: isoDate(vault.creationDate),
    lastInventoryDate: isoDate(vault.lastInventoryDate),
    numberOfArchives: vault.numberOfArchives,
    sizeInBytes: vault.sizeInBytes,
  };
}

/** `glacier vaults` and `glacier vault create|describe|delete NAME`. */
export function registerVaults(program: Command): void {
  program
    .command('vaults')
    .description('list the vaults of the account, with archive counts and sizes as of their last inventory')
    .action(async (_options: unknown, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      const glacier = connect(opts);
      const vaults: VaultSummary[] = [];
      for await (const vault of glacier.Account(opts.account).vaults.all()) vaults.push(vaultSummary(vault));
      output.result(vaults, () =>
        vaults.length === 0
          ? 'No vaults.'
          : formatTable(vaults, [
              { header: 'VAULT', value: (v) => v.name },
              { header: 'ARCHIVES', value: (v) => String(v.numberOfArchives ?? '-'), right: true },
              { header: 'SIZE', value: (v) => (v.sizeInBytes === undefined ? '-' : formatBytes(v.sizeInBytes)), right: true },
              { header: 'CREATED', value: (v) => formatDate(v.creationDate) },
              { header: 'LAST INVENTORY', value: (v) => formatDate(v.lastInventoryDate) },
            ]),
      );
    });

  const vault = program.command('vault').description('create, describe or delete one vault');

  vault
    .command('create')
    .description('create a vault (does nothing if it already exists)')
    .argument('<name>', 'vault name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      const created = connect(opts).Vault(opts.account, name);
      await created.create();
      output.result({ name: created.name, created: true }, () => `Vault ${created.name} is ready.`);
    });

  vault
    .command('describe')
    .description("show a vault's attributes")
    .argument('<name>', 'vault name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      const described = connect(opts).Vault(opts.account, name);
      await described.load();
      const summary = vaultSummary(described);
      output.result(summary, () =>
        [
          `name:                ${summary.name}`,
          `arn:                 ${summary.vaultArn ?? '-'}`,
          `created:             ${formatDate(summary.creationDate)}`,
          `last inventory:      ${formatDate(summary.lastInventoryDate)}`,
          `archives:            ${summary.numberOfArchives ?? '-'}`,
          `size:                ${summary.sizeInBytes === undefined ? '-' : `${formatBytes(summary.sizeInBytes)} (${summary.sizeInBytes} bytes)`}`,
          '',
          'Counts and size are as of the last inventory, which Glacier refreshes about once a day.',
        ].join('\n'),
      );
    });

  vault
    .command('delete')
    .description('delete an empty vault (to empty one first: glacier purge NAME --delete-vault)')
    .argument('<name>', 'vault name')
    .action(async (name: string, _options: unknown, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      const doomed = connect(opts).Vault(opts.account, name);
      try {
        await doomed.delete();
      } catch (error) {
        if (error instanceof Error && /not empty|recently written/i.test(error.message)) {
          error.message += ` (empty it with: glacier purge ${name} --delete-vault)`;
        }
        throw error;
      }
      output.result({ name, deleted: true }, () => `Vault ${name} deleted.`);
    });
}
