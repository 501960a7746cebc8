/**
 * A fresh PostgreSQL database of the run's test cluster (see
 * test/services/global-setup.ts) for each test that needs one, so that
 * tests never see each other's ledgers.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** Creates an empty database and returns its connection string. */
export async function freshDatabase(): Promise<string> {
  const admin = inject('postgresUrl');
  const name = `ledger_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client(admin);
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return url.toString();
}
