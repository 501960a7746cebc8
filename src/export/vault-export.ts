/**
 * `vault.export(options)`: the whole-vault export as a method of the Vault
 * resource, as the rest of the object model offers its actions. The export
 * sits above the resources (it is built on their public API), so the method
 * is attached here, where both are known, and declared on `Vault` by module
 * augmentation. Importing `glacier-resource` attaches it.
 *
 * @module
 */
import { Vault } from '../resources/vault.js';
import { exportVault, type ExportOptions, type ExportReport } from './export-vault.js';

declare module '../resources/vault.js' {
  interface Vault {
    /**
     * Exports every archive of the vault to a directory, paced, verified
     * and resumable: see {@link exportVault}.
     */
    export(options: ExportOptions): Promise<ExportReport>;
  }
}

Vault.prototype.export = function exportThisVault(this: Vault, options: ExportOptions): Promise<ExportReport> {
  return exportVault(this, options);
};
