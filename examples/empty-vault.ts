/**
 * Empty a vault and delete it: inventory, delete every archive (eight at a
 * time), then delete the vault, which Glacier allows once its inventory shows
 * no archives (about a day after the deletions on AWS; at once on the local
 * endpoint).
 *
 *   npx tsx examples/empty-vault.ts VAULT [--yes]
 *
 * Without --yes it only reports what it would delete. POLL_INTERVAL_MS sets
 * the polling interval (default 15 minutes). Talks to the endpoint in
 * AWS_ENDPOINT_URL_GLACIER, or to AWS. The `glacier purge` command does the
 * same, resumably.
 */
import { resource, ResourceNotFoundException } from 'glacier-resource';

const [vaultName, confirm] = process.argv.slice(2);
if (vaultName === undefined) {
  console.error('usage: empty-vault.ts VAULT [--yes]');
  process.exit(2);
}
const pollInterval = Number(process.env.POLL_INTERVAL_MS ?? 15 * 60_000);
const vault = resource().Vault('-', vaultName);

const job = await vault.initiateInventoryRetrieval();
console.log(`inventory job ${job.id}; waiting...`);
await job.waitUntilCompleted({ pollInterval });

const archives: Array<{ id: string; size: number }> = [];
for await (const a of job.inventory()) archives.push({ id: a.archiveId, size: a.size });
const total = archives.reduce((sum, a) => sum + a.size, 0);
console.log(`${archives.length} archives, ${total} bytes`);
if (confirm !== '--yes') {
  console.log('dry run: pass --yes to delete them and the vault');
  process.exit(0);
}

let next = 0;
let deleted = 0;
let gone = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < archives.length) {
      const { id } = archives[next++]!;
      try {
        await vault.Archive(id).delete();
        deleted += 1;
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
        gone += 1; // already deleted
      }
    }
  }),
);
console.log(`deleted ${deleted} archives${gone ? ` (${gone} were already gone)` : ''}`);

try {
  await vault.delete();
  console.log(`deleted vault ${vaultName}`);
} catch (error) {
  console.log(`vault not deleted yet: ${(error as Error).message}`);
  console.log("Glacier deletes a vault once its inventory shows no archives; run this again after the vault's next inventory.");
  process.exitCode = 1;
}
