import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Command } from 'commander';
import { UploadError, validateDescription, validatePartSize } from '../../index.js';
import { byteSize, memorySize, positiveInt } from '../args.js';
import { connect } from '../connect.js';
import { connectionFlags, globalOptions, Output, quote, retryNote } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formatBytes, formatRate } from '../format.js';
import { TransferProgress } from '../progress.js';
import { withInterrupt } from '../signals.js';

interface UploadOptions {
  vault: string;
  description?: string;
  partSize?: number;
  concurrency?: number;
  maxMemory?: number;
  resume?: string;
  abortOnError?: boolean;
}

/** `YYYYMMDDTHHMMSSZ`, as mt-aws-glacier writes times. */
function compactTime(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A description Glacier accepts (printable ASCII, at most 1024 characters)
 * from the file name: the name itself, or, for a name outside printable
 * ASCII, mt-aws-glacier's `mt2` encoding of it (base64url of
 * `{"filename","mtime"}`), which `glacier export` and mt-aws-glacier decode.
 */
function defaultDescription(file: string, mtimeMs: number): { description?: string; encoded?: boolean } {
  const name = basename(file);
  if (/^[\x20-\x7e]{1,1024}$/.test(name)) return { description: name };
  const mt2 = `mt2 ${Buffer.from(JSON.stringify({ filename: name, mtime: compactTime(mtimeMs) }), 'utf8').toString('base64url')}`;
  return mt2.length <= 1024 ? { description: mt2, encoded: true } : {};
}

/** `glacier upload FILE --vault NAME`: a verified (multipart when large) upload with progress. */
export function registerUpload(program: Command): void {
  program
    .command('upload')
    .description('upload a file as one archive; large files go multipart, in parallel, resumable')
    .argument('<file>', "file to upload; '-' reads standard input (of unknown length: see --part-size)")
    .requiredOption('--vault <name>', 'vault to upload to')
    .option('--description <text>', 'archive description (printable ASCII, up to 1024 characters; default: the file name, mt2-encoded if it is not ASCII)')
    .option('--part-size <size>', 'multipart part size, 1MiB x 2^n up to 4GiB (default: chosen from the file size)', (v) =>
      byteSize(v, '--part-size'),
    )
    .option('--concurrency <n>', 'pin the parts in flight (default: adaptive, see docs/transfers.md)', (v) => positiveInt(v, '--concurrency'))
    .option('--max-memory <size>', 'memory for part buffers, e.g. 64MiB (default 256MiB); the adaptive concurrency stays within it', (v) =>
      memorySize(v, '--max-memory'),
    )
    .option('--resume <uploadId>', 'continue a multipart upload: only missing or damaged parts are sent')
    .option('--abort-on-error', 'abort the multipart upload on failure instead of keeping it for --resume')
    .addHelpText(
      'after',
      `
The upload id is printed as soon as the multipart upload exists. If the upload
fails or is interrupted, its parts stay on the server (unless --abort-on-error)
and the same command with --resume UPLOAD_ID sends only what is missing.
Glacier drops an idle multipart upload after about 24 hours.

With '-' the archive is read from standard input, e.g.
  tar c photos/ | glacier upload - --vault backups --description photos.tar
Its length is unknown, so the default part size (32 MiB) limits it to about
312 GiB; pass a larger --part-size for more (10,000 parts at most). To resume,
pipe the same bytes again with --resume.`,
    )
    .action(async (file: string, options: UploadOptions, command: Command) => {
      const opts = globalOptions(command);
      const output = new Output(opts);
      const fromStdin = file === '-';
      let size: number | undefined;
      let mtimeMs = 0;
      if (!fromStdin) {
        const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
          throw new CliError(`cannot read ${file}: ${error.code ?? error.message}`, ExitCode.USAGE);
        });
        if (!info.isFile()) throw new CliError(`${file} is not a regular file; upload a file, or '-' for standard input.`, ExitCode.USAGE);
        size = info.size;
        mtimeMs = info.mtimeMs;
        if (size === 0) throw new CliError(`${file} is empty; Glacier does not store empty archives.`, ExitCode.USAGE);
      }
      const named = options.description !== undefined || fromStdin ? {} : defaultDescription(file, mtimeMs);
      const description = options.description ?? named.description;
      if (named.encoded) output.note(`${basename(file)} is not printable ASCII, which Glacier requires of descriptions: the description is mt-aws-glacier's mt2 encoding of the name (glacier export decodes it). Pass --description to choose another.`);
      else if (!fromStdin && description === undefined) output.note(`${basename(file)} is too long to describe the archive; it has no description. Pass --description to give it one.`);
      // Bad input is reported before anything is drawn or sent.
      validateDescription(description, '--description');
      if (options.partSize !== undefined) validatePartSize(options.partSize, '--part-size');
      const vault = connect(opts).Vault(opts.account, options.vault);
      const progress = new TransferProgress({ stream: output.progressStream, label: 'upload', silent: !opts.progress });
      let uploadId = options.resume;
      const started = Date.now();
      progress.start(size);
      try {
        const archive = await withInterrupt((signal) =>
          vault.uploadArchive({
            body: fromStdin ? process.stdin : createReadStream(file),
            size,
            archiveDescription: description,
            partSize: options.partSize,
            // An explicit part size means: multipart whenever the file is larger than one part.
            multipartThreshold: options.partSize,
            concurrency: options.concurrency,
            maxMemory: options.maxMemory,
            uploadId: options.resume,
            leavePartsOnError: options.abortOnError !== true,
            signal,
            onUploadId: (id: string) => {
              uploadId = id;
              if (id !== options.resume) progress.note(`upload id: ${id}`);
            },
            onProgress: (p: { loaded: number; total?: number }) => progress.update(p.loaded, p.total),
            retry: { onFailedAttempt: (failure) => progress.note(retryNote('upload', failure)) },
          }),
        );
        progress.stop();
        const seconds = (Date.now() - started) / 1000;
        const result = {
          vault: vault.name,
          archiveId: archive.id,
          checksum: archive.checksum,
          size: archive.size ?? size,
          description: archive.description ?? description,
          location: archive.location,
          uploadId,
          seconds,
        };
        output.result(result, () =>
          [
            `Uploaded ${fromStdin ? 'standard input' : file} (${formatBytes(result.size ?? 0)}) to vault ${vault.name} in ${seconds.toFixed(1)}s (${formatRate((result.size ?? 0) / Math.max(seconds, 0.001))}).`,
            `archive id: ${result.archiveId}`,
            `tree hash:  ${result.checksum ?? '-'}`,
          ].join('\n'),
        );
      } catch (error) {
        progress.stop(false);
        const id = error instanceof UploadError ? (error.uploadId ?? uploadId) : uploadId;
        const kept = error instanceof UploadError ? error.partsLeft : options.abortOnError !== true;
        if (id !== undefined && kept) {
          const glacier = `glacier${connectionFlags(opts)}`;
          const again = fromStdin ? `(the same bytes) | ${glacier} upload -` : `${glacier} upload ${quote(file)}`;
          output.note(`The upload's parts are kept. Resume with:\n  ${again} --vault ${vault.name} --resume ${id}`);
        }
        throw error;
      }
    });
}
