/**
 * Test helper: a fresh in-memory local Glacier endpoint and a real
 * `@aws-sdk/client-glacier` client pointed at it, over loopback HTTP.
 */
import { GlacierClient, type GlacierClientConfig } from '@aws-sdk/client-glacier';
import { startLocalGlacier, type LocalGlacier, type LocalGlacierOptions } from '../../src/local/index.js';

/** The endpoint's default credentials. */
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

export interface TestEndpoint {
  /** The running endpoint (its clock, fault settings, and close). */
  readonly server: LocalGlacier;
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  /** A real SDK client for the endpoint. */
  readonly client: GlacierClient;
  /** Makes another client for the endpoint, with config overrides. */
  newClient(overrides?: Partial<GlacierClientConfig>): GlacierClient;
  /** Destroys the clients made here and stops the endpoint. */
  close(): Promise<void>;
}

export async function startTestEndpoint(options: LocalGlacierOptions = {}): Promise<TestEndpoint> {
  const server = await startLocalGlacier({ inMemory: true, jobDelay: 0, ...options });
  const clients: GlacierClient[] = [];
  const newClient = (overrides: Partial<GlacierClientConfig> = {}) => {
    const c = new GlacierClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: TEST_CREDENTIALS, ...overrides });
    clients.push(c);
    return c;
  };
  const client = newClient();
  return {
    server,
    endpoint: server.endpoint,
    client,
    newClient,
    async close() {
      for (const c of clients) c.destroy();
      await server.close();
    },
  };
}
