/**
 * The machinery shared by every resource: identifiers, loaded data, attribute
 * accessors generated from the model, printing, equality and error naming.
 *
 * @module
 */
import { inspect } from 'node:util';
import type { GlacierClient } from '@aws-sdk/client-glacier';
import { GlacierResourceError, ResourceNotLoadedError, ValidationError } from '../errors.js';
import type { ResourceModel, ResourceName } from './model.js';
import { nameServiceError, type ErrorHints } from '../service-errors.js';

/** What `JSON.stringify` writes for a resource. */
export interface ResourceJson<Ids extends object, Data extends object> {
  /** The resource type's name, e.g. `Vault`. */
  resource: ResourceName;
  /** The identifiers, by name. */
  identifiers: Readonly<Ids>;
  /** The loaded data, when there is some. */
  data?: Readonly<Data>;
}

/** A resource's metadata, as in boto3's `resource.meta`. */
export interface ResourceMeta<Ids extends object, Data extends object> {
  /** The service's name: always `glacier`. */
  readonly serviceName: 'glacier';
  /** The resource type's name, e.g. `Vault`. */
  readonly resourceName: ResourceName;
  /** The SDK client every request of this resource goes through. */
  readonly client: GlacierClient;
  /** The loaded data (the API's response shape), or `undefined` when none is held. */
  readonly data: Readonly<Data> | undefined;
  /** The identifiers, by name. */
  readonly identifiers: Readonly<Ids>;
}

interface State {
  readonly model: ResourceModel;
  readonly client: GlacierClient;
  readonly identifiers: Readonly<Record<string, string>>;
  data: object | undefined;
}

const STATE = new WeakMap<object, State>();

function stateOf(resource: object): State {
  const state = STATE.get(resource);
  if (!state) throw new TypeError('Not a glacier-resource resource object.');
  return state;
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Checks that `client` looks like an SDK client (it has `send`). */
export function validateClient(client: unknown): GlacierClient {
  if (typeof client !== 'object' || client === null || typeof (client as { send?: unknown }).send !== 'function') {
    throw new ValidationError('client', 'client must be a GlacierClient from @aws-sdk/client-glacier.');
  }
  return client as GlacierClient;
}

/** Returns an id from a response, or throws when the response lacks it. */
export function responseId(value: string | undefined, operation: string, member: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new GlacierResourceError(`Glacier's ${operation} response had no ${member}.`);
  }
  return value;
}

/** Removes the SDK's `$metadata` from a response, leaving the API shape. */
export function responseData<T extends object>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _, ...rest } = output as T & { $metadata?: unknown };
  return rest;
}

/**
 * Base class of every resource. Subclasses pass their model and identifier
 * values; accessors for identifiers and attributes are defined on the
 * subclass's prototype from the same model.
 *
 * @typeParam Ids - the identifiers, by name
 * @typeParam Data - the shape of the loaded data
 */
export abstract class Resource<Ids extends object, Data extends object> {
  /** @internal */
  protected constructor(model: ResourceModel, client: GlacierClient, values: readonly unknown[]) {
    const identifiers: Record<string, string> = {};
    model.identifiers.forEach((identifier, i) => {
      if (values[i] === undefined) {
        throw new ValidationError(identifier.name, `Required identifier ${identifier.name} of glacier.${model.name} is not set.`);
      }
      identifiers[identifier.name] = identifier.validate(values[i], identifier.name);
    });
    STATE.set(this, { model, client: validateClient(client), identifiers: Object.freeze(identifiers), data: undefined });
  }

  /** The client, identifiers and loaded data of this resource. */
  get meta(): ResourceMeta<Ids, Data> {
    const state = stateOf(this);
    return {
      serviceName: 'glacier',
      resourceName: state.model.name,
      client: state.client,
      data: state.data as Readonly<Data> | undefined,
      identifiers: state.identifiers as unknown as Readonly<Ids>,
    };
  }

  /** The names of the sub-resource constructors this resource offers, sorted. */
  getAvailableSubresources(): string[] {
    return [...stateOf(this).model.subresources].sort();
  }

  /** Compares resource type and identifiers (not loaded data). */
  equals(other: unknown): boolean {
    if (!(other instanceof Resource)) return false;
    const a = stateOf(this);
    const b = stateOf(other);
    return a.model.name === b.model.name && a.model.identifiers.every(({ name }) => a.identifiers[name] === b.identifiers[name]);
  }

  /** boto3's repr: `glacier.Vault(accountId='-', name='my-vault')`. */
  toString(): string {
    const { model, identifiers } = stateOf(this);
    const args = model.identifiers.map(({ name }) => `${name}=${quote(identifiers[name] ?? '')}`);
    return `glacier.${model.name}(${args.join(', ')})`;
  }

