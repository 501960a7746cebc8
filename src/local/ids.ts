/**
 * Opaque identifiers in the shapes AWS uses: random, URL-safe, never derived
 * from content.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';

/** A random base64url string of `bytes` random bytes (no padding). */
function token(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** A new archive id: 138 URL-safe characters, like AWS's. */
export function newArchiveId(): string {
  return token(103);
}

/** A new job id: 92 URL-safe characters, like AWS's. */
export function newJobId(): string {
  return token(69);
}

/** A new multipart upload id: 92 URL-safe characters, like AWS's. */
export function newUploadId(): string {
  return token(69);
}

/** A new vault-lock id: 24 URL-safe characters. */
export function newLockId(): string {
  return token(18);
}

/** A new provisioned-capacity id: 24 URL-safe characters. */
export function newCapacityId(): string {
  return token(18);
}

/** A new request id for `x-amzn-RequestId`. */
export function newRequestId(): string {
  return token(32);
}

/** A new internal storage key: 32 hex characters, the only kind of name ever used on disk. */
export function newBlobKey(): string {
  return randomBytes(16).toString('hex');
}

/** True when `key` is a storage key made by {@link newBlobKey}. */
export function isBlobKey(key: string): boolean {
  return /^[0-9a-f]{32}$/.test(key);
}
