/**
 * Graceful shutdown on SIGTERM: stop taking traffic (readiness fails, new requests get 503 with
 * Connection: close, on new connections too while the listener lingers), let the requests in flight
 * finish, then close the listener.
 * Past the timeout, remaining connections are cut so the process always exits.
 */
import type { Server } from 'node:http';
import type { Logger } from '../log.js';

export interface ShutdownOptions {
  server: Server;
  /** Turns readiness off and sheds new requests. */
  drain: () => void;
  inFlight: () => number;
  timeoutMs: number;
  /** Overrides DRAIN_LINGER_MS (tests). */
  lingerMs?: number;
  logger: Logger;
}

/**
 * How long the listener stays open after draining starts, even with nothing in flight: a request
 * racing the shutdown then gets a 503 with Connection: close that the EHR can act on, instead of a
 * refused or reset connection.
 */
export const DRAIN_LINGER_MS = 1000;

/** Resolves once the server is closed: every in-flight request answered, or the timeout cut them. */
export function shutDown(options: ShutdownOptions): Promise<void> {
  const { server, logger } = options;
  options.drain();
  logger.info('shutting down', { inFlight: options.inFlight(), timeoutMs: options.timeoutMs });
  const started = Date.now();
  const linger = Math.min(options.lingerMs ?? DRAIN_LINGER_MS, options.timeoutMs);
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      logger.warn('shutdown timeout: closing the remaining connections', { inFlight: options.inFlight() });
      server.closeAllConnections();
    }, options.timeoutMs);
    // While requests are in flight (and for the linger), keep accepting: newcomers get 503 and the
    // connection is closed after each answer (the drain sets Connection: close).
    const waiting = setInterval(() => {
      const elapsed = Date.now() - started;
      if (elapsed < linger || (options.inFlight() > 0 && elapsed < options.timeoutMs)) return;
      clearInterval(waiting);
      // Keep-alive connections that finish their last request become idle; close them as they do.
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      server.close(() => {
        clearInterval(idle);
        clearTimeout(force);
        logger.info('shut down', { inFlight: options.inFlight() });
        resolve();
      });
      server.closeIdleConnections();
    }, 20);
  });
}
