/** A throw-away schema in a PostgreSQL database, so a check or a benchmark starts empty and leaves nothing behind. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TemporarySchema {
  name: string;
  /** The database URL with this schema first on the search path. */
  url: string;
  drop(): Promise<void>;
}

async function run(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function temporarySchema(databaseUrl: string, prefix: string): Promise<TemporarySchema> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await run(databaseUrl, `CREATE SCHEMA ${name}`);
  const u = new URL(databaseUrl);
  u.searchParams.set('options', `-c search_path=${name}`);
  return { name, url: u.toString(), drop: () => run(databaseUrl, `DROP SCHEMA IF EXISTS ${name} CASCADE`) };
}
