/**
 * The FHIR reader's HTTP GET against a real local server: keep-alive reuse, the retry when a pooled
 * connection was closed by the server, compressed answers, the size cap, and the deadline.
 */
import { createServer, type Server } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { httpGet, TooLargeError, UnknownEncodingError } from '../../src/context/http-get.js';

let server: Server;
let base: string;
/** Requests seen on each connection, and whether the server drops any request that comes on a reused connection. */
const perSocket = new WeakMap<object, number>();
let dropReused = false;
let sockets = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const seen = (perSocket.get(req.socket) ?? 0) + 1;
    perSocket.set(req.socket, seen);
    if (req.url?.startsWith('/hang')) return; // never answers: only the deadline ends it
    if (req.url?.startsWith('/cut')) {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('{"resourceType":');
      setImmediate(() => req.socket.destroy()); // the connection drops mid-body
      return;
    }
    const encoded = /^\/encoded\/([\w-]+)(?:\/(\d+))?/.exec(req.url ?? '');
    if (encoded) {
      const [, encoding = '', size] = encoded;
      const text = size
        ? ' '.repeat(Number(size))
        : JSON.stringify({ resourceType: 'Bundle', acceptEncoding: req.headers['accept-encoding'] });
      const encode = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync }[encoding];
      res.writeHead(200, { 'content-encoding': encoding });
      res.end(encode ? encode(text) : text);
      return;
    }
    if (dropReused && seen > 1) {
      req.socket.destroy(); // the server closing an idle connection just as the client reuses it
      return;
    }
    res.writeHead(200, { 'content-type': 'application/fhir+json' });
    res.end(JSON.stringify({ resourceType: 'Bundle', url: req.url, authorization: req.headers.authorization ?? null }));
  });
  server.on('connection', () => sockets++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  dropReused = false;
});

const never = (): AbortSignal => new AbortController().signal;

test('answers status and body, with the headers given', async () => {
  const answer = await httpGet(`${base}/fhir/Condition?patient=p1`, { authorization: 'Bearer t0k' }, never());
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body)).toEqual({ resourceType: 'Bundle', url: '/fhir/Condition?patient=p1', authorization: 'Bearer t0k' });
});

test('sequential reads reuse one kept-alive connection', async () => {
  const before = sockets;
  for (let i = 0; i < 5; i++) await httpGet(`${base}/fhir/Patient/p${i}`, {}, never());
  expect(sockets - before).toBeLessThanOrEqual(1);
});

test('a pooled connection the server closed as the read went out is retried on a new one', async () => {
  await httpGet(`${base}/fhir/Patient/warm`, {}, never()); // leaves one idle pooled connection
  dropReused = true;
  const answer = await httpGet(`${base}/fhir/Patient/again`, {}, never());
  expect(JSON.parse(answer.body)).toMatchObject({ url: '/fhir/Patient/again' });
});

test('a body past the cap is refused', async () => {
  await expect(httpGet(`${base}/fhir/Observation?patient=p1`, {}, never(), 16)).rejects.toBeInstanceOf(TooLargeError);
});

test('the signal ends a read the server never answers', async () => {
  const deadline = new AbortController();
  const read = httpGet(`${base}/hang`, {}, deadline.signal);
  deadline.abort();
  await expect(read).rejects.toMatchObject({ name: 'AbortError' });
});

test.each(['gzip', 'deflate', 'br'])('a %s answer is asked for and decoded', async (encoding) => {
  const answer = await httpGet(`${base}/encoded/${encoding}`, {}, never());
  expect(JSON.parse(answer.body)).toEqual({ resourceType: 'Bundle', acceptEncoding: 'gzip, deflate, br' });
});

test('the cap counts decoded bytes: a small gzip that inflates past it is refused', async () => {
  await expect(httpGet(`${base}/encoded/gzip/1000000`, {}, never(), 100_000)).rejects.toBeInstanceOf(TooLargeError);
});

test('an encoding it did not ask for is refused, not read as text', async () => {
  await expect(httpGet(`${base}/encoded/compress`, {}, never())).rejects.toBeInstanceOf(UnknownEncodingError);
});

test('a body cut off mid-way is an error, never a shorter answer', async () => {
  await expect(httpGet(`${base}/cut`, {}, never())).rejects.toThrow();
});
