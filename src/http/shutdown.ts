/**
 * Graceful shutdown on SIGTERM: stop taking traffic (readiness fails, new requests on open
 * connections get 503 with Connection: close), let the requests in flight finish, then close.
 * Past the timeout, remaining connections are cut so the process always exits.
 */
import type { Server } from 'node:http';
import type { Logger } from '../log.js';

export interface ShutdownOptions {
  server: Server;
  /** Turns readiness off and sheds new requests. */
  drain(): void;
  inFlight(): number;
  timeoutMs: number;
  logger: Logger;
}

/** Resolves once the server is closed: every in-flight request answered, or the timeout cut them. */
export function shutDown(options: ShutdownOptions): Promise<void> {
  const { server, logger } = options;
  options.drain();
  logger.info('shutting down', { inFlight: options.inFlight(), timeoutMs: options.timeoutMs });
  return new Promise<void>((resolve) => {
    // Keep-alive connections that finish their last request become idle; close them as they do.
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const force = setTimeout(() => {
      logger.warn('shutdown timeout: closing the remaining connections', { inFlight: options.inFlight() });
      server.closeAllConnections();
    }, options.timeoutMs);
    server.close(() => {
      clearInterval(idle);
      clearTimeout(force);
      logger.info('shut down', { inFlight: options.inFlight() });
      resolve();
    });
    server.closeIdleConnections();
  });
}
