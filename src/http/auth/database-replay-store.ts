/**
 * Used JWT ids in the service's database (PostgreSQL, or PGlite for one process), so that a token
 * replayed to another replica is refused too: one row per (iss, jti), claimed with an INSERT that
 * does nothing on conflict. The primary key makes the claim atomic across replicas; no lock, one
 * round trip. A row whose token has expired may be claimed again (the token itself is refused as
 * expired by then), and expired rows are deleted at most once a minute, off the request path.
 * The table is migration 3 in src/db/migrations.ts. A database error fails the claim, and the
 * caller answers 503 (src/http/auth/middleware.ts): replay protection is never silently off.
 */
import type { Queryable } from '../../db/database.js';
import { metrics } from '../../metrics.js';
import type { ReplayStore } from './replay-store.js';

const PURGE_EVERY_MS = 60_000;

export class DatabaseReplayStore implements ReplayStore {
  private nextPurge = 0;
  private purging: Promise<void> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly clock: () => number = Date.now,
  ) {}

  async claim(jti: string, iss: string, expiresAt: Date): Promise<boolean> {
    const now = new Date(this.clock());
    this.purgeWhenDue(now);
    const rows = await this.db.query(
      `INSERT INTO jwt_replay (iss, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (iss, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE jwt_replay.expires_at <= $4
       RETURNING 1 AS claimed`,
      [iss, jti, expiresAt.toISOString(), now.toISOString()],
    );
    return rows.length === 1;
  }

  /** Deletes the rows of tokens that have expired; resolves with how many. */
  async purge(now = new Date(this.clock())): Promise<number> {
    const rows = await this.db.query<{ deleted: number }>(
      'WITH gone AS (DELETE FROM jwt_replay WHERE expires_at <= $1 RETURNING 1) SELECT count(*)::int AS deleted FROM gone',
      [now.toISOString()],
    );
    return Number(rows[0]?.deleted ?? 0);
  }

  /** Waits for a purge in progress (tests, shutdown). */
  async settled(): Promise<void> {
    await this.purging;
  }

  private purgeWhenDue(now: Date): void {
    if (now.getTime() < this.nextPurge || this.purging) return;
    this.nextPurge = now.getTime() + PURGE_EVERY_MS;
    this.purging = this.purge(now)
      .then(() => undefined)
      .catch(() => {
        metrics.storeErrors.inc({ store: 'replay', operation: 'purge' });
      })
      .finally(() => {
        this.purging = undefined;
      });
  }
}
