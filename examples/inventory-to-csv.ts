/**
 * Write a vault's inventory to a CSV file (archive id, description, creation
 * date, size, tree hash), streaming, so that a vault of millions of archives
 * never sits in memory.
 *
 *   npx tsx examples/inventory-to-csv.ts VAULT OUT.csv [JOB_ID]
 *
 * Without JOB_ID it requests an inventory job and waits for it (hours on AWS;
 * POLL_INTERVAL_MS sets the polling interval, default 15 minutes). Talks to
 * the endpoint in AWS_ENDPOINT_URL_GLACIER, or to AWS.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { resource } from 'glacier-resource';

const [vaultName, out, jobId] = process.argv.slice(2);
if (vaultName === undefined || out === undefined) {
  console.error('usage: inventory-to-csv.ts VAULT OUT.csv [JOB_ID]');
  process.exit(2);
}
const pollInterval = Number(process.env.POLL_INTERVAL_MS ?? 15 * 60_000);
const vault = resource().Vault('-', vaultName);

const job = jobId ? vault.Job(jobId) : await vault.initiateInventoryRetrieval({ format: 'JSON' });
if (!jobId) console.log(`inventory job ${job.id} requested; waiting...`);
await job.waitUntilCompleted({ pollInterval });

/** Quotes a CSV field (RFC 4180). */
const csv = (value: string | number) => {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

const file = createWriteStream(out);
file.write('ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash\n');
let count = 0;
let bytes = 0;
for await (const a of job.inventory()) {
  const line = [a.archiveId, a.archiveDescription, a.creationDate, a.size, a.sha256TreeHash].map(csv).join(',');
  if (!file.write(`${line}\n`)) await once(file, 'drain');
  count += 1;
  bytes += a.size;
}
file.end();
await once(file, 'finish');
console.log(`${count} archives (${bytes} bytes) written to ${out}`);
