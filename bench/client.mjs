/**
 * One benchmark client run, in its own process so that its CPU time and
 * peak RSS are the client's alone (the endpoint runs in another process).
 * Plain JavaScript on the built library (dist/), as users run it: no
 * TypeScript loader inflates the measured memory.
 *
 * Usage: node bench/client.mjs '{"mode": "...", ...}'. Prints one JSON line:
 * { seconds, cpuSeconds, maxRssBytes, checksum?, archiveId? }.
 * The task and result shapes are ClientTask and ClientResult in bench/tasks.ts.
 */
import {
  CompleteMultipartUploadCommand,
  DeleteArchiveCommand,
  GetJobOutputCommand,
  GlacierClient,
  InitiateMultipartUploadCommand,
  UploadArchiveCommand,
  UploadMultipartPartCommand,
} from '@aws-sdk/client-glacier';
import { createReadStream, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { request } from 'node:http';
import { withPrecomputedChecksums } from '../dist/transfer/checksum-middleware.js';
import { combineTreeHashes, uploadChecksums } from '../dist/transfer/tree-hash.js';

/** @type {import('./tasks.js').ClientTask} */
const task = JSON.parse(process.argv[2] ?? '{}');
const client = new GlacierClient({
  region: 'us-east-1',
  endpoint: task.endpoint,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const target = { client, accountId: '-', vaultName: task.vaultName };

async function readPart(handle, buffer, index) {
  const start = index * task.partSize;
  const length = Math.min(task.partSize, task.size - start);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, start + filled);
    if (bytesRead === 0) throw new Error('short read');
    filled += bytesRead;
  }
  return buffer.subarray(0, length);
}

/** Runs `count` tasks, `concurrency` at a time. */
async function pool(count, concurrency, run) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async (_, slot) => {
      while (next < count) await run(next++, slot);
    }),
  );
}

/**
 * The endpoint's ingest rate: parts are hashed before the clock starts, so the
 * timed section costs the client only a file read and a socket write per part.
 */
async function endpointUpload() {
  const handle = await open(task.file, 'r');
  const parts = Math.ceil(task.size / task.partSize);
  const buffers = Array.from({ length: task.concurrency }, () => Buffer.allocUnsafe(task.partSize));
  const sums = [];
  for (let i = 0; i < parts; i++) sums.push(uploadChecksums(await readPart(handle, buffers[0], i)));
  return async () => {
    const init = await client.send(new InitiateMultipartUploadCommand({ ...target, partSize: String(task.partSize) }));
    const uploadId = init.uploadId;
    await pool(parts, task.concurrency, async (index, slot) => {
      const body = await readPart(handle, buffers[slot], index);
      const start = index * task.partSize;
      const command = new UploadMultipartPartCommand({ ...target, uploadId, range: `bytes ${start}-${start + body.length - 1}/*`, checksum: sums[index].treeHash, body });
      await client.send(withPrecomputedChecksums(command, sums[index]));
    });
    const checksum = combineTreeHashes(sums.map((s) => s.treeHash));
    const done = await client.send(new CompleteMultipartUploadCommand({ ...target, uploadId, archiveSize: String(task.size), checksum }));
    await handle.close();
    return { checksum: done.checksum ?? '', archiveId: done.archiveId ?? '' };
  };
}

/** The endpoint's ranged-download rate: bytes are read and dropped, not verified. */
async function endpointDownload() {
  const chunks = Math.ceil(task.size / task.partSize);
  let bytes = 0;
  await pool(chunks, task.concurrency, async (index) => {
    const start = index * task.partSize;
    const end = Math.min(start + task.partSize, task.size) - 1;
    const out = await client.send(new GetJobOutputCommand({ ...target, jobId: task.jobId, range: `bytes=${start}-${end}` }));
    for await (const piece of out.body) bytes += piece.byteLength;
  });
  if (bytes !== task.size) throw new Error(`downloaded ${bytes} of ${task.size} bytes`);
  return {};
}

