/** The HTTP server the service runs on, with the timeouts a server behind a load balancer needs. */
import type { Server } from 'node:http';
import type { Express } from 'express';

/**
 * Load balancers keep idle upstream connections open for 60 s (nginx's upstream keepalive, AWS
 * ALB, ingress-nginx). Node closes an idle one after 5 s, so a balancer can send a request down a
 * connection at the moment it is closed, and the EHR gets a 502. The server must outwait them.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    // Headers of a request on a kept connection must be allowed to arrive after the keep-alive wait.
    server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  });
}
