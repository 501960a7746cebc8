/**
 * Vault access policies (Get/Set/DeleteVaultAccessPolicy) and the evaluation
 * of `Deny` statements in access and vault-lock policies.
 *
 * Only `Deny` is enforced: the endpoint has one account, whose caller is
 * allowed everything not denied. A statement applies when its Action matches
 * (`glacier:DeleteArchive`, `glacier:Delete*`, `glacier:*`, `*`; NotAction is
 * honoured), its Resource matches the vault ARN (wildcards allowed), and its
 * Condition holds. Supported condition operators are the Numeric* family on
 * `glacier:ArchiveAgeInDays`, and String* / Bool operators; a condition on a
 * key the endpoint does not know counts as satisfied, so an unknown Deny
 * denies (the safe side for data).
 *
 * @module
 */
import type { Backend } from './backend.js';
import { accessDenied, invalidParameter, missingParameter, notFound } from './errors.js';
import { jsonBody, sendEmpty, sendJson, type RequestContext } from './http.js';
import type { VaultRecord } from './state.js';

/** Largest policy document accepted, in bytes (AWS: 20 KB). */
export const MAX_POLICY_BYTES = 20 * 1024;

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: unknown;
}

function asList(value: unknown): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function wildcardMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    caseInsensitive ? 'is' : 's',
  );
  return re.test(value);
}

/**
 * Parses and checks a policy document: JSON, at most 20 KB, with a Statement
 * list whose entries have Effect Allow/Deny. Returns the statements.
 */
export function parsePolicy(text: string): Statement[] {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) throw invalidParameter('Policy document is larger than 20 KB.');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw invalidParameter('Policy is not valid JSON.');
  }
  if (doc === null || typeof doc !== 'object') throw invalidParameter('Policy must be a JSON object.');
  const raw = (doc as { Statement?: unknown }).Statement;
  const statements = (Array.isArray(raw) ? raw : raw !== undefined ? [raw] : []) as Statement[];
  if (statements.length === 0) throw invalidParameter('Policy has no Statement.');
  for (const s of statements) {
    if (s === null || typeof s !== 'object' || (s.Effect !== 'Allow' && s.Effect !== 'Deny')) {
      throw invalidParameter('Every policy statement needs an Effect of "Allow" or "Deny".');
    }
    if (s.Action === undefined && s.NotAction === undefined) throw invalidParameter('Every policy statement needs an Action.');
  }
  return statements;
}

/** Values the conditions of a request can test. */
export interface PolicyContext {
  /** Whole days since the archive was created (DeleteArchive). */
  archiveAgeDays?: number;
}

function conditionHolds(condition: unknown, context: PolicyContext): boolean {
  if (condition === undefined || condition === null || typeof condition !== 'object') return true;
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (block === null || typeof block !== 'object') continue;
    for (const [key, expected] of Object.entries(block as Record<string, unknown>)) {
      const values = (Array.isArray(expected) ? expected : [expected]).map(String);
      if (key.toLowerCase() === 'glacier:archiveageindays') {
        const actual = context.archiveAgeDays;
        if (actual === undefined) {
          if (!operator.endsWith('IfExists')) return false;
          continue;
        }
        const op = operator.replace(/IfExists$/, '');
        const test = (v: string) => {
          const n = Number(v);
          switch (op) {
            case 'NumericLessThan':
              return actual < n;
            case 'NumericLessThanEquals':
              return actual <= n;
            case 'NumericGreaterThan':
              return actual > n;
            case 'NumericGreaterThanEquals':
              return actual >= n;
            case 'NumericEquals':
              return actual === n;
            case 'NumericNotEquals':
              return actual !== n;
            default:
              return true;
          }
        };
        if (!values.some(test)) return false;
      }
      // Other keys are not known to the endpoint: treated as satisfied.
    }
  }
  return true;
}

/** True when one of the statements denies `action` on `resourceArn`. */
export function isDenied(statements: readonly Statement[], action: string, resourceArn: string, context: PolicyContext): boolean {
  for (const s of statements) {
    if (s.Effect !== 'Deny') continue;
    const actionMatches =
      s.Action !== undefined
        ? asList(s.Action).some((p) => wildcardMatch(p, action, true))
        : !asList(s.NotAction).some((p) => wildcardMatch(p, action, true));
    if (!actionMatches) continue;
    const resourceMatches =
      s.NotResource !== undefined
        ? !asList(s.NotResource).some((p) => wildcardMatch(p, resourceArn, false))
        : s.Resource === undefined || asList(s.Resource).some((p) => wildcardMatch(p, resourceArn, false));
    if (!resourceMatches) continue;
    if (conditionHolds(s.Condition, context)) return true;
  }
  return false;
}

/**
 * Throws 403 AccessDeniedException when the vault's access policy or its lock
 * policy (InProgress or Locked) denies `action`.
 */
export function enforceDeny(b: Backend, vault: VaultRecord, action: string, context: PolicyContext = {}): void {
  const arn = b.vaultArn(vault.name);
  const docs = [vault.accessPolicy, vault.lock?.policy].filter((p): p is string => p !== null && p !== undefined);
  for (const doc of docs) {
    let statements: Statement[];
    try {
      statements = parsePolicy(doc);
    } catch {
      continue;
    }
    if (isDenied(statements, action, arn, context)) {
      throw accessDenied(
        `User: arn:aws:iam::${b.settings.accountId}:root is not authorized to perform: ${action} on resource: ${arn} with an explicit deny`,
      );
    }
  }
}

/** Reads `{"Policy": "<document>"}` from a request body and validates the document. */
export function policyFromBody(ctx: RequestContext): string {
  const body = jsonBody(ctx);
  const policy = body.Policy;
  if (policy === undefined || policy === null) throw missingParameter('Required parameter missing: Policy');
  if (typeof policy !== 'string') throw invalidParameter('Policy must be a string holding a JSON policy document.');
  parsePolicy(policy);
  return policy;
}

/** SetVaultAccessPolicy: PUT /{accountId}/vaults/{vaultName}/access-policy. */
export async function setVaultAccessPolicy(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  const accessPolicy = policyFromBody(ctx);
  b.write(ctx, () => b.store.updateVault(vault.name, { accessPolicy }));
  sendEmpty(ctx.res, 204);
}

/** GetVaultAccessPolicy: GET /{accountId}/vaults/{vaultName}/access-policy. */
export async function getVaultAccessPolicy(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  if (vault.accessPolicy === null) throw notFound(`No policy is set for the vault: ${b.vaultArn(vault.name)}`);
  sendJson(ctx.res, 200, { Policy: vault.accessPolicy });
}

/** DeleteVaultAccessPolicy: DELETE /{accountId}/vaults/{vaultName}/access-policy. */
export async function deleteVaultAccessPolicy(b: Backend, ctx: RequestContext): Promise<void> {
  const vault = b.vault(ctx.params);
  b.write(ctx, () => b.store.updateVault(vault.name, { accessPolicy: null }));
  sendEmpty(ctx.res, 204);
}
