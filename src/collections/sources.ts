/**
 * The four list operations behind Glacier's collections (ListVaults, ListJobs,
 * ListMultipartUploads, ListParts), each run through the SDK's own
 * `paginateList*`. Every page request gets a fresh input object, because the
 * SDK paginator writes `marker`, `limit` and `accountId` into it.
 *
 * @module
 */
import {
  GlacierClient,
  paginateListJobs,
  paginateListMultipartUploads,
  paginateListParts,
  paginateListVaults,
  type DescribeVaultOutput,
  type GlacierJobDescription,
  type GlacierPaginationConfiguration,
  type ListPartsOutput,
  type PartListElement,
  type StatusCode,
  type UploadListElement,
} from '@aws-sdk/client-glacier';
import { ValidationError } from '../errors.js';
import { nameServiceError } from '../service-errors.js';
import type { CollectionSource, ListFilter, PageRequest } from './collection.js';

/** Filter parameters of ListJobs collections. */
export interface JobFilter extends ListFilter {
  /** Only jobs with this status: `InProgress`, `Succeeded` or `Failed`. */
  statuscode?: StatusCode | `${StatusCode}`;
  /** Only completed (`true`) or unfinished (`false`) jobs. */
  completed?: boolean | 'true' | 'false';
}

/** The job statuses ListJobs filters on. */
export const JOB_STATUS_CODES = ['InProgress', 'Succeeded', 'Failed'] as const;

type Filters<F> = Omit<F, 'limit' | 'marker'>;

interface ListSpec<F extends ListFilter, Input, Output, Element, T> {
  readonly name: string;
  readonly client: GlacierClient;
  readonly checkFilter: (filter: Readonly<Filters<F>>) => Filters<F>;
  readonly paginate: (config: GlacierPaginationConfiguration, input: Input, ...rest: unknown[]) => AsyncIterable<Output>;
  readonly input: (filters: Readonly<Filters<F>>) => Input;
  readonly elements: (page: Output) => readonly Element[] | undefined;
  readonly toItem: (element: Element) => T;
  readonly onPage?: (page: Output) => void;
}

function rejectUnknownKeys(filter: object, allowed: readonly string[], name: string): void {
  for (const key of Object.keys(filter)) {
    if (!allowed.includes(key)) {
      const accepted = ['limit', 'marker', ...allowed].join(', ');
      throw new ValidationError(key, `${name}.filter() does not take '${key}'; it takes ${accepted}.`);
    }
  }
}

/**
 * The SDK paginators accept only instances of their own GlacierClient class;
 * a client from another copy of the SDK (or any object with a compatible
 * `send`) is wrapped in one that forwards `send`.
 */
function paginatorClient(client: GlacierClient): GlacierClient {
  if (client instanceof GlacierClient) return client;
  const other = client as { send: (...args: unknown[]) => unknown };
  const forward: GlacierClient = Object.create(GlacierClient.prototype);
  Object.defineProperty(forward, 'send', { value: (...args: unknown[]) => other.send(...args) });
  return forward;
}

function listSource<F extends ListFilter, Input, Output, Element, T>(
  spec: ListSpec<F, Input, Output, Element, T>,
): CollectionSource<T, F> {
  return {
    name: spec.name,
    checkFilter: spec.checkFilter,
    async *pages(request: PageRequest<F>): AsyncGenerator<T[], void, undefined> {
      const config: GlacierPaginationConfiguration = { client: paginatorClient(spec.client) };
      if (request.pageSize !== undefined) config.pageSize = request.pageSize;
      if (request.marker !== undefined) config.startingToken = request.marker;
      const extra = request.signal ? [{ abortSignal: request.signal }] : [];
      try {
        for await (const page of spec.paginate(config, spec.input(request.filters), ...extra)) {
          spec.onPage?.(page);
          yield (spec.elements(page) ?? []).map(spec.toItem);
        }
      } catch (error) {
        throw nameServiceError(error, spec.name);
      }
    },
  };
}

function noFilters(name: string): (filter: object) => Record<string, never> {
  return (filter) => {
    rejectUnknownKeys(filter, [], name);
    return {};
  };
}

