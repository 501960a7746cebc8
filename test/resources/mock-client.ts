/**
 * Test helper: a real GlacierClient whose `send` is replaced by
 * aws-sdk-client-mock, for the paths the local endpoint cannot produce.
 */
import { GlacierClient } from '@aws-sdk/client-glacier';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

export interface MockedGlacier {
  readonly client: GlacierClient;
  readonly mock: AwsClientStub<GlacierClient>;
}

export function mockedGlacier(): MockedGlacier {
  const client = new GlacierClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  return { client, mock: mockClient(client) };
}

/** A service error shaped as the SDK parses one (name, $fault, $metadata). */
export function serviceError<E extends Error>(
  ErrorClass: new (opts: { message: string; $metadata: object }) => E,
  message: string,
  httpStatusCode = 400,
): E {
  return new ErrorClass({ message, $metadata: { httpStatusCode } });
}
