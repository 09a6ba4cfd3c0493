/**
 * One GET to the EHR's FHIR server with Node's own http client and one keep-alive pool per protocol.
 * Not fetch (or fhir-kit-client, which wraps it): on the fetch path each hook call makes 4 to 10
 * reads, and fetch's WHATWG Request/Headers/stream layers cost twice the CPU of http.request per
 * read (docs/operations.md, section 5).
 */
// Default imports, called at request time, so a fault injector that patches the modules (nock) sees each read.
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** The answer was larger than any one page of one patient's record should be. */
export class TooLargeError extends Error {
  constructor() {
    super('response too large');
    this.name = 'TooLargeError';
  }
}

/** The server answered in a content-encoding this client did not ask for. */
export class UnknownEncodingError extends Error {
  constructor(readonly encoding: string) {
    super(`content-encoding ${encoding}`);
    this.name = 'UnknownEncodingError';
  }
}

/**
 * Compressed answers are asked for (a whole record over a WAN link is several times smaller) and
 * decoded as they stream in; the size cap counts decoded bytes, so a small compressed bomb is refused too.
 */
const DECODERS: Record<string, (() => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress) | undefined> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};
const ACCEPT_ENCODING = 'gzip, deflate, br';

/** 32 MiB: far above a page of one patient's resources, far below what would strain the process. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Idle connections close after 4 s, before common servers' own keep-alive timeouts (Node 5 s,
 * nginx 75 s), so a read rarely goes out on a socket the server is closing; when it does, it is
 * retried once (below).
 */
const IDLE_MS = 4000;
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: IDLE_MS }),
  'https:': new https.Agent({ keepAlive: true, timeout: IDLE_MS }),
};

function send(url: URL, headers: Record<string, string>, signal: AbortSignal, maxBytes: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const options = {
      agent: secure ? agents['https:'] : agents['http:'],
      headers: { 'accept-encoding': ACCEPT_ENCODING, ...headers },
      signal,
    };
    let answered = false;
    const req: ClientRequest = (secure ? https : http).request(url, options, (res: IncomingMessage) => {
      answered = true;
      const encoding = (res.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      const decoder = DECODERS[encoding];
      if (!decoder && encoding !== 'identity') {
        res.destroy();
        reject(new UnknownEncodingError(encoding));
        return;
      }
      const body: Readable = decoder ? pipeline(res, decoder(), () => undefined) : res;
      const chunks: Buffer[] = [];
      let size = 0;
      body.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          body.destroy(new TooLargeError());
          return;
        }
        chunks.push(chunk);
      });
      body.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      body.on('error', reject);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A pooled socket the server closed just as this read went out: the read never reached it, and a GET
      // is safe to send again. Each retry spends one stale socket, so it ends with the pool.
      if (req.reusedSocket && !answered && err.code === 'ECONNRESET' && !signal.aborted) {
        send(url, headers, signal, maxBytes).then(resolve, reject);
        return;
      }
      reject(err);
    });
    req.end();
  });
}

/** GETs `url` (http or https) and answers its status and body as text; rejects on network errors, on `signal`, and past `maxBytes`. */
export function httpGet(url: string, headers: Record<string, string>, signal: AbortSignal, maxBytes = MAX_BODY_BYTES): Promise<HttpAnswer> {
  return send(new URL(url), headers, signal, maxBytes);
}
