/**
 * Writing verified bytes where they go: positioned gathered writes into a file, the
 * fsync of a directory after a rename, and writes to a caller's stream that
 * honour backpressure and notice a stream that closes.
 *
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';

/** Makes a rename in `directory` durable. Best effort: some platforms cannot open or sync a directory. */
export async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported here (e.g. Windows); the rename itself has happened.
  }
}

/** Writes all of `pieces`, one after the other, at `position`, with as few writev calls as the system allows. */
export async function writevFully(handle: FileHandle, pieces: Buffer[], position: number): Promise<void> {
  let left = pieces;
  let at = position;
  while (left.length > 0) {
    const { bytesWritten } = await handle.writev(left, at);
    if (bytesWritten === 0) throw new Error(`Writing at byte ${at} of the .partial file wrote nothing.`);
    at += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const piece of left) {
      if (skip >= piece.byteLength) skip -= piece.byteLength;
      else {
        rest.push(skip > 0 ? piece.subarray(skip) : piece);
        skip = 0;
      }
    }
    left = rest;
  }
}

/** Writes one chunk and waits for its write callback (the stream may keep the buffer: it is never reused). */
export function writeToStream(stream: Writable, bytes: Buffer, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed || stream.writableEnded) {
      reject(new Error('The target stream was closed before the download finished.'));
      return;
    }
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      stream.off('error', settle);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onClose = () => settle(new Error('The target stream closed before the download finished.'));
    const onAbort = () => settle(signal.reason);
    stream.once('error', settle);
    stream.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    stream.write(bytes, (error) => settle(error ?? undefined));
  });
}

/** Ends a stream and waits until it has flushed. */
export function endStream(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.end(() => {
      stream.off('error', reject);
      resolve();
    });
  });
}
