/**
 * The receive path of the download engine's ranged GetJobOutput requests.
 *
 * Node's HTTP client reads each response into a fresh 64 KiB buffer per
 * socket read, which its parser copies and the collector then frees: on a
 * fast link that costs several times the one SHA-256 pass a verified
 * download needs. This path keeps the SDK for everything but the transfer:
 * a middleware at the end of the command's stack (step `deserialize`,
 * priority `low`, so after endpoint resolution and SigV4 signing, and inside
 * the SDK's deserializer) takes the signed request and performs it itself
 * over a raw `net` or `tls` socket from a small keep-alive pool, which reads
 * straight into a few reused 1 MiB buffers. A 2xx body is a
 * {@link ReceivedBody}: a `Readable`, as the SDK requires, whose
 * `receive()` hands the bytes over as views of those buffers. Other
 * statuses' bodies are read whole and given to the SDK's deserializer, which
 * throws its usual typed errors.
 *
 * It is used only with the SDK's default `NodeHttpHandler` over plain
 * `http.Agent`/`https.Agent` agents with default options and no timeouts
 * configured, for `http:` and `https:` (certificates verified, like Node's
 * https), and for a GET the path can write as it is; otherwise, and when
 * `GLACIER_RESOURCE_RECEIVE=sdk` is set, requests go through the SDK's
 * handler as before.
 *
 * @module
 */
import { HttpResponse } from '@smithy/core/protocols';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { requestHead, type SignedRequest } from './http-framing.js';
import { ConnectionPool, type Origin } from './receive-connection.js';
import { ReceivedBody } from './received-body.js';
import { ResponseReader, StaleConnectionError, UnsupportedResponseError } from './response-reader.js';
import type { CommandWithStack } from './retry.js';

/** Set this environment variable to `sdk` to send every GetJobOutput through the SDK's own HTTP handler. */
export const RECEIVE_SWITCH = 'GLACIER_RESOURCE_RECEIVE';

/** Agent options that change nothing this path would do differently. */
const PLAIN_AGENT_OPTIONS = new Set(['keepAlive', 'keepAliveMsecs', 'maxSockets', 'maxTotalSockets', 'maxFreeSockets', 'scheduling', 'noDelay', 'path']);

interface HandlerConfig {
  httpAgent?: unknown;
  httpsAgent?: unknown;
  requestTimeout?: number;
  connectionTimeout?: number;
  socketTimeout?: number;
}

interface RequestHandler {
  httpHandlerConfigs?: () => HandlerConfig;
}

/** A client as far as this path looks at it. */
export interface ClientWithHandler {
  config: { requestHandler?: unknown };
}

interface Target {
  pool: ConnectionPool;
  origin: Origin;
  head: string;
}

/** One pool per request handler, so per client. */
const pools = new WeakMap<object, ConnectionPool>();

function isPlainAgent(agent: unknown, type: typeof HttpAgent | typeof HttpsAgent): boolean {
  if (!agent || Object.getPrototypeOf(agent) !== type.prototype) return false;
  const options = (agent as { options?: Record<string, unknown> }).options ?? {};
  return Object.keys(options).every((key) => PLAIN_AGENT_OPTIONS.has(key) && (key !== 'path' || options[key] == null));
}

/** Where and how to send `request` on this path, or undefined when it should go through the SDK. */
function targetOf(client: ClientWithHandler, request: SignedRequest & Record<string, unknown>): Target | undefined {
  if (process.env[RECEIVE_SWITCH] === 'sdk' || process.env['NODE_USE_ENV_PROXY']) return undefined;
  const handler = client.config.requestHandler as RequestHandler | undefined;
  if (handler?.constructor?.name !== 'NodeHttpHandler' || typeof handler.httpHandlerConfigs !== 'function') return undefined;
  const config = handler.httpHandlerConfigs();
  if (config.requestTimeout || config.connectionTimeout || config.socketTimeout) return undefined;
  const { protocol } = request;
  const secure = protocol === 'https:';
  if (!secure && protocol !== 'http:') return undefined;
  if (!isPlainAgent(secure ? config.httpsAgent : config.httpAgent, secure ? HttpsAgent : HttpAgent)) return undefined;
  if (request.method !== 'GET' || request.body != null || request.username != null || request.password != null || request.fragment) return undefined;
  const head = requestHead(request);
  if (!head) return undefined;
  let pool = pools.get(handler);
  if (!pool) pools.set(handler, (pool = new ConnectionPool()));
  if (!pool.usable) return undefined;
  const hostname = request.hostname.replace(/^\[(.*)\]$/, '$1');
  return { pool, origin: { protocol, hostname, port: request.port ?? (secure ? 443 : 80) }, head };
}

/** Sends `head` on a connection of `pool` and reads the response; a kept connection the server had closed is replaced once by a new one. */
async function exchange(target: Target, signal: AbortSignal, fresh = false): Promise<HttpResponse> {
  const { pool, origin, head } = target;
  signal.throwIfAborted();
  const connection = fresh ? pool.open(origin) : pool.acquire(origin);
  const reader = new ResponseReader(connection, (reusable) => (reusable ? pool.release(origin, connection) : connection.destroy()));
  try {
    const { statusCode, reason, headers } = await reader.start(head, signal);
    const ok = statusCode < 300;
    const body = ok ? reader.body : Readable.from([await reader.errorBody()], { objectMode: false });
    return new HttpResponse({ statusCode, reason, headers, body });
  } catch (error) {
    if (error instanceof StaleConnectionError && !fresh) return exchange(target, signal, true);
    throw error;
  }
}

/**
 * Makes `command` (a GetJobOutput of `client`) use the receive path when it
 * is safe to (see the module's description). `signal` cancels the request,
 * including a body being received. Returns the command.
 */
export function withReceivePath<C extends CommandWithStack>(command: C, client: ClientWithHandler, signal: AbortSignal): C {
  type Next = (args: { request: SignedRequest & Record<string, unknown> }) => Promise<unknown>;
  const middleware = (next: Next) => async (args: { request: SignedRequest & Record<string, unknown> }) => {
    const target = targetOf(client, args.request);
    if (!target) return next(args);
    try {
      return { response: await exchange(target, signal) };
    } catch (error) {
      if (!(error instanceof UnsupportedResponseError)) throw error;
      // This origin answers in a way the path does not take: it and all later requests go through the SDK.
      target.pool.usable = false;
      return next(args);
    }
  };
  command.middlewareStack.add(middleware, { name: 'glacierResourceReceive', step: 'deserialize', priority: 'low' });
  return command;
}

/** True when `body` came from the receive path and offers {@link ReceivedBody.receive}. */
export function isReceivedBody(body: unknown): body is ReceivedBody {
  return body instanceof ReceivedBody;
}

/** Connections of the receive path for `client`: opened so far, and kept idle now. For tests and diagnostics. */
export function receiveStats(client: ClientWithHandler): { opened: number; idle: number } {
  const pool = pools.get(client.config.requestHandler as object);
  return { opened: pool?.opened ?? 0, idle: pool?.idleCount ?? 0 };
}
