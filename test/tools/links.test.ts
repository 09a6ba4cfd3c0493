/**
 * `backpain-cds links`: the checking logic against a real HTTP server on 127.0.0.1 (the publishers'
 * sites are not reachable from CI), and the offline path, which must say it skipped the check.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../src/cli/program.js';
import { checkLink, checkLinks, networkFor, recordChecked } from '../../src/knowledge/link-check.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { LinksFileSchema } from '../../src/knowledge/schemas.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { captureIo } from '../support/cli.js';

let server: Server;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    switch (req.url) {
      case '/ok':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<p>ok</p>');
        return;
      case '/gone':
        res.writeHead(404).end();
        return;
      case '/no-head':
        res.writeHead(req.method === 'HEAD' ? 405 : 200).end();
        return;
      case '/old':
        res.writeHead(301, { location: '/ok' }).end();
        return;
      case '/slow':
        return; // never answers
      default:
        res.writeHead(500).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const options = { timeoutMs: 5000 };

test('a page that answers 200 to HEAD is ok, and only HEAD was sent', async () => {
  seen.length = 0;
  expect(await checkLink(`${base}/ok`, options)).toEqual({
    url: `${base}/ok`,
    outcome: 'ok',
    status: 200,
    method: 'HEAD',
    message: 'HTTP 200',
  });
  expect(seen).toEqual(['HEAD /ok']);
});

test('a 404 is broken', async () => {
  expect(await checkLink(`${base}/gone`, options)).toMatchObject({ outcome: 'broken', status: 404, message: 'HTTP 404' });
});

test('a server that refuses HEAD (405) is asked again with GET', async () => {
  seen.length = 0;
  expect(await checkLink(`${base}/no-head`, options)).toMatchObject({ outcome: 'ok', status: 200, method: 'GET' });
  expect(seen).toEqual(['HEAD /no-head', 'GET /no-head']);
});

test('a redirect is followed and reported as moved, naming where it ended', async () => {
  expect(await checkLink(`${base}/old`, options)).toMatchObject({ outcome: 'moved', status: 200, finalUrl: `${base}/ok` });
});

test('a page that never answers is broken after the timeout, not waited on for ever', async () => {
  const result = await checkLink(`${base}/slow`, { timeoutMs: 300 });
  expect(result).toMatchObject({ outcome: 'broken', message: 'no answer within 300 ms' });
  expect(result.status).toBeUndefined();
});

test('a refused connection is broken, with the reason', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  expect(await checkLink(`http://127.0.0.1:${port}/`, options)).toMatchObject({ outcome: 'broken', message: 'ECONNREFUSED' });
});

test('checkLinks checks every address and keeps their order', async () => {
  const results = await checkLinks([`${base}/gone`, `${base}/ok`], options);
  expect(results.map((r) => [r.outcome, r.status])).toEqual([
    ['broken', 404],
    ['ok', 200],
  ]);
});

test('networkFor: a name that resolves means network; .invalid names never resolve (RFC 6761)', async () => {
  expect(await networkFor(['localhost'], 2000)).toEqual({ available: true });
  const none = await networkFor(['a.invalid', 'b.invalid'], 2000);
  expect(none.available).toBe(false);
  expect(none.available ? '' : none.reason).toMatch(/^could not resolve a\.invalid: \S+; b\.invalid: \S+$/);
});

test('without network the CLI says the check was skipped, and exits 0', async () => {
  const io = captureIo();
  const code = await runCli(['links', '--probe', 'no-network.invalid'], io);
  expect(code).toBe(0);
  expect(io.stdout()).toMatch(
    /^Link check skipped: no network \(could not resolve no-network\.invalid: \S+\)\. \d+ links are listed in cards\/links\.json/,
  );
  expect(io.stdout()).toContain('run `backpain-cds links` where there is network');
});

test('--json without network says skipped', async () => {
  const io = captureIo();
  expect(await runCli(['links', '--probe', 'no-network.invalid', '--json'], io)).toBe(0);
  expect(JSON.parse(io.stdout())).toMatchObject({ skipped: true, reason: expect.stringContaining('no-network.invalid') });
});

test('--record writes lastChecked for the pages that answered and keeps the file valid, one link per line', () => {
  const kb = loadKnowledge({ rulesDir, cardsDir });
  const first = kb.links.links[0];
  if (!first) throw new Error('no links');
  const text = recordChecked(kb.links, new Set([first.url]), '2026-12-03');
  const parsed = LinksFileSchema.parse(JSON.parse(text));
  expect(parsed.links[0]?.lastChecked).toBe('2026-12-03');
  expect(parsed.links.slice(1)).toEqual(kb.links.links.slice(1));
  expect(text.split('\n').filter((l) => l.trimStart().startsWith('{ "url"'))).toHaveLength(kb.links.links.length);
});
