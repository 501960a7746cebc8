/**
 * AWS Signature Version 4 checking. The signature is recomputed with
 * `@smithy/signature-v4` over the received method, raw path, query and the
 * headers named in `SignedHeaders`, with the request's own date and the
 * credential scope's region and service, then compared in constant time.
 *
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { ServiceError } from './errors.js';

/** An access key pair the endpoint accepts. */
export interface LocalCredentials {
  /** The access key id clients sign with. */
  accessKeyId: string;
  /** The matching secret access key. */
  secretAccessKey: string;
}

/** The parts of an `Authorization: AWS4-HMAC-SHA256 …` header. */
interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request\s*,\s*SignedHeaders=([a-z0-9;._-]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/i;

function incompleteSignature(message: string): ServiceError {
  return new ServiceError(403, 'IncompleteSignatureException', message);
}

function parseAuthorization(header: string): ParsedAuthorization {
  const m = AUTH_RE.exec(header);
  if (!m) {
    throw incompleteSignature(
      "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters with the AWS4-HMAC-SHA256 algorithm.",
    );
  }
  return {
    accessKeyId: m[1]!,
    date: m[2]!,
    region: m[3]!,
    service: m[4]!,
    signedHeaders: m[5]!.toLowerCase().split(';'),
    signature: m[6]!.toLowerCase(),
  };
}

/** How far a request's X-Amz-Date may be from the real time. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

/** Formats a Date as `20261121T120535Z`. */
function compactDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** Parses `20261121T120535Z` into a Date. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * A header value as the client signed it. Node decodes header bytes as
 * Latin-1; botocore sends non-ASCII values as UTF-8 and signs their UTF-8
 * form, while the JS SDK sends single Latin-1 bytes. Bytes that form valid
 * UTF-8 are therefore read as UTF-8, anything else stays Latin-1.
 */
function asSigned(value: string): string {
  if (!/[^\x00-\x7f]/.test(value)) return value;
  const raw = Buffer.from(value, 'latin1');
  const utf8 = raw.toString('utf8');
  return Buffer.from(utf8, 'utf8').equals(raw) ? utf8 : value;
}

/** What the verifier needs from a request besides its headers. */
export interface SignedRequestParts {
  /** The path exactly as received on the wire (still percent-encoded), without the query. */
  rawPath: string;
  /** The decoded query parameters. */
  query: Record<string, string | string[]>;
  /** The whole body when it was read before checking; undefined for streamed uploads. */
  body?: Buffer;
}

/** Checks SigV4 signatures against a set of credentials. */
export class SigV4Verifier {
  readonly #secrets = new Map<string, string>();

  /** @param credentials - The key pairs to accept. */
  constructor(credentials: readonly LocalCredentials[]) {
    for (const c of credentials) this.#secrets.set(c.accessKeyId, c.secretAccessKey);
  }

  /**
   * Verifies the request's signature. Resolves with the access key id on
   * success; rejects with a 403 {@link ServiceError} carrying AWS's code
   * otherwise. Never logs or returns the signature or secret.
   */
  async verify(req: IncomingMessage, parts: SignedRequestParts): Promise<string> {
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      throw new ServiceError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    const auth = parseAuthorization(header);
    const secret = this.#secrets.get(auth.accessKeyId);
    if (secret === undefined) {
      throw new ServiceError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    }
    const amzDate = req.headers['x-amz-date'];
    const signingDate = typeof amzDate === 'string' ? parseAmzDate(amzDate) : undefined;
    if (signingDate === undefined) {
      throw incompleteSignature('Authorization header requires existence of either a \'X-Amz-Date\' or a \'Date\' header.');
    }
    if (amzDate!.slice(0, 8) !== auth.date) {
      throw invalidSignature();
    }
    if (auth.service !== 'glacier') {
      throw new ServiceError(403, 'InvalidSignatureException', "Credential should be scoped to correct service: 'glacier'. ");
    }
    // Like AWS, a signature is valid for 15 minutes either side of the real time (not the test clock).
    const skew = signingDate.getTime() - Date.now();
    if (Math.abs(skew) > MAX_SKEW_MS) {
      const now = compactDate(new Date());
      const limit = compactDate(new Date(Date.now() + Math.sign(skew) * MAX_SKEW_MS));
      throw new ServiceError(
        403,
        'InvalidSignatureException',
        skew < 0
          ? `Signature expired: ${amzDate} is now earlier than ${limit} (${now} - 15 min.)`
          : `Signature not yet current: ${amzDate} is still later than ${limit} (${now} + 15 min.)`,
      );
    }
    const headers: Record<string, string> = {};
    for (const name of auth.signedHeaders) {
      const value = req.headers[name];
      if (value === undefined) throw invalidSignature();
      headers[name] = asSigned(Array.isArray(value) ? value.join(',') : value);
    }
    const signer = new SignatureV4({
      credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: secret },
      region: auth.region,
      service: auth.service,
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: true,
      applyChecksum: false,
    });
    const signed = await signer.sign(
      {
        method: req.method ?? 'GET',
        protocol: 'http:',
        hostname: 'localhost',
        path: parts.rawPath,
        query: parts.query,
        headers,
        body: parts.body && parts.body.length > 0 ? parts.body : undefined,
      },
      {
        signingDate,
        signingRegion: auth.region,
        signingService: auth.service,
        signableHeaders: new Set(auth.signedHeaders),
      },
    );
    const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ''))?.[1];
    if (expected === undefined || !timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(auth.signature, 'hex'))) {
      throw invalidSignature();
    }
    return auth.accessKeyId;
  }
}

function invalidSignature(): ServiceError {
  return new ServiceError(
    403,
    'InvalidSignatureException',
    'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  );
}
