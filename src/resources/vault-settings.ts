/**
 * The checks on a vault's settings that a caller hands in: access and lock
 * policies, and tags.
 *
 * @module
 */
import { ValidationError } from '../errors.js';

/** The most tags a vault may carry. */
export const MAX_VAULT_TAGS = 10;
/** The largest access or lock policy Glacier accepts, in bytes. */
export const MAX_POLICY_SIZE = 20 * 1024;

/** A policy as the JSON text Glacier takes, checked for its size. */
export function policyText(policy: unknown, parameter: string): string {
  const text = typeof policy === 'string' ? policy : typeof policy === 'object' && policy !== null ? JSON.stringify(policy) : undefined;
  if (text === undefined || text.length === 0) {
    throw new ValidationError(parameter, `${parameter} must be a policy document (JSON text or an object), got ${JSON.stringify(policy)}.`);
  }
  if (Buffer.byteLength(text) > MAX_POLICY_SIZE) {
    throw new ValidationError(parameter, `${parameter} is ${Buffer.byteLength(text)} bytes; Glacier accepts policies of at most 20 KB.`);
  }
  return text;
}

/** Tags as Glacier takes them: 1 to 10, each with a name and a string value. */
export function checkTags(tags: unknown): Record<string, string> {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw new ValidationError('tags', `tags must be an object of tag names to values, got ${JSON.stringify(tags)}.`);
  }
  const entries = Object.entries(tags);
  if (entries.length === 0 || entries.length > MAX_VAULT_TAGS) {
    throw new ValidationError('tags', `Give 1 to ${MAX_VAULT_TAGS} tags (a vault carries at most ${MAX_VAULT_TAGS}), got ${entries.length}.`);
  }
  for (const [key, value] of entries) {
    if (key.length === 0 || typeof value !== 'string') {
      throw new ValidationError('tags', `Tag ${JSON.stringify(key)} must have a non-empty name and a string value.`);
    }
  }
  return { ...(tags as Record<string, string>) };
}
