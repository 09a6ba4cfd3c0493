/**
 * A plain HTTP listener on loopback for what a real FHIR server will not do on demand: answer
 * slowly, count requests and how many were open at once. Every pending answer is cancelled on close.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubServer {
  url: string;
  hits: number;
  open: number;
  maxOpen: number;
  delayMs: number;
  close(): Promise<void>;
}

export type StubHandler = (req: IncomingMessage, res: ServerResponse) => void;

const emptyBundle: StubHandler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/fhir+json' }).end('{"resourceType":"Bundle","type":"searchset","entry":[]}');
};

export async function startStubServer(handler: StubHandler = emptyBundle, delayMs = 0): Promise<StubServer> {
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    stub.hits++;
    stub.open++;
    stub.maxOpen = Math.max(stub.maxOpen, stub.open);
    res.once('close', () => stub.open--);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) handler(req, res);
    }, stub.delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stub: StubServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: 0,
    open: 0,
    maxOpen: 0,
    delayMs,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return stub;
}
