/**
 * vitest's global set-up: one PostgreSQL cluster and one S3 server for the
 * whole run (the export's tests need both), unless GLACIER_TEST_POSTGRES_URL
 * and GLACIER_TEST_S3_ENDPOINT already name servers to use. Test files read
 * them with `inject('postgresUrl')` and `inject('s3Endpoint')`.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, type TestPostgres } from './postgres.js';
import { startS3, type TestS3 } from './s3.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    s3Endpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let pg: TestPostgres | undefined;
  let s3: TestS3 | undefined;
  const pgUrl = process.env['GLACIER_TEST_POSTGRES_URL'] ?? (pg = await startPostgres()).url;
  const s3Endpoint = process.env['GLACIER_TEST_S3_ENDPOINT'] ?? (s3 = await startS3()).endpoint;
  project.provide('postgresUrl', pgUrl);
  project.provide('s3Endpoint', s3Endpoint);
  return async () => {
    pg?.stop();
    await s3?.stop();
  };
}
