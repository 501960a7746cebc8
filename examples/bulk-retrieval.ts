/**
 * Restore a whole vault into a directory with the export: paced retrievals
 * (Bulk by default, the cheapest), verified downloads, file names decoded
 * from the archive descriptions, and a ledger that makes the same command
 * continue after any interruption.
 *
 *   npx tsx examples/bulk-retrieval.ts VAULT OUT_DIR [TIER] [BYTES_PER_DAY]
 *
 * Talks to the endpoint in AWS_ENDPOINT_URL_GLACIER, or to AWS. The CLI does
 * the same with: glacier export VAULT --to OUT_DIR
 */
import { resource, type Tier } from 'glacier-resource';

const [vaultName, outDir, tier = 'Bulk', bytesPerDay] = process.argv.slice(2);
if (vaultName === undefined || outDir === undefined) {
  console.error('usage: bulk-retrieval.ts VAULT OUT_DIR [Bulk|Standard|Expedited] [BYTES_PER_DAY]');
  process.exit(2);
}

const vault = resource().Vault('-', vaultName);
const controller = new AbortController();
process.once('SIGINT', () => controller.abort()); // stops cleanly; run again to continue

const report = await vault.export({
  to: outDir,
  tier: tier as Tier,
  ...(bytesPerDay ? { bytesPerDay: Number(bytesPerDay) } : {}),
  signal: controller.signal,
  onProgress: (p) => {
    if (p.event === 'verified') console.log(`verified ${p.counts.verified.archives} of ${p.total}`);
  },
});
console.log(`${report.counts.verified.archives} archives restored into ${outDir}; manifest: ${report.manifestPath}`);