/** A plain HTTP PUT of the file over loopback, `concurrency` ranges at once, to a server that drops the bytes. */
async function plainPut() {
  const chunks = Math.ceil(task.size / task.partSize);
  const url = new URL(task.endpoint);
  await pool(chunks, task.concurrency, async (index) => {
    const start = index * task.partSize;
    const end = Math.min(start + task.partSize, task.size) - 1;
    await new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'PUT', path: '/', headers: { 'content-length': end + 1 - start } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      createReadStream(task.file, { start, end, highWaterMark: 1024 * 1024 }).pipe(req);
    });
  });
  return {};
}

/**
 * Peak RSS of this process image. Linux's getrusage maxrss survives exec, so
 * a child would report its parent's peak; /proc/self/status VmHWM is this
 * program's own high-water mark.
 */
function peakRss() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // Not Linux: fall back to getrusage.
  }
  return process.resourceUsage().maxRSS * 1024;
}

async function main() {
  let run;
  switch (task.mode) {
    case 'ours-upload': {
      const { uploadArchive } = await import('../dist/transfer/upload.js');
      run = async () => {
        const archive = await uploadArchive(target, { body: createReadStream(task.file), concurrency: task.concurrency, partSize: task.partSize });
        return { checksum: archive.checksum, archiveId: archive.archiveId };
      };
      break;
    }
    case 'ours-upload-default': {
      // Default settings: part size, adaptive concurrency and memory budget all left to the library.
      const { uploadArchive } = await import('../dist/transfer/upload.js');
      run = async () => {
        const archive = await uploadArchive(target, { body: createReadStream(task.file) });
        return { checksum: archive.checksum, archiveId: archive.archiveId };
      };
      break;
    }
    case 'ours-download-default': {
      const { downloadJobOutput } = await import('../dist/transfer/download.js');
      run = async () => {
        const result = await downloadJobOutput({ ...target, jobId: task.jobId }, task.output);
        return { checksum: result.treeHash ?? '' };
      };
      break;
    }
    case 'ours-purge': {
      // What `glacier purge` does with each archive: adaptive deletions in flight, throttling retried and backed off from.
      const { adaptivePool, isBackOffSignal, resource } = await import('../dist/index.js');
      const { withRetries } = await import('../dist/transfer/retry.js');
      const vault = resource({ client }).Vault('-', task.vaultName);
      const ids = readFileSync(task.idsFile, 'utf8').split('\n').filter(Boolean);
      run = async () => {
        let most = 0;
        await adaptivePool(ids, async (id, control) => {
          most = Math.max(most, control.concurrency);
          await withRetries(() => vault.Archive(id).delete(), { onFailedAttempt: ({ error }) => isBackOffSignal(error) && control.backOff() });
        });
        return { count: ids.length, concurrency: most };
      };
      break;
    }
    case 'sdk-delete-sequential': {
      const ids = readFileSync(task.idsFile, 'utf8').split('\n').filter(Boolean);
      run = async () => {
        for (const archiveId of ids) await client.send(new DeleteArchiveCommand({ ...target, archiveId }));
        return { count: ids.length };
      };
      break;
    }
    case 'sdk-upload':
      run = async () => {
        const out = await client.send(new UploadArchiveCommand({ ...target, body: createReadStream(task.file) }));
        return { checksum: out.checksum ?? '', archiveId: out.archiveId ?? '' };
      };
      break;
    case 'ours-download': {
      const { downloadJobOutput } = await import('../dist/transfer/download.js');
      run = async () => {
        const result = await downloadJobOutput({ ...target, jobId: task.jobId }, task.output, { chunkSize: task.partSize, concurrency: task.concurrency });
        return { checksum: result.treeHash ?? '' };
      };
      break;
    }
    case 'endpoint-upload':
      run = await endpointUpload();
      break;
    case 'endpoint-download':
      run = endpointDownload;
      break;
    case 'plain-put':
      run = plainPut;
      break;
  }
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const extra = await run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const result = {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    userSeconds: cpu.user / 1e6,
    maxRssBytes: peakRss(),
    ...extra,
  };
  client.destroy();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
