/**
 * Forward-only schema migrations, run at start-up by every replica. Safe to run twice and safe to
 * run concurrently: the whole run holds a PostgreSQL advisory lock inside one transaction, so one
 * replica migrates while the others wait and then find nothing left to do. PGlite runs one
 * transaction at a time anyway, and accepts the same lock call.
 */
import type { Database } from './database.js';

export interface Migration {
  /** 1, 2, 3…: applied in order, recorded in schema_migrations, never edited once released. */
  id: number;
  name: string;
  /** One SQL statement each (PGlite's query runs one at a time). */
  statements: readonly string[];
}

export interface MigrationReport {
  applied: number[];
  /** Ids recorded by a newer version of this service; left alone so a rolling update works. */
  unknown: number[];
}

/** Any constant shared by every replica; "bpcds" in ASCII. */
const LOCK_KEY = 0x6270636473;

export function checkMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.id !== i + 1) throw new Error(`migration "${m.name}" has id ${m.id}; ids must be 1, 2, 3… in order`);
  });
}

export async function migrate(db: Database, migrations: readonly Migration[]): Promise<MigrationReport> {
  checkMigrations(migrations);
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations
         (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set((await tx.query<{ id: number }>('SELECT id FROM schema_migrations')).map((r) => Number(r.id)));
    const applied: number[] = [];
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      for (const statement of m.statements) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      applied.push(m.id);
    }
    const known = new Set(migrations.map((m) => m.id));
    return { applied, unknown: [...done].filter((id) => !known.has(id)).sort((a, b) => a - b) };
  });
}
