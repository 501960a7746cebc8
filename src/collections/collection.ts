/**
 * Lazy, immutable, chainable collections over Glacier's list operations, in
 * the manner of boto3's `ResourceCollection`: nothing is requested until
 * iteration starts, every iteration requests afresh, and `limit(n)` stops
 * requesting once n items have come.
 *
 * @module
 */
import { inspect } from 'node:util';
import { ValidationError } from '../errors.js';

/**
 * Parameters every Glacier list operation takes. Unlike boto3's `filter()`,
 * `limit` here is the API's own page size (boto3 mistakes it for the item cap);
 * use {@link ResourceCollection.limit} to cap the number of items.
 */
export interface ListFilter {
  /** The API's `limit`: how many items one request returns (same as {@link ResourceCollection.pageSize}). */
  limit?: number | string;
  /** The API's `marker`: where listing starts, taken from an earlier listing. */
  marker?: string;
}

/** One page request that a collection makes of its source. */
export interface PageRequest<F> {
  /** The source-specific filter parameters (without `limit` and `marker`). */
  readonly filters: Readonly<Omit<F, 'limit' | 'marker'>>;
  /** The API's `limit`, when set. */
  readonly pageSize: number | undefined;
  /** The starting `marker`, when set. */
  readonly marker: string | undefined;
  /** Cancels the requests. */
  readonly signal: AbortSignal | undefined;
}

/** What a collection lists: one of Glacier's list operations, bound to its parent resource. */
export interface CollectionSource<T, F extends ListFilter> {
  /** How the collection prints, e.g. `glacier.Vault(accountId='-', name='photos').jobs`. */
  readonly name: string;
  /** Checks filter parameters other than `limit` and `marker`, returning them normalised. */
  checkFilter(filter: Readonly<Omit<F, 'limit' | 'marker'>>): Omit<F, 'limit' | 'marker'>;
  /** Requests pages, following markers. */
  pages(request: PageRequest<F>): AsyncIterable<T[]>;
}

/** Options for consuming a collection. */
export interface IterationOptions {
  /** Cancels the requests; iteration then rejects with the signal's reason. */
  signal?: AbortSignal;
}

interface CollectionState<F> {
  readonly filters: Readonly<Omit<F, 'limit' | 'marker'>>;
  readonly maxItems?: number;
  readonly pageSize?: number;
  readonly marker?: string;
}

function checkCount(value: unknown, method: 'limit' | 'pageSize', min: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const got = typeof value === 'number' ? String(value) : JSON.stringify(value) ?? String(value);
    throw new ValidationError(method, `${method}(n) takes ${what}: an integer of at least ${min}, got ${got}.`);
  }
  return value;
}

function checkApiLimit(value: unknown): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw new ValidationError('limit', `limit (the API's page size) must be a positive integer, got ${JSON.stringify(value)}.`);
  }
  return n;
}

/**
 * A lazy collection of items (resources, or records such as parts). It is
 * immutable: `all()`, `filter()`, `limit()` and `pageSize()` return new
 * collections. Iterate it with `for await`, `pages()` or `toArray()`.
 *
 * @typeParam T - the item type
 * @typeParam F - the filter parameters `filter()` accepts
 *
 * @example
 * ```ts
 * for await (const job of vault.succeededJobs) console.log(job.id, job.completionDate);
 * const firstTen = await glacier.vaults.pageSize(10).limit(10).toArray();
 * const inventories = vault.jobs.filter({ statuscode: 'InProgress', limit: 20 });
 * ```
 */
export class ResourceCollection<T, F extends ListFilter = ListFilter> implements AsyncIterable<T> {
  readonly #source: CollectionSource<T, F>;
  readonly #state: CollectionState<F>;

  /** @internal Collections are made by resources (`vault.jobs`, `glacier.vaults`, …). */
  constructor(source: CollectionSource<T, F>, state: CollectionState<F> = { filters: {} as Omit<F, 'limit' | 'marker'> }) {
    this.#source = source;
    this.#state = state;
  }

  #with(changes: Partial<CollectionState<F>>): ResourceCollection<T, F> {
    return new ResourceCollection(this.#source, { ...this.#state, ...changes });
  }

  /** The whole collection (a copy of this one). */
  all(): ResourceCollection<T, F> {
    return this.#with({});
  }

  /**
   * A collection with more request parameters, merged over the earlier ones.
   * `limit` sets the API's page size and `marker` where listing starts;
   * other keys depend on the list operation. Unknown keys throw a
   * {@link ValidationError}. Without parameters it is the same as `all()`,
   * as in boto3.
   */
  filter(params?: F): ResourceCollection<T, F> {
    if (params === undefined) return this.#with({});
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      throw new ValidationError('filter', `filter() takes an object of request parameters, got ${JSON.stringify(params)}.`);
    }
    const { limit, marker, ...rest } = params;
    const changes: { -readonly [K in keyof CollectionState<F>]?: CollectionState<F>[K] } = {};
    if (limit !== undefined) changes.pageSize = checkApiLimit(limit);
    if (marker !== undefined) {
      if (typeof marker !== 'string' || marker === '') {
        throw new ValidationError('marker', `marker must be a non-empty string from an earlier listing, got ${JSON.stringify(marker)}.`);
      }
      changes.marker = marker;
    }
    const checked = this.#source.checkFilter(rest as Omit<F, 'limit' | 'marker'>);
    changes.filters = { ...this.#state.filters, ...checked };
    return this.#with(changes);
  }

  /** A collection that yields at most `count` items and stops requesting once it has them. */
  limit(count: number): ResourceCollection<T, F> {
    return this.#with({ maxItems: checkCount(count, 'limit', 0, 'the most items to yield') });
  }

  /** A collection that asks for `count` items per request (the API's `limit`). */
  pageSize(count: number): ResourceCollection<T, F> {
    return this.#with({ pageSize: checkCount(count, 'pageSize', 1, 'the items to ask for per request') });
  }

  /**
   * The collection page by page, one array per request. Each call requests
   * afresh.
   */
  async *pages(options: IterationOptions = {}): AsyncGenerator<T[], void, undefined> {
    const { signal } = options;
    let remaining = this.#state.maxItems ?? Infinity;
    signal?.throwIfAborted();
    if (remaining <= 0) return;
    const request: PageRequest<F> = {
      filters: this.#state.filters,
      pageSize: this.#state.pageSize,
      marker: this.#state.marker,
      signal,
    };
    for await (const page of this.#source.pages(request)) {
      const items = page.length > remaining ? page.slice(0, remaining) : page;
      remaining -= items.length;
      yield items;
      if (remaining <= 0) return;
      signal?.throwIfAborted();
    }
  }

  /** Iterates the items, requesting pages as needed. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page;
  }

  /** Reads the whole collection (up to its limit) into an array. */
  async toArray(options: IterationOptions = {}): Promise<T[]> {
    const items: T[] = [];
    for await (const page of this.pages(options)) items.push(...page);
    return items;
  }

  /** The collection's name, e.g. `glacier.Vault(accountId='-', name='photos').jobs`. */
  toString(): string {
    return this.#source.name;
  }

  /** Prints the same as {@link ResourceCollection.toString} in `console.log` and `util.inspect`. */
  [inspect.custom](): string {
    return this.toString();
  }
}
