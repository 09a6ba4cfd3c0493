import express from 'express';
import inject from 'light-my-request';
import { routeName } from '../../src/http/route-name.js';

/** An app that answers with the name its request would be logged and counted under, once the response is over. */
function app(): express.Express {
  const a = express();
  const named: string[] = [];
  a.use((req, res, next) => {
    res.once('finish', () => named.push(routeName(req)));
    next();
  });
  a.use('/cds-services', (req, _res, next) => next(req.get('x-refuse') ? new Error('refused') : undefined));
  a.post('/cds-services/:id', (_req, res) => void res.send('ok'));
  const router = express.Router();
  router.get('/scenarios/:id', (_req, res) => void res.send('ok'));
  a.use('/preview', router);
  a.get('/names', (_req, res) => void res.json(named));
  a.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(401).send('no'));
  return a;
}

test('a request goes by its route pattern in logs and metrics, never by the path as typed', async () => {
  const a = app();
  await inject(a, { method: 'POST', url: '/cds-services/back-pain-imaging-select?x=1' });
  // Refused by a guard before its route matched: still its pattern, not the service id typed.
  await inject(a, { method: 'POST', url: '/cds-services/anything-typed', headers: { 'x-refuse': '1' } });
  await inject(a, { method: 'GET', url: '/preview/scenarios/patient-123' });
  await inject(a, { method: 'GET', url: '/no/such/patient-123' });
  const names = (await inject(a, { method: 'GET', url: '/names' })).json<string[]>();
  expect(names).toEqual(['/cds-services/:id', '/cds-services/:id', '/preview/scenarios/:id', 'other']);
});
