/**
 * The one way code in this project talks to its database: embedded PGlite (on disk, the default)
 * or a real PostgreSQL server (`DATABASE_URL`). Both speak the same SQL, so modules write plain
 * PostgreSQL with $1… parameters and never ask which one they have.
 *
 * To reuse it (e.g. another store): take the `Database` that main.ts opens, add your tables as a
 * new entry at the end of `src/db/migrations.ts`, and use `query` and `transaction`.
 * Cast counts and sums in SQL (`count(*)::int`): pg returns int8 as a string, PGlite as a number.
 */
import type { Database } from './types.js';

export type { Database, Queryable, Row } from './types.js';

export interface DatabaseLocation {
  /** postgres://… : a PostgreSQL server. Absent: PGlite in `pgliteDir`. */
  url?: string;
  pgliteDir: string;
}

export async function openDatabase(where: DatabaseLocation): Promise<Database> {
  if (where.url) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(where.url);
  }
  const { openPglite } = await import('./pglite.js');
  return openPglite(where.pgliteDir);
}
