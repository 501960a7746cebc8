/**
 * The HTTP server: SigV4 checking, fault injection, body limits, error
 * shapes and request ids, around the routes of `routes.ts`.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SigV4Verifier } from './auth.js';
import type { Backend } from './backend.js';
import { accessDenied, bodyTooLarge, closing, insufficientCapacity, invalidParameter, missingParameter, requestTimeout, ServiceError, serviceUnavailable, throttling } from './errors.js';
import { MAX_UPLOAD_BYTES } from './receive.js';
import type { FaultInjector, FaultRequest, FaultRule } from './faults.js';
import { header, type RequestContext } from './http.js';
import { newRequestId } from './ids.js';
import { HANDLERS, route } from './routes.js';

export { HANDLERS, route, type Handler, type Route } from './routes.js';

/** Operations whose request body is streamed to storage rather than read first. */
const STREAMING = new Set(['UploadArchive', 'UploadMultipartPart']);

/** Largest non-upload request body accepted. */
const MAX_JSON_BODY = 1024 * 1024;

/** Reads a whole (small) request body; a body over {@link MAX_JSON_BODY} (declared or sent) is refused with 413 and the connection closed. */
async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = header(req, 'content-length');
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > MAX_JSON_BODY) throw bodyTooLarge(MAX_JSON_BODY);
  // Events rather than for-await: leaving a for-await loop early destroys the request, and with it the socket the answer goes on.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_JSON_BODY) {
        cleanup();
        req.pause();
        reject(bodyTooLarge(MAX_JSON_BODY));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => {
      cleanup();
      reject(closing(invalidParameter('The connection closed before the request body arrived.')));
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

/**
 * Answers 408 RequestTimeoutException (as AWS does after about 20 s) and
 * closes the connection when no byte of the request body arrives for `ms`;
 * returns the function that stops watching once the body is read.
 */
function watchBody(req: IncomingMessage, res: ServerResponse, ms: number): () => void {
  if (ms <= 0 || req.complete) return () => undefined;
  const onTimeout = () => {
    if (!res.headersSent && !res.destroyed) {
      const error = requestTimeout(`No request body arrived for ${Math.round(ms / 1000)} s.`);
      const text = JSON.stringify(error.toBody());
      res.writeHead(408, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'x-amzn-ErrorType': error.code, Connection: 'close' });
      res.end(text);
    }
    req.socket?.destroy();
  };
  req.setTimeout(ms, onTimeout);
  return () => {
    req.socket?.setTimeout(0);
    req.removeListener('timeout', onTimeout);
  };
}

/**
 * Reads and discards what is left of a request body, so an early error
 * reaches the client. Resolves true when the body ended, false when no byte
 * arrived for `idleMs` (the answer must then close the connection).
 */
async function drain(req: IncomingMessage, idleMs = 0): Promise<boolean> {
  if (req.complete || req.destroyed || req.readableEnded) return true;
  return new Promise<boolean>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      if (idleMs <= 0) return;
      clearTimeout(timer);
      timer = setTimeout(() => {
        req.pause();
        resolve(false);
      }, idleMs);
    };
    const finish = () => {
      clearTimeout(timer);
      resolve(true);
    };
    req.on('data', arm);
    req.on('end', finish);
    req.on('close', finish);
    req.on('error', finish);
    arm();
    req.resume();
  });
}

/** Reads the request body until `cutAt` bytes arrived (or it ended), then destroys the connection. */
function readThenCut(req: IncomingMessage, cutAt: number): Promise<void> {
  return new Promise<void>((resolve) => {
    let seen = 0;
    const finish = () => {
      req.off('data', onData);
      req.socket?.destroy();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen >= cutAt) finish();
    };
    req.on('data', onData);
    req.once('end', finish);
    req.once('error', finish);
    req.once('close', finish);
  });
}

/** Settings of {@link createGlacierServer}. */
export interface ServerSettings {
  /** The service core. */
  backend: Backend;
  /** Undefined when authentication is off. */
  verifier: SigV4Verifier | undefined;
  /** Fault injection rules. */
  faults: FaultInjector;
  /** Request log sink, if any. */
  log: ((line: string) => void) | undefined;
  /** Milliseconds without a byte of request body before 408 (default 20 s; 0: never). */
  bodyTimeoutMs?: number;
}

