/** Embedded PostgreSQL (PGlite, WebAssembly) on disk: the default store, no server to run. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, Row } from './database.js';

function queryable(db: Pick<PGlite, 'query'>): Queryable {
  return {
    async query<T extends Row>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await db.query<T>(sql, [...params])).rows;
    },
  };
}

/** Opens (and on first use creates, which takes a few seconds) the PGlite data directory. */
export async function openPglite(dataDir: string): Promise<Database> {
  mkdirSync(dirname(dataDir), { recursive: true });
  const db = await PGlite.create(dataDir);
  return {
    kind: 'pglite',
    ...queryable(db),
    // PGlite runs one statement at a time and queues the rest, so a transaction is exclusive.
    transaction: (fn) => db.transaction((tx) => fn(queryable(tx))),
    close: async () => {
      if (!db.closed) await db.close();
    },
  };
}
