/**
 * The two real stores every feedback test runs on: PGlite in a fresh temporary directory, and the
 * PostgreSQL server named by TEST_DATABASE_URL (in a fresh schema per test file, dropped after).
 * .ci/run installs and starts that server; without TEST_DATABASE_URL locally, the PostgreSQL runs
 * are skipped with a note, and on CI they fail instead.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../../src/db/database.js';
import { openPglite } from '../../src/db/pglite.js';
import { openPostgres } from '../../src/db/postgres.js';

export type StoreKind = 'pglite' | 'postgres';

export const TEST_HMAC_SECRET = 'test-only-hmac-secret-0123456789abcdef';

export function storeKinds(): StoreKind[] {
  if (process.env.TEST_DATABASE_URL) return ['pglite', 'postgres'];
  if (process.env.CI) throw new Error('TEST_DATABASE_URL is not set: .ci/run must start PostgreSQL for the feedback tests');
  console.warn('TEST_DATABASE_URL is not set: the feedback tests run on PGlite only (see README, "Run every test")');
  return ['pglite'];
}

export interface TestStore {
  kind: StoreKind;
  /** Environment for loadConfig that points the service at this store. */
  env: Record<string, string>;
  /** A new connection (PGlite: the one instance; close it before opening again). */
  open(): Promise<Database>;
  /** The server's address, for tests that put a proxy in between (PostgreSQL only). */
  url?: string;
  /** The same store reached through another URL (e.g. a proxy), keeping the schema. */
  viaUrl?(host: string, port: number): string;
  cleanup(): Promise<void>;
}

function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export async function createTestStore(kind: StoreKind): Promise<TestStore> {
  if (kind === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'backpain-feedback-'));
    return {
      kind,
      env: { DATA_DIR: dir },
      open: () => openPglite(join(dir, 'pglite')),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const base = process.env.TEST_DATABASE_URL;
  if (!base) throw new Error('TEST_DATABASE_URL is not set');
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = withSearchPath(base, schema);
  return {
    kind,
    env: { DATABASE_URL: url, FEEDBACK_HMAC_SECRET: TEST_HMAC_SECRET },
    open: () => Promise.resolve(openPostgres(url)),
    url: base,
    viaUrl: (host, port) => {
      const u = new URL(url);
      u.hostname = host;
      u.port = String(port);
      return u.toString();
    },
    cleanup: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/** Every row of every table in the store, as JSON text: what a privacy scan reads. */
export async function dumpTables(db: Database): Promise<string> {
  const tables = await db.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await db.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "${table_name}" t`);
    parts.push(`-- ${table_name}`, ...rows.map((r) => r.row));
  }
  return parts.join('\n');
}
