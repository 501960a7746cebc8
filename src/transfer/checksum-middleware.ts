/**
 * Hands checksums the transfer engine has already computed to the SDK, so
 * that `@aws-sdk/client-glacier` does not hash the body again.
 *
 * The client's `addChecksumHeadersMiddleware` calls its body checksum
 * generator for every request with a body, even when both headers are
 * already set, and that generator re-reads file streams and rejects all other
 * streams. This module replaces that middleware *on one command's own stack*
 * (the client and its other commands are untouched) with one that sets
 * `x-amz-content-sha256` (linear SHA-256, which the SigV4 signer then reuses
 * instead of hashing), `x-amz-sha256-tree-hash` and `content-length` from
 * values computed in the engine's single pass over the bytes.
 *
 * @module
 */
import type { UploadChecksums } from './tree-hash.js';
import type { CommandWithStack } from './retry.js';

interface BuildArgs {
  request: { headers: Record<string, string>; body?: unknown };
}

function bodyLength(body: unknown): number | undefined {
  if (body instanceof Uint8Array) return body.byteLength;
  if (typeof body === 'string') return Buffer.byteLength(body);
  return undefined;
}

/**
 * Makes `command` send `checksums` as its `x-amz-content-sha256`,
 * `x-amz-sha256-tree-hash` and `content-length` headers instead of letting the
 * SDK hash its body. Use it on UploadArchive and UploadMultipartPart commands
 * whose body the checksums were computed from. Returns the command.
 *
 * Throws (before sending) when the body's length differs from
 * `checksums.size`, which would mean the checksums belong to other bytes.
 */
export function withPrecomputedChecksums<C extends CommandWithStack>(command: C, checksums: UploadChecksums): C {
  const middleware =
    (next: (args: BuildArgs) => Promise<unknown>) =>
    async (args: BuildArgs): Promise<unknown> => {
      const { request } = args;
      const length = bodyLength(request.body);
      if (length !== undefined && length !== checksums.size) {
        throw new Error(`Internal error: a ${length}-byte body was given checksums of ${checksums.size} bytes.`);
      }
      request.headers = {
        ...request.headers,
        'x-amz-content-sha256': checksums.linearHash,
        'x-amz-sha256-tree-hash': checksums.treeHash,
        'content-length': String(checksums.size),
      };
      return next(args);
    };
  command.middlewareStack.add(middleware, {
    name: 'addChecksumHeadersMiddleware',
    tags: ['SET_CHECKSUM_HEADERS'],
    step: 'build',
    override: true,
  });
  return command;
}
