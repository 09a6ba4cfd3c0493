/** A test EHR's signing keys, a JWKS served over local HTTP (counting its hits), and token minting. */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function testKey(kid: string, alg: 'ES384' | 'RS384' | 'ES256' | 'PS256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** An HTTP listener that serves whatever key set it is given and counts every request per path. */
export interface JwksServer {
  url: string;
  keys: JWK[];
  hits: Map<string, number>;
  hitCount(path?: string): number;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  const hits = new Map<string, number>();
  const state = { keys };
  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get keys() {
      return state.keys;
    },
    set keys(k: JWK[]) {
      state.keys = k;
    },
    hits,
    hitCount: (path) => (path ? (hits.get(path) ?? 0) : [...hits.values()].reduce((a, b) => a + b, 0)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface TokenOptions {
  key: TestKey;
  iss: string;
  aud: string | string[];
  /** Seconds relative to now. */
  iatOffset?: number;
  lifetime?: number;
  nbfOffset?: number;
  jti?: string | null;
  jku?: string;
  kid?: string;
  tenant?: string;
  typ?: string;
}

export async function mintToken(o: TokenOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = now + (o.iatOffset ?? 0);
  const payload: Record<string, unknown> = { ...(o.tenant ? { tenant: o.tenant } : {}) };
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: o.key.alg, kid: o.kid ?? o.key.kid, typ: o.typ ?? 'JWT', ...(o.jku ? { jku: o.jku } : {}) })
    .setIssuer(o.iss)
    .setAudience(o.aud)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (o.lifetime ?? 300));
  if (o.jti !== null) jwt.setJti(o.jti ?? randomUUID());
  if (o.nbfOffset !== undefined) jwt.setNotBefore(now + o.nbfOffset);
  return jwt.sign(o.key.privateKey);
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An unsecured token (alg none), which no verifier may accept. */
export function unsignedToken(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  return `${b64(header)}.${b64(payload)}.`;
}
