import { Agent, createServer, request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { afterResponse } from '../../src/http/after-response.js';
import { chain } from '../../src/http/chain.js';
import { listen } from '../../src/http/listen.js';
import { headersOf } from '../../src/http/security-headers.js';
import { eventually } from '../support/eventually.js';

async function serve(app: RequestListener): Promise<{ url: string; server: Server }> {
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('chain', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
  });

  const mark = (name: string) => (req: Request, _res: Response, next: NextFunction) => {
    (req as Request & { seen?: string[] }).seen = [...((req as Request & { seen?: string[] }).seen ?? []), name];
    next();
  };

  async function run(...handlers: express.RequestHandler[]): Promise<{ status: number; body: string }> {
    const app = express();
    app.use(chain(...handlers));
    app.use((req, res) => {
      res.json({ seen: (req as Request & { seen?: string[] }).seen ?? [] });
    });
    app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
      res.status(418).json({ error: err.message });
    });
    const started = await serve(app);
    servers.push(started.server);
    const res = await fetch(started.url);
    return { status: res.status, body: await res.text() };
  }

  test('runs the middlewares in order, then the rest of the app', async () => {
    expect(await run(mark('a'), mark('b'), mark('c'))).toEqual({ status: 200, body: '{"seen":["a","b","c"]}' });
  });

  test('an error passed to next skips the rest and reaches the error handler', async () => {
    const fail = (_req: Request, _res: Response, next: NextFunction) => next(new Error('refused'));
    expect(await run(mark('a'), fail, mark('c'))).toEqual({ status: 418, body: '{"error":"refused"}' });
  });

  test('a thrown error and a rejected promise do the same', async () => {
    const throws = () => {
      throw new Error('thrown');
    };
    const rejects = async () => {
      throw new Error('rejected');
    };
    expect(await run(mark('a'), throws, mark('c'))).toEqual({ status: 418, body: '{"error":"thrown"}' });
    expect(await run(mark('a'), rejects, mark('c'))).toEqual({ status: 418, body: '{"error":"rejected"}' });
  });

  test('an async middleware that calls next later continues the chain', async () => {
    const later = (_req: Request, _res: Response, next: NextFunction) => void setTimeout(next, 5);
    expect(await run(later, mark('b'))).toEqual({ status: 200, body: '{"seen":["b"]}' });
  });
});

describe('afterResponse', () => {
  test('every callback runs once, in order, after the response is sent; one that throws does not stop the rest', async () => {
    const calls: string[] = [];
    const warnings: unknown[][] = [];
    const emitWarning = process.emitWarning;
    process.emitWarning = ((...args: unknown[]) => void warnings.push(args)) as typeof process.emitWarning;
    const { url, server } = await serve((_req, res) => {
      afterResponse(res, () => calls.push(`first ${res.writableFinished}`));
      afterResponse(res, () => {
        throw new Error('broken callback');
      });
      afterResponse(res, () => calls.push('third'));
      res.end('ok');
    });
    try {
      expect(await (await fetch(url)).text()).toBe('ok');
      await eventually(() => calls.length === 2 && warnings.length === 1, 'the callbacks');
      expect(calls).toEqual(['first true', 'third']);
      expect(warnings).toEqual([['after-response callback failed: broken callback', 'AfterResponseWarning']]);
    } finally {
      process.emitWarning = emitWarning;
      server.closeAllConnections();
      server.close();
    }
  });

  test('a response cut off by the client still runs its callbacks, unfinished', async () => {
    const seen: boolean[] = [];
    let done: () => void = () => undefined;
    const ran = new Promise<void>((r) => (done = r));
    const { url, server } = await serve((_req, res) => {
      afterResponse(res, () => {
        seen.push(res.writableFinished);
        done();
      });
      res.write('partial');
    });
    try {
      const req = request(url);
      req.on('response', (res) => res.once('data', () => req.destroy()));
      req.on('error', () => undefined);
      req.end();
      await ran;
      expect(seen).toEqual([false]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('headersOf', () => {
  test('gives exactly the headers helmet sets on a response, with their values', () => {
    const headers = new Map(headersOf(helmet({ contentSecurityPolicy: false, crossOriginResourcePolicy: { policy: 'cross-origin' } })));
    expect(headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');
    expect(headers.get('Strict-Transport-Security')).toMatch(/^max-age=\d+/);
    expect(headers.has('Content-Security-Policy')).toBe(false);
  });

  test('refuses a middleware that does not call next at once, since it cannot be flattened', () => {
    expect(() => headersOf((_req, _res, next) => void setTimeout(next, 1))).toThrow(/did not call next\(\) synchronously/);
  });
});

describe('listen', () => {
  test('an idle kept-alive connection outlives load balancers’ 60 s idle wait, and a reused connection is answered', async () => {
    const app = express();
    app.get('/', (_req, res) => void res.send('ok'));
    const server = await listen(app, 0, '127.0.0.1');
    // Node closes idle connections on its own timer (keepAliveTimeout); waiting it out in a test only
    // proves Node keeps its word, so the test checks the setting and that the connection is reused.
    expect(server.keepAliveTimeout).toBeGreaterThan(60_000);
    expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (): Promise<{ body: string; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/', agent }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ body, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await get()).toEqual({ body: 'ok', reused: false });
      expect(await get()).toEqual({ body: 'ok', reused: true });
    } finally {
      agent.destroy();
      server.closeAllConnections();
      server.close();
    }
  });

  test('a port already in use is an error, not a server that never listens', async () => {
    const first = await listen(express(), 0, '127.0.0.1');
    try {
      await expect(listen(express(), (first.address() as AddressInfo).port, '127.0.0.1')).rejects.toThrow(/EADDRINUSE/);
    } finally {
      first.close();
    }
  });
});
