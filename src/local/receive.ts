/**
 * Receiving an upload body (UploadArchive, UploadMultipartPart): the bytes
 * stream into a new blob while the linear SHA-256 and the tree hash are
 * computed in the same pass; both are checked against the request's
 * `x-amz-content-sha256` and `x-amz-sha256-tree-hash` before the blob is
 * committed. A mismatch, a short body or a dropped connection leaves nothing.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { TreeHash } from '../transfer/tree-hash.js';
import type { Backend } from './backend.js';
import { closing, invalidParameter, missingParameter } from './errors.js';
import { header, type RequestContext } from './http.js';

/** The largest body of one upload request (4 GiB). */
export const MAX_UPLOAD_BYTES = 4 * 1024 * 1024 * 1024;

const HEX64 = /^[0-9a-fA-F]{64}$/;

/** The checksums a client declared for an upload body. */
export interface DeclaredChecksums {
  /** `x-amz-content-sha256`, lower-case hex. */
  linearHash: string;
  /** `x-amz-sha256-tree-hash`, lower-case hex. */
  treeHash: string;
}

/** Reads and checks the two checksum headers of an upload request (before reading the body). */
export function declaredChecksums(ctx: RequestContext): DeclaredChecksums {
  const treeHash = header(ctx.req, 'x-amz-sha256-tree-hash');
  if (treeHash === undefined || treeHash === '') throw missingParameter('Required header x-amz-sha256-tree-hash is missing.');
  const linearHash = header(ctx.req, 'x-amz-content-sha256');
  if (linearHash === undefined || linearHash === '') throw missingParameter('Required header x-amz-content-sha256 is missing.');
  if (!HEX64.test(treeHash)) throw invalidParameter(`Invalid x-amz-sha256-tree-hash: ${treeHash}`);
  if (!HEX64.test(linearHash)) throw invalidParameter(`Invalid x-amz-content-sha256: ${linearHash}`);
  const length = header(ctx.req, 'content-length');
  if (length !== undefined && (!/^\d+$/.test(length) || Number(length) > MAX_UPLOAD_BYTES)) {
    throw closing(invalidParameter(`Invalid Content-Length: ${length}`));
  }
  return { linearHash: linearHash.toLowerCase(), treeHash: treeHash.toLowerCase() };
}

/** A received and committed upload body. */
export interface ReceivedBody {
  /** Blob key of the stored bytes. */
  key: string;
  /** Bytes received. */
  size: number;
  /** Their tree hash. */
  treeHash: string;
}

/**
 * Streams the request body into a new blob, verifying `declared` and, when
 * given, that exactly `expectedSize` bytes arrived. Throws (leaving nothing
 * stored) on any mismatch or a broken connection.
 */
export async function receiveBody(b: Backend, ctx: RequestContext, declared: DeclaredChecksums, expectedSize?: number): Promise<ReceivedBody> {
  const writer = await b.blobs.createWriter();
  const linear = createHash('sha256');
  const tree = new TreeHash();
  let size = 0;
  try {
    for await (const chunk of ctx.req) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > MAX_UPLOAD_BYTES) throw closing(invalidParameter(`Invalid Content-Length: more than ${MAX_UPLOAD_BYTES} bytes`));
      linear.update(buf);
      tree.update(buf);
      await writer.write(buf);
    }
    if (!ctx.req.complete) throw invalidParameter('The request body ended before Content-Length bytes arrived.');
    if (size === 0) throw invalidParameter('Invalid Content-Length: 0');
    if (expectedSize !== undefined && size !== expectedSize) {
      throw invalidParameter(`Content-Range and Content-Length mismatch: the range holds ${expectedSize} bytes but ${size} bytes were sent.`);
    }
    const linearHash = linear.digest('hex');
    if (linearHash !== declared.linearHash) {
      throw invalidParameter(
        `The value passed in as x-amz-content-sha256 does not match computed payload hash. Computed digest: ${linearHash} expected hash: ${declared.linearHash}`,
      );
    }
    const treeHash = tree.digest();
    if (treeHash !== declared.treeHash) {
      throw invalidParameter(`Checksum mismatch: expected ${declared.treeHash} but calculated ${treeHash}`);
    }
    const key = await writer.commit(Buffer.concat(tree.leafDigests()));
    return { key, size, treeHash };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