/** Connections served at once; more wait in the kernel's queue. */
export const MAX_CONNECTIONS = 1024;

/** The error answered for an injected fault kind, or undefined for kinds applied elsewhere. */
function faultError(rule: FaultRule): ServiceError | 'empty503' | undefined {
  switch (rule.kind) {
    case '500':
      return serviceUnavailable();
    case '503':
      return rule.arg === 'empty' ? 'empty503' : new ServiceError(503, 'ServiceUnavailableException', 'Service Unavailable', 'Server');
    case 'throttle':
      return throttling();
    case '408':
      return requestTimeout();
    case 'capacity':
      return insufficientCapacity();
    default:
      return undefined;
  }
}

/** What fault rules need to know of a request: whether it is an Expedited archive retrieval. */
function faultRequest(operation: string, body: Buffer | undefined): FaultRequest {
  if (operation !== 'InitiateJob' || !body || body.length === 0) return {};
  try {
    const params = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof params !== 'object' || params === null) return {};
    const { Type, Tier } = params as { Type?: unknown; Tier?: unknown };
    return { expeditedRetrieval: Type === 'archive-retrieval' && Tier === 'Expedited' };
  } catch {
    return {};
  }
}

/** Creates the HTTP server (not yet listening). */
export function createGlacierServer(settings: ServerSettings): Server {
  const { backend, verifier, faults, log } = settings;
  const bodyTimeoutMs = settings.bodyTimeoutMs ?? 20_000;

  async function handle(req: IncomingMessage, res: ServerResponse, seen: { operation: string }): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rawPath = (req.url ?? '/').split('?')[0]!;
    let segments: string[];
    try {
      segments = rawPath.split('/').slice(1).map(decodeURIComponent);
    } catch {
      throw invalidParameter('The request path is not valid percent-encoding.');
    }
    const method = req.method ?? 'GET';
    const matched = route(method, segments, url.searchParams);
    if (!matched) throw new ServiceError(404, 'UnknownOperationException', `No Glacier operation matches ${method} ${rawPath}.`);
    const { operation, params } = matched;
    seen.operation = operation;
    let body: Buffer | undefined;
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const declaredPayload = header(req, 'x-amz-content-sha256');
    // The signature covers x-amz-content-sha256, so it is checked before any body is read when that header is given.
    const verifiedEarly = verifier !== undefined && declaredPayload !== undefined && /^[0-9a-fA-F]{64}$/.test(declaredPayload);
    if (verifiedEarly) {
      try {
        await verifier!.verify(req, { rawPath, query });
      } catch (err) {
        // Refused before its body was read: the body is not read at all.
        throw err instanceof ServiceError ? closing(err) : err;
      }
    }
    if (STREAMING.has(operation)) {
      if (declaredPayload === undefined) throw missingParameter('Required header x-amz-content-sha256 is missing.');
      const length = header(req, 'content-length');
      if (length !== undefined && /^\d+$/.test(length) && Number(length) > MAX_UPLOAD_BYTES) {
        throw closing(invalidParameter(`Invalid Content-Length: ${length}. One upload request carries at most ${MAX_UPLOAD_BYTES} bytes (4 GiB).`));
      }
    } else {
      const stop = watchBody(req, res, bodyTimeoutMs);
      try {
        body = await readBody(req);
      } finally {
        stop();
      }
    }
    if (verifier && !verifiedEarly) await verifier.verify(req, { rawPath, query, ...(body ? { body } : {}) });
    const declaredHash = header(req, 'x-amz-content-sha256');
    if (body && declaredHash !== undefined && /^[0-9a-fA-F]{64}$/.test(declaredHash)) {
      const computed = createHash('sha256').update(body).digest('hex');
      if (computed !== declaredHash.toLowerCase()) {
        throw invalidParameter(
          `The value passed in as x-amz-content-sha256 does not match computed payload hash. Computed digest: ${computed} expected hash: ${declaredHash}`,
        );
      }
    }
    if (!header(req, 'x-amz-glacier-version')) throw missingParameter('Required header x-amz-glacier-version is missing.');
    if (params.accountId !== '-' && params.accountId !== backend.settings.accountId) {
      if (/^\d{12}$/.test(params.accountId)) {
        throw accessDenied(`User: arn:aws:iam::${backend.settings.accountId}:root is not authorized to access account ${params.accountId}.`);
      }
      throw invalidParameter(`Invalid account id: ${params.accountId}. Use "-" or a 12-digit account id.`);
    }
    const fault = faults.pick(operation, faultRequest(operation, body));
    if (fault) {
      log?.(`fault ${fault.kind} injected into ${operation}`);
      if (fault.kind === 'slow') await sleep(typeof fault.arg === 'number' ? fault.arg : 1000);
      const error = faultError(fault);
      if (error === 'empty503') {
        await drain(req);
        res.writeHead(503, { 'Content-Length': 0 });
        res.end();
        return;
      }
      if (error) throw error;
      if (fault.kind === 'drop' && operation !== 'GetJobOutput') {
        if (STREAMING.has(operation)) {
          const length = Number(header(req, 'content-length') ?? '2');
          const cutAt = typeof fault.arg === 'number' ? fault.arg : Math.max(1, Math.floor(length / 2));
          await readThenCut(req, cutAt);
        }
        req.socket?.destroy();
        return;
      }
    }
    const ctx: RequestContext = { req, res, operation, params, query: url.searchParams, body, fault };
    const stop = STREAMING.has(operation) ? watchBody(req, res, bodyTimeoutMs) : () => undefined;
    try {
      await HANDLERS[operation]!(backend, ctx);
    } finally {
      stop();
    }
  }

  const server = createServer((req, res) => {
    const started = Date.now();
    const requestId = newRequestId();
    res.setHeader('x-amzn-RequestId', requestId);
    const seen = { operation: '-' };
    // The log says what happened: the status sent, or that the exchange broke off.
    res.once('close', () => {
      const outcome = res.writableFinished ? String(res.statusCode) : res.headersSent ? `${res.statusCode}-aborted` : 'aborted';
      log?.(`${req.method} ${(req.url ?? '').split('?')[0]} ${seen.operation} ${outcome} ${Date.now() - started}ms ${requestId}`);
    });
    handle(req, res, seen)
      .catch(async (err: unknown) => {
        const error =
          err instanceof ServiceError ? err : new ServiceError(500, 'ServiceUnavailableException', `Internal error: ${(err as Error)?.message ?? String(err)}`, 'Server');
        if (!(err instanceof ServiceError)) log?.(`internal error: ${(err as Error)?.stack ?? String(err)}`);
        if (res.headersSent || res.destroyed || req.socket?.destroyed !== false) {
          res.destroy();
          return;
        }
        // A body the error refused is not read, nor one that stopped arriving: the connection closes after the answer.
        let close = (err as { closeConnection?: boolean }).closeConnection === true;
        if (!close) close = !(await drain(req, bodyTimeoutMs));
        if (res.destroyed || req.socket?.destroyed !== false) return;
        const text = Buffer.from(JSON.stringify(error.toBody()), 'utf8');
        const extra = (err as { headers?: Record<string, string> }).headers ?? {};
        res.writeHead(error.status, {
          ...extra,
          'Content-Type': 'application/json',
          'Content-Length': text.length,
          'x-amzn-ErrorType': error.code,
          ...(close ? { Connection: 'close' } : {}),
        });
        res.end(text, () => {
          if (!close) return;
          // Keep reading what the client still sends for a moment, so that closing does not
          // reset the connection before the client has read the answer.
          req.resume();
          setTimeout(() => req.socket?.destroy(), 1000).unref();
        });
      })
      // Nothing a request does may end the process.
      .catch((err: unknown) => {
        log?.(`internal error while answering: ${(err as Error)?.stack ?? String(err)}`);
        res.destroy();
      });
  });
  server.maxConnections = MAX_CONNECTIONS;
  // Requests the HTTP parser refuses (e.g. control characters in a header
  // value) still get a Glacier-shaped answer, as AWS gives one.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const body = JSON.stringify({ code: 'InvalidParameterValueException', message: `Malformed HTTP request (${err.code ?? 'parse error'}).`, type: 'Client' });
    socket.end(
      'HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-amzn-RequestId: ${newRequestId()}\r\n` +
        `x-amzn-ErrorType: InvalidParameterValueException\r\nConnection: close\r\n\r\n${body}`,
    );
    log?.(`malformed request refused: ${err.code ?? err.message}`);
  });
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
