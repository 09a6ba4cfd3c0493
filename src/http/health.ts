/**
 * Liveness and readiness for orchestrators. /healthz says the process answers (restart it if
 * not); /readyz says it should get traffic: rules loaded, not shutting down, and every pluggable
 * check passing (a store adds its own, e.g. "the database answers"). Bodies name checks only.
 */
import { Router } from 'express';
import type { KnowledgeBase } from '../knowledge/load.js';
import type { Logger } from '../log.js';

export interface ReadinessCheck {
  name: string;
  /** Resolves when ready; throws (or resolves false) when not. */
  check: () => Promise<boolean | void> | boolean | void;
}

export interface HealthOptions {
  knowledge: () => KnowledgeBase;
  /** True when at least one service has its rules loaded. */
  rulesLoaded: () => boolean;
  checks: readonly ReadinessCheck[];
  /** True once shutdown has begun: the load balancer should stop sending traffic. */
  draining: () => boolean;
  /** False when a complete hook call would be shed now (every in-flight slot taken): not ready, truthfully. */
  hasRoom?: () => boolean;
  logger: Logger;
  timeoutMs?: number;
}

async function passes(check: ReadinessCheck, timeoutMs: number): Promise<true | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    const answer = await Promise.race([
      Promise.resolve()
        .then(() => check.check())
        .then((ok) => (ok === false ? 'not ready' : (true as const))),
      timeout,
    ]);
    return answer;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(options: HealthOptions): Router {
  const timeoutMs = options.timeoutMs ?? 1000;
  const builtIn: ReadinessCheck[] = [
    { name: 'accepting', check: () => !options.draining() },
    { name: 'rules', check: () => options.rulesLoaded() },
    ...(options.hasRoom ? [{ name: 'capacity', check: options.hasRoom }] : []),
  ];
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok', rules: options.knowledge().version });
  });
  router.get('/readyz', async (_req, res) => {
    const all = [...builtIn, ...options.checks];
    const results = await Promise.all(all.map(async (c) => [c.name, await passes(c, timeoutMs)] as const));
    const failed = results.filter(([, r]) => r !== true);
    for (const [name, reason] of failed) options.logger.warn('not ready', { check: name, reason });
    res
      .status(failed.length ? 503 : 200)
      .set('Cache-Control', 'no-store')
      .json({
        status: failed.length ? 'not-ready' : 'ready',
        checks: Object.fromEntries(results.map(([name, r]) => [name, r === true ? 'ok' : 'failed'])),
      });
  });
  return router;
}
