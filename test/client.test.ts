import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeVaultCommand, GlacierClient } from '@aws-sdk/client-glacier';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ServiceResource, ValidationError, createGlacierClient, resource } from '../src/index.js';

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
}

/** A minimal HTTP server answering ListVaults with one vault, recording what it got. */
let server: Server;
let endpoint: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ VaultList: [{ VaultName: 'from-server', NumberOfArchives: 7 }] }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const ENV_KEYS = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_GLACIER',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_EC2_METADATA_DISABLED',
] as const;
const savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
afterEach(() => {
  seen.length = 0;
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

function clearAwsEnv(): void {
  for (const k of ENV_KEYS) delete process.env[k];
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
}

/** The access key id and region in a SigV4 Authorization header. */
function credentialScope(headers: IncomingHttpHeaders): { keyId: string; region: string } {
  const m = /Credential=([^/]+)\/\d+\/([^/]+)\/glacier\/aws4_request/.exec(String(headers.authorization));
  return { keyId: m?.[1] ?? '', region: m?.[2] ?? '' };
}

describe('resource()', () => {
  it('wraps an injected client as it is (mockable), exposed as glacier.meta.client', async () => {
    const client = new GlacierClient({ region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    const mock = mockClient(client);
    mock.on(DescribeVaultCommand).resolves({ VaultName: 'mocked', NumberOfArchives: 1 });
    const glacier = resource({ client });
    expect(glacier).toBeInstanceOf(ServiceResource);
    expect(glacier.meta.client).toBe(client);
    expect(new ServiceResource(client).meta.client).toBe(client);
    const vault = await glacier.Vault('-', 'mocked').load();
    expect(vault.numberOfArchives).toBe(1);
    expect(() => resource({ client, region: 'us-east-1' })).toThrow(/either client or region/);
    mock.restore();
  });

  it('builds a client from region, endpoint, credentials and maxAttempts', async () => {
    clearAwsEnv();
    const glacier = resource({
      region: 'eu-west-1',
      endpoint,
      maxAttempts: 2,
      credentials: { accessKeyId: 'AKIDOPTION', secretAccessKey: 'secret' },
    });
    expect(await glacier.meta.client.config.region()).toBe('eu-west-1');
    expect(await glacier.meta.client.config.maxAttempts()).toBe(2);
    const vaults = await glacier.vaults.toArray();
    expect(vaults.map((v) => [v.name, v.numberOfArchives])).toEqual([['from-server', 7]]);
    expect(seen[0]?.url).toBe('/-/vaults');
    expect(seen[0]?.headers['x-amz-glacier-version']).toBe('2012-06-01');
    expect(credentialScope(seen[0]?.headers ?? {})).toEqual({ keyId: 'AKIDOPTION', region: 'eu-west-1' });
    glacier.meta.client.destroy();
  });

  it('follows AWS_REGION, AWS_ENDPOINT_URL_GLACIER and the default credential chain when options are left out', async () => {
    clearAwsEnv();
    process.env.AWS_REGION = 'ap-northeast-1';
    process.env.AWS_ENDPOINT_URL_GLACIER = endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const glacier = resource();
    const [vault] = await glacier.vaults.toArray();
    expect(vault?.name).toBe('from-server');
    expect(credentialScope(seen[0]?.headers ?? {})).toEqual({ keyId: 'AKIDFROMENV', region: 'ap-northeast-1' });
    glacier.meta.client.destroy();
  });

  it("uses a profile's credentials (fromIni) and region", async () => {
    clearAwsEnv();
    const dir = mkdtempSync(join(tmpdir(), 'glacier-profile-'));
    try {
      writeFileSync(join(dir, 'credentials'), '[p1]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n');
      writeFileSync(join(dir, 'config'), '[profile p1]\nregion = ap-south-1\n');
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
      process.env.AWS_CONFIG_FILE = join(dir, 'config');
      process.env.AWS_ACCESS_KEY_ID = 'AKIDNOTTHISONE';
      process.env.AWS_SECRET_ACCESS_KEY = 'secret';
      const glacier = resource({ profile: 'p1', endpoint });
      await glacier.vaults.toArray();
      expect(credentialScope(seen[0]?.headers ?? {})).toEqual({ keyId: 'AKIDPROFILE', region: 'ap-south-1' });
      glacier.meta.client.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad options before making a client', () => {
    expect(() => resource({ region: 'US East' })).toThrow(ValidationError);
    expect(() => resource({ endpoint: 'ftp://example.com' })).toThrow(/http:\/\/ or https:\/\//);
    expect(() => resource({ maxAttempts: 0 })).toThrow(/positive integer/);
    expect(() => resource({ profile: '' })).toThrow(ValidationError);
    expect(() => resource({ regoin: 'us-east-1' } as object)).toThrow(/no option 'regoin'/);
    expect(() => createGlacierClient({ client: {} } as object)).toThrow(/no option 'client'/);
    expect(() => resource({ client: {} as GlacierClient })).toThrow(/GlacierClient/);
  });
});
