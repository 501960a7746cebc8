/**
 * Registers every `glacier` command on the program.
 *
 * @module
 */
import type { Command } from 'commander';
import { registerDownload } from './download.js';
import { registerExport } from './export.js';
import { registerInventory } from './inventory.js';
import { registerJobs } from './jobs.js';
import { registerLocal } from './local.js';
import { registerPurge } from './purge.js';
import { registerRetrieve } from './retrieve.js';
import { registerTreehash } from './treehash.js';
import { registerUpload } from './upload.js';
import { registerUploads } from './uploads.js';
import { registerVaults } from './vaults.js';

/** Adds all commands to `program`, in the order `--help` lists them. */
export function registerCommands(program: Command): void {
  registerVaults(program);
  registerUpload(program);
  registerUploads(program);
  registerInventory(program);
  registerJobs(program);
  registerRetrieve(program);
  registerDownload(program);
  registerExport(program);
  registerPurge(program);
  registerTreehash(program);
  registerLocal(program);
}