/** ListVaults of one account. */
export function vaultsSource<T>(
  client: GlacierClient,
  accountId: string,
  name: string,
  toItem: (vault: DescribeVaultOutput) => T,
): CollectionSource<T, ListFilter> {
  return listSource({
    name,
    client,
    checkFilter: noFilters(name),
    paginate: paginateListVaults,
    input: () => ({ accountId }),
    elements: (page) => page.VaultList,
    toItem,
  });
}

function checkJobFilter(name: string, fixed: Filters<JobFilter>) {
  return (filter: Readonly<Filters<JobFilter>>): Filters<JobFilter> => {
    rejectUnknownKeys(filter, ['statuscode', 'completed'], name);
    const out: Filters<JobFilter> = {};
    if (filter.statuscode !== undefined) {
      if (!(JOB_STATUS_CODES as readonly unknown[]).includes(filter.statuscode)) {
        throw new ValidationError('statuscode', `Invalid statuscode ${JSON.stringify(filter.statuscode)}: use one of ${JOB_STATUS_CODES.join(', ')}.`);
      }
      out.statuscode = filter.statuscode;
    }
    if (filter.completed !== undefined) {
      const c = filter.completed;
      if (c !== true && c !== false && c !== 'true' && c !== 'false') {
        throw new ValidationError('completed', `completed must be true or false, got ${JSON.stringify(c)}.`);
      }
      out.completed = String(c) as 'true' | 'false';
    }
    for (const key of ['statuscode', 'completed'] as const) {
      if (fixed[key] !== undefined && out[key] !== undefined && String(out[key]) !== String(fixed[key])) {
        throw new ValidationError(key, `${name} always lists ${key}=${String(fixed[key])}; use vault.jobs.filter({ ${key}: ... }) for other values.`);
      }
    }
    return out;
  };
}

/** ListJobs of one vault, optionally with fixed `statuscode` / `completed` (succeededJobs, completedJobs, …). */
export function jobsSource<T>(
  client: GlacierClient,
  target: { accountId: string; vaultName: string },
  name: string,
  toItem: (job: GlacierJobDescription) => T,
  fixed: Filters<JobFilter> = {},
): CollectionSource<T, JobFilter> {
  return listSource({
    name,
    client,
    checkFilter: checkJobFilter(name, fixed),
    paginate: paginateListJobs,
    input: (filters: Readonly<Filters<JobFilter>>) => {
      const statuscode = filters.statuscode ?? fixed.statuscode;
      const completed = filters.completed ?? fixed.completed;
      return {
        accountId: target.accountId,
        vaultName: target.vaultName,
        ...(statuscode === undefined ? {} : { statuscode }),
        ...(completed === undefined ? {} : { completed: String(completed) }),
      };
    },
    elements: (page) => page.JobList,
    toItem,
  });
}

/** ListMultipartUploads of one vault. */
export function multipartUploadsSource<T>(
  client: GlacierClient,
  target: { accountId: string; vaultName: string },
  name: string,
  toItem: (upload: UploadListElement) => T,
): CollectionSource<T, ListFilter> {
  return listSource({
    name,
    client,
    checkFilter: noFilters(name),
    paginate: paginateListMultipartUploads,
    input: () => ({ accountId: target.accountId, vaultName: target.vaultName }),
    elements: (page) => page.UploadsList,
    toItem,
  });
}

/** ListParts of one multipart upload; `onPage` sees each page's upload fields. */
export function partsSource(
  client: GlacierClient,
  target: { accountId: string; vaultName: string; uploadId: string },
  name: string,
  onPage: (page: ListPartsOutput) => void,
): CollectionSource<PartListElement, ListFilter> {
  return listSource({
    name,
    client,
    checkFilter: noFilters(name),
    paginate: paginateListParts,
    input: () => ({ accountId: target.accountId, vaultName: target.vaultName, uploadId: target.uploadId }),
    elements: (page) => page.Parts,
    toItem: (part: PartListElement) => ({ ...part }),
    onPage,
  });
}