  /**
   * What `JSON.stringify` writes: the resource type, its identifiers and any
   * loaded data, e.g. `{"resource":"Vault","identifiers":{"accountId":"-","name":"v"},"data":{...}}`.
   */
  toJSON(): ResourceJson<Ids, Data> {
    const { model, identifiers, data } = stateOf(this);
    const json: ResourceJson<Ids, Data> = {
      resource: model.name,
      identifiers: identifiers as unknown as Readonly<Ids>,
    };
    if (data !== undefined) json.data = data as Readonly<Data>;
    return json;
  }

  /** Prints the same as {@link toString} in `console.log` and `util.inspect`. */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal The client requests go through. */
  protected get client(): GlacierClient {
    return stateOf(this).client;
  }

  /** @internal The loaded data, if any. */
  protected get loaded(): Readonly<Data> | undefined {
    return stateOf(this).data as Readonly<Data> | undefined;
  }

  /** @internal Replaces the loaded data. */
  protected setData(data: Data | undefined): void {
    stateOf(this).data = data === undefined ? undefined : Object.freeze({ ...data });
  }

  /** @internal Forgets loaded data after an action that changed the server. */
  protected clearData(): void {
    stateOf(this).data = undefined;
  }

  /**
   * @internal Runs one request; a service error it raises gets a message
   * naming this resource.
   */
  protected async request<T>(send: (client: GlacierClient) => Promise<T>, hints?: ErrorHints): Promise<T> {
    try {
      return await send(stateOf(this).client);
    } catch (error) {
      throw nameServiceError(error, this.toString(), hints);
    }
  }
}

/** Sets a resource's data from outside (collections, uploads, inventories). @internal */
export function hydrate<R extends object>(resource: R, data: object): R {
  stateOf(resource).data = Object.freeze({ ...data });
  return resource;
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** The message for reading an attribute of a resource that has no data. */
function notLoadedMessage(resource: object, attribute: string): string {
  const { model } = stateOf(resource);
  const source = model.data;
  if (source.kind === 'load') {
    return `${String(resource)} has no data yet, so ${attribute} cannot be read: call \`await ${lowerFirst(model.name)}.load()\` first (it runs ${source.operation}).`;
  }
  if (source.kind === 'external') return `${String(resource)} has no data, so ${attribute} cannot be read: ${source.from}.`;
  return `${String(resource)} has no attribute ${attribute}.`;
}

/** A resource class: made from a client and its identifier values, in the model's order. */
type ResourceClass = new (client: GlacierClient, ...identifiers: string[]) => object;

/**
 * The resource classes, by name, registered by {@link defineAccessors} when
 * their modules load. A resource that makes another of a kind whose module
 * imports its own (an archive's `Vault()`, a job's archives) makes it through
 * {@link makeResource} instead of importing that module, so the resource
 * modules import each other in one direction only: no circle.
 */
const CLASSES = new Map<ResourceName, ResourceClass>();

/**
 * Makes a resource of kind `name` (no request is made). The caller names the
 * type with a type-only import, e.g. `makeResource<Vault>('Vault', client, accountId, name)`.
 * @internal
 */
export function makeResource<R extends object>(name: ResourceName, client: GlacierClient, ...identifiers: string[]): R {
  const Class = CLASSES.get(name);
  if (!Class) throw new Error(`Internal error: the ${name} resource is not loaded (import it from the package's entry point).`);
  return new Class(client, ...identifiers) as R;
}

/**
 * Defines, on a resource class's prototype, a read-only accessor for each
 * identifier (and its alias) and each attribute of the model. Attributes
 * read the loaded data and throw {@link ResourceNotLoadedError} when there
 * is none; a key missing from loaded data reads as `undefined`.
 */
export function defineAccessors(target: ResourceClass, model: ResourceModel): void {
  CLASSES.set(model.name, target);
  for (const identifier of model.identifiers) {
    const get = function (this: object): string | undefined {
      return stateOf(this).identifiers[identifier.name];
    };
    for (const name of identifier.alias ? [identifier.name, identifier.alias] : [identifier.name]) {
      Object.defineProperty(target.prototype, name, { get, enumerable: false, configurable: true });
    }
  }
  for (const [attribute, key] of Object.entries(model.attributes)) {
    Object.defineProperty(target.prototype, attribute, {
      get(this: object): unknown {
        const { data } = stateOf(this);
        if (data === undefined) throw new ResourceNotLoadedError(notLoadedMessage(this, attribute));
        return (data as Record<string, unknown>)[key];
      },
      enumerable: false,
      configurable: true,
    });
  }
}
