import type { Command } from 'commander';
import { connect } from '../connect.js';
import { globalOptions, Output } from '../context.js';
import { formatBytes, formatDate, formatTable, isoDate } from '../format.js';

/** A multipart upload as the CLI prints it in JSON. */
interface UploadSummary {
  uploadId: string;
  archiveDescription: string | undefined;
  creationDate: string | undefined;
  partSizeInBytes: number | undefined;
}

/**
 * `glacier uploads NAME`, `glacier abort-upload NAME UPLOAD_ID` and
 * `glacier archive delete NAME ARCHIVE_ID`: housekeeping for unfinished
 * multipart uploads (kept for `upload --resume`) and single archives.
 */
export function registerUploads(program: Command): void {
  program
    .command('uploads')
    .description('list unfinished multipart uploads of a vault (resume with upload --resume, or abort-upload)')
    .argument('<vault>', 'vault name')
    .action(async (vaultName: string, _options: unknown, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      const vault = connect(opts).Vault(opts.account, vaultName);
      const uploads: UploadSummary[] = [];
      for await (const u of vault.multipartUploads.all()) {
        uploads.push({
          uploadId: u.id,
          archiveDescription: u.archiveDescription,
          creationDate: isoDate(u.creationDate),
          partSizeInBytes: u.partSizeInBytes,
        });
      }
      output.result(uploads, () =>
        uploads.length === 0
          ? 'No unfinished multipart uploads.'
          : formatTable(uploads, [
              { header: 'CREATED', value: (u) => formatDate(u.creationDate) },
              { header: 'PART SIZE', value: (u) => (u.partSizeInBytes === undefined ? '-' : formatBytes(u.partSizeInBytes)), right: true },
              { header: 'DESCRIPTION', value: (u) => u.archiveDescription ?? '' },
              { header: 'UPLOAD ID', value: (u) => u.uploadId },
            ]),
      );
    });

  program
    .command('abort-upload')
    .description('abort an unfinished multipart upload, discarding its parts')
    .argument('<vault>', 'vault name')
    .argument('<uploadId>', "upload id (if it starts with '-', put -- before it)")
    .action(async (vaultName: string, uploadId: string, _options: unknown, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      await connect(opts).Vault(opts.account, vaultName).MultipartUpload(uploadId).abort();
      output.result({ vault: vaultName, uploadId, aborted: true }, () => `Multipart upload ${uploadId} aborted.`);
    });

  program
    .command('archive')
    .description('act on one archive')
    .command('delete')
    .description('delete one archive (to delete them all: glacier purge NAME)')
    .argument('<vault>', 'vault name')
    .argument('<archiveId>', "archive id (if it starts with '-', put -- before it)")
    .action(async (vaultName: string, archiveId: string, _options: unknown, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      await connect(opts).Vault(opts.account, vaultName).Archive(archiveId).delete();
      output.result({ vault: vaultName, archiveId, deleted: true }, () => `Archive deleted from ${vaultName}: ${archiveId}`);
    });
}
