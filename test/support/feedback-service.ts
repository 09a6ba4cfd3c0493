/** Starts the real service with the feedback loop wired as main.ts wires it, on a test store. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/database.js';
import { startFeedback, type Feedback, type FeedbackOptions } from '../../src/feedback/index.js';
import { createApp } from '../../src/http/app.js';
import type { KnowledgeBase } from '../../src/knowledge/load.js';
import { createLogger } from '../../src/log.js';
import { knowledge, TEST_ENV } from './harness.js';
import type { TestStore } from './stores.js';

export interface FeedbackService {
  url: string;
  /** Every log line, from every start that shared this array. */
  logs: string[];
  feedback: Feedback;
  setNow(now: Date): void;
  close(): Promise<void>;
}

export interface FeedbackServiceOptions {
  env?: Record<string, string>;
  /** Use this database instead of opening the store's (e.g. a fault-injecting wrapper). */
  db?: Database;
  cardLog?: FeedbackOptions['cardLog'];
  /** Share one log across restarts. */
  logs?: string[];
  /** The rule and card files to serve (default: the project's own). */
  knowledge?: () => KnowledgeBase;
}

export async function startFeedbackService(store: TestStore, options: FeedbackServiceOptions = {}): Promise<FeedbackService> {
  const logs = options.logs ?? [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger('info', sink);
  // Hook calls in these tests fetch from the real FHIR server on a loopback port.
  const config = loadConfig({ ...TEST_ENV, ...store.env, ...options.env });
  const feedback = await startFeedback({
    config,
    logger,
    knowledge: options.knowledge ?? (() => knowledge),
    ...(options.db ? { db: options.db } : {}),
    ...(options.cardLog ? { cardLog: options.cardLog } : {}),
  });
  let now = new Date('2026-11-23T10:00:00Z');
  const app = createApp({
    config,
    knowledge: options.knowledge ?? (() => knowledge),
    logger,
    now: () => now,
    onCards: feedback.onCards,
    cardLogAccepts: (cards) => feedback.cardLogAccepts(cards),
    routes: feedback.routes,
    adminRoutes: feedback.adminRoutes,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logs,
    feedback,
    setNow: (n) => {
      now = n;
    },
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await feedback.close();
    },
  };
}
