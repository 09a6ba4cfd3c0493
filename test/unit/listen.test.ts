import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { listen } from '../../src/http/listen.js';

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
