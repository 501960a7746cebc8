/**
 * The archiving workflow of a boto3 user, in TypeScript: list vaults, create a
 * vault, read its attributes, upload an archive, take an inventory, retrieve
 * and download the archive (verified), compare tree hashes, then delete the
 * archive and the vault.
 *
 *   npx tsx examples/archiving-workflow.ts [FILE]
 *
 * Without FILE it uploads a small generated file. It talks to the endpoint in
 * AWS_ENDPOINT_URL_GLACIER (e.g. `npx glacier-local --port 9000`, with
 * AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1), or
 * to AWS, where the two jobs take hours. POLL_INTERVAL_MS sets how often job
 * status is checked (default 15 minutes).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { resource, treeHashFile } from 'glacier-resource';

const pollInterval = Number(process.env.POLL_INTERVAL_MS ?? 15 * 60_000);
const work = await mkdtemp(join(tmpdir(), 'archiving-workflow-'));
let file = process.argv[2];
if (file === undefined) {
  file = join(work, 'my_archive.bin');
  await writeFile(file, randomBytes(3 * 1024 * 1024 + 123));
}

const glacier = resource();

// List the vaults.
for await (const v of glacier.vaults.all()) console.log(String(v));

// Create a new vault.
const vault = await glacier.createVault({ vaultName: `archiving-workflow-${Date.now()}` });
console.log('created', String(vault));

// Read the vault attributes.
await vault.load();
console.log({ vaultArn: vault.vaultArn, creationDate: vault.creationDate, numberOfArchives: vault.numberOfArchives, sizeInBytes: vault.sizeInBytes });

// Upload an archive.
const archive = await vault.uploadArchive({ body: createReadStream(file), archiveDescription: `Was in: ${basename(file)}` });
console.log('uploaded', archive.id, 'checksum', archive.checksum);

// List the archives (inventory).
const inventoryJob = await vault.initiateInventoryRetrieval();
console.log('inventory job', inventoryJob.id);
await inventoryJob.waitUntilCompleted({ pollInterval });
for await (const a of inventoryJob.inventory()) console.log('inventory:', a.archiveId, a.archiveDescription, a.size, a.sha256TreeHash);

// Download the archive (retrieval).
const job = await archive.initiateArchiveRetrieval();
console.log('retrieval job', job.id);
await job.waitUntilCompleted({ pollInterval });
const restored = join(work, 'restored.bin');
await job.download(restored);

// Compare the tree hashes.
const [original, copy] = await Promise.all([treeHashFile(file), treeHashFile(restored)]);
console.log(original === copy && copy === archive.checksum ? `tree hashes match: ${copy}` : 'TREE HASHES DIFFER');

// Delete the archive, then the vault.
await archive.delete();
try {
  await vault.delete();
  console.log('deleted', String(vault));
} catch (error) {
  // On AWS a vault can be deleted only after its next daily inventory.
  console.log(`vault not deleted yet: ${(error as Error).message}`);
}
await rm(work, { recursive: true, force: true });
