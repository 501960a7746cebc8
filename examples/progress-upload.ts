/**
 * Upload a file with progress reports, as pyGlacier's callback does: the
 * progress callback gets bytes sent, the total, and each acknowledged part.
 *
 *   npx tsx examples/progress-upload.ts FILE VAULT [PART_SIZE_MIB]
 *
 * Talks to the endpoint in AWS_ENDPOINT_URL_GLACIER, or to AWS. The vault is
 * created if needed. The upload id is printed as soon as it exists: if the
 * upload is interrupted, run with RESUME_UPLOAD_ID=<id> to send only the
 * missing parts.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { resource, UploadError } from 'glacier-resource';

const [file, vaultName, partSizeMiB] = process.argv.slice(2);
if (file === undefined || vaultName === undefined) {
  console.error('usage: progress-upload.ts FILE VAULT [PART_SIZE_MIB]');
  process.exit(2);
}
const { size } = await stat(file);
const partSize = partSizeMiB === undefined ? undefined : Number(partSizeMiB) * 1024 * 1024;
const glacier = resource();
const vault = await glacier.createVault({ vaultName });

let lastPercent = -1;
const started = Date.now();
try {
  const archive = await vault.uploadArchive({
    body: createReadStream(file),
    archiveDescription: basename(file),
    partSize,
    // With an explicit part size, go multipart as soon as the file is larger than one part.
    multipartThreshold: partSize,
    uploadId: process.env.RESUME_UPLOAD_ID,
    leavePartsOnError: true,
    onUploadId: (id) => console.log(`upload id: ${id}`),
    onProgress: ({ loaded, total, part, partsTotal }) => {
      const percent = Math.floor((loaded / (total ?? size)) * 100);
      if (percent === lastPercent && part === undefined) return;
      lastPercent = percent;
      const mibPerSecond = loaded / 1048576 / Math.max(0.001, (Date.now() - started) / 1000);
      const state = part === undefined ? 'sending' : `part ${part}/${partsTotal ?? '?'} acknowledged`;
      console.log(`${percent}% (${loaded}/${total ?? size} bytes, ${state}, ${mibPerSecond.toFixed(1)} MiB/s)`);
    },
  });
  console.log(`archive id: ${archive.id}`);
  console.log(`checksum:   ${archive.checksum}`);
} catch (error) {
  if (error instanceof UploadError && error.uploadId) {
    console.error(`upload failed: ${error.message}\nresume with: RESUME_UPLOAD_ID=${error.uploadId} npx tsx examples/progress-upload.ts ${file} ${vaultName}`);
    process.exit(1);
  }
  throw error;
}
