/**
 * Restore a whole vault: take its inventory, start a retrieval job for every
 * archive (Bulk tier, the cheapest), wait for them, and download each one,
 * verified against its tree hash, into a directory.
 *
 *   npx tsx examples/bulk-retrieval.ts VAULT OUT_DIR [TIER]
 *
 * Files are named after the archive description when it is a plain file name,
 * otherwise after the archive id. A download that stops resumes from its
 * `.partial` file when the script is run again (while the jobs' output is
 * still available, at least 24 hours). POLL_INTERVAL_MS sets the polling
 * interval (default 15 minutes). Talks to the endpoint in
 * AWS_ENDPOINT_URL_GLACIER, or to AWS.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resource, type Job } from 'glacier-resource';

const [vaultName, outDir, tier = 'Bulk'] = process.argv.slice(2);
if (vaultName === undefined || outDir === undefined) {
  console.error('usage: bulk-retrieval.ts VAULT OUT_DIR [Bulk|Standard|Expedited]');
  process.exit(2);
}
const pollInterval = Number(process.env.POLL_INTERVAL_MS ?? 15 * 60_000);
const vault = resource().Vault('-', vaultName);
await mkdir(outDir, { recursive: true });

// 1. The inventory.
const inventoryJob = await vault.initiateInventoryRetrieval();
console.log(`inventory job ${inventoryJob.id}; waiting...`);
await inventoryJob.waitUntilCompleted({ pollInterval });

// 2. One retrieval job per archive.
const jobs: Array<{ job: Job; file: string }> = [];
for await (const a of inventoryJob.inventory()) {
  const plainName = /^[\w][\w.-]{0,200}$/.test(a.archiveDescription) ? a.archiveDescription : undefined;
  const file = join(outDir, plainName ?? `${a.archiveId.slice(0, 32)}.bin`);
  const job = await vault.Archive(a.archiveId).initiateArchiveRetrieval({ tier: tier as 'Bulk' | 'Standard' | 'Expedited' });
  jobs.push({ job, file });
  console.log(`retrieval job ${job.id} for ${file} (${a.size} bytes)`);
}

// 3. Wait for each and download it; two downloads at a time.
let next = 0;
await Promise.all(
  [0, 1].map(async () => {
    while (next < jobs.length) {
      const { job, file } = jobs[next++]!;
      await job.waitUntilCompleted({ pollInterval });
      const { bytes, treeHash } = await job.download(file);
      console.log(`downloaded ${file}: ${bytes} bytes, tree hash ${treeHash} verified`);
    }
  }),
);
console.log(`${jobs.length} archives restored into ${outDir}`);
