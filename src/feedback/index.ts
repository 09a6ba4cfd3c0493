/**
 * The feedback loop, wired: the store (PGlite under DATA_DIR, or PostgreSQL at DATABASE_URL),
 * its migrations, the card log fed by the service call, the feedback endpoint and the analytics
 * pages. main.ts starts it; tests start it the same way.
 */
import { join, resolve } from 'node:path';
import express from 'express';
import { ConfigError, type Config } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { MIGRATIONS } from '../db/migrations.js';
import { SERVICES, type ServiceDefinition } from '../hooks/services.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import type { Logger } from '../log.js';
import { analyticsRouter } from './analytics-route.js';
import { CardLog, type CardLogOptions, type OnCards } from './card-log.js';
import { feedbackHandler } from './feedback-route.js';
import { hookInstanceHasher, secretFromFile } from './hook-instance-hash.js';
import { purgeBefore, writeCards } from './store.js';
import { metrics } from '../metrics.js';

export type FeedbackConfig = Pick<
  Config,
  'DATABASE_URL' | 'DATA_DIR' | 'FEEDBACK_STORE_COMMENTS' | 'FEEDBACK_HMAC_SECRET' | 'FEEDBACK_RETENTION_DAYS'
>;

export interface FeedbackOptions {
  config: FeedbackConfig;
  logger: Logger;
  knowledge: () => KnowledgeBase;
  services?: readonly ServiceDefinition[];
  /** An open database to use instead of the configured one (tests); the caller closes it. */
  db?: Database;
  /** Queue tuning for tests. */
  cardLog?: Pick<CardLogOptions, 'capacity' | 'batchSize' | 'flushDelayMs' | 'retryDelayMs' | 'maxRetryDelayMs' | 'clock'>;
  /** Analytics' "today". */
  now?: () => Date;
}

export interface Feedback {
  db: Database;
  cardLog: CardLog;
  /** For createApp: records every card response. */
  onCards: OnCards;
  /** For createApp: whether the card log can record this many more cards now (back-pressure). */
  cardLogAccepts: (cards: number) => boolean;
  /** For createApp: POST /cds-services/{id}/feedback (EHR-facing). */
  routes: express.Router;
  /** For createApp's operational routes: GET /analytics, /analytics.json, /analytics.csv (the admin listener in production). */
  adminRoutes: express.Router;
  /** Where the data lives, for the start-up banner (no password). */
  location: string;
  /** Writes what the card log still holds, then closes the database (if opened here). */
  close: () => Promise<void>;
}

const MIGRATE_RETRY_MS = 10_000;
const PURGE_EVERY_MS = 86_400_000;

function hmacSecret(config: FeedbackConfig): string {
  if (config.FEEDBACK_HMAC_SECRET) return config.FEEDBACK_HMAC_SECRET;
  if (config.DATABASE_URL) {
    throw new ConfigError(
      'Invalid configuration:\n  FEEDBACK_HMAC_SECRET: is required with DATABASE_URL ' +
        '(at least 32 characters; every replica must use the same one)',
    );
  }
  return secretFromFile(join(resolve(config.DATA_DIR), 'hook-instance-hmac.key'));
}

function describe(config: FeedbackConfig): string {
  if (!config.DATABASE_URL) return `PGlite in ${join(resolve(config.DATA_DIR), 'pglite')}`;
  const url = new URL(config.DATABASE_URL);
  return `PostgreSQL at ${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

export async function startFeedback(options: FeedbackOptions): Promise<Feedback> {
  const { config, logger } = options;
  const services = options.services ?? SERVICES;
  const hash = hookInstanceHasher(hmacSecret(config));
  const db =
    options.db ??
    (await openDatabase({
      ...(config.DATABASE_URL ? { url: config.DATABASE_URL } : {}),
      pgliteDir: join(resolve(config.DATA_DIR), 'pglite'),
    }));
  const timers: NodeJS.Timeout[] = [];

  const purge = async (): Promise<void> => {
    if (config.FEEDBACK_RETENTION_DAYS === 0) return;
    const cutoff = new Date(Date.now() - config.FEEDBACK_RETENTION_DAYS * PURGE_EVERY_MS);
    try {
      const deleted = await purgeBefore(db, cutoff);
      if (deleted.cards || deleted.feedback)
        logger.info('feedback store: old records deleted', { before: cutoff.toISOString(), ...deleted });
    } catch (err) {
      metrics.storeErrors.inc({ store: 'feedback', operation: 'purge' });
      logger.error('feedback store: retention purge failed', { error: (err as Error).name, message: (err as Error).message });
    }
  };

  // A store that is down at start-up must not stop the hooks: they answer while migration retries.
  const migrateNow = async (): Promise<boolean> => {
    try {
      const report = await migrate(db, MIGRATIONS);
      if (report.applied.length) logger.info('feedback store: migrations applied', { applied: report.applied });
      if (report.unknown.length)
        logger.warn('feedback store: the database has migrations from a newer version', { unknown: report.unknown });
      return true;
    } catch (err) {
      metrics.storeErrors.inc({ store: 'feedback', operation: 'migrate' });
      logger.error('feedback store: migration failed, will retry', {
        error: (err as Error).name,
        message: (err as Error).message,
        retryInMs: MIGRATE_RETRY_MS,
      });
      return false;
    }
  };
  const afterMigration = (): void => {
    void purge();
    const t = setInterval(() => void purge(), PURGE_EVERY_MS);
    t.unref();
    timers.push(t);
  };
  if (await migrateNow()) afterMigration();
  else {
    const retry = setInterval(() => {
      void migrateNow().then((ok) => {
        if (!ok) return;
        clearInterval(retry);
        afterMigration();
      });
    }, MIGRATE_RETRY_MS);
    retry.unref();
    timers.push(retry);
  }

  const cardLog = new CardLog({ write: (rows) => writeCards(db, rows), hashHookInstance: hash, logger, ...options.cardLog });
  const routes = express.Router();
  routes.post(
    '/cds-services/:id/feedback',
    feedbackHandler({ db, isService: (id) => services.some((s) => s.id === id), storeComments: config.FEEDBACK_STORE_COMMENTS, logger }),
  );
  const adminRoutes = analyticsRouter({ db, knowledge: options.knowledge, services, logger, ...(options.now ? { now: options.now } : {}) });

  return {
    db,
    cardLog,
    onCards: cardLog.record,
    cardLogAccepts: cardLog.accepts,
    routes,
    adminRoutes,
    location: describe(config),
    async close() {
      for (const t of timers) clearInterval(t);
      await cardLog.close();
      if (!options.db) await db.close();
    },
  };
}
