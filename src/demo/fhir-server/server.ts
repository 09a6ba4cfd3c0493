import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Bundle } from 'fhir/r4.js';
import { createFhirApp } from './app.js';
import { loadBundles, type LoadSummary } from './load.js';

export interface FhirServerOptions {
  /** 0 picks a free port; the real one is in the result. */
  port: number;
  host?: string;
}

export interface RunningFhirServer {
  /** FHIR base, e.g. `http://127.0.0.1:8080/fhir`. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** Loads bundles in process (no HTTP), converted to PUT batches by toBatchBundle. */
  load(bundles: Iterable<Bundle> | AsyncIterable<Bundle>): Promise<LoadSummary>;
}

export async function startFhirServer({ port, host = '127.0.0.1' }: FhirServerOptions): Promise<RunningFhirServer> {
  const { app, repo, router } = createFhirApp();
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      // server.close() alone waits for idle keep-alive sockets (e.g. fetch's pool) to time out.
      server.closeAllConnections();
    });
    return closing;
  };

  return {
    url: `http://${urlHost(host)}:${actualPort}/fhir`,
    port: actualPort,
    close,
    load: (bundles) => loadBundles({ router, repo }, bundles),
  };
}

/** A wildcard bind address is not something a client can connect to; IPv6 literals need brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') {
    return '127.0.0.1';
  }
  if (host === '::') {
    return '[::1]';
  }
  return host.includes(':') ? `[${host}]` : host;
}
