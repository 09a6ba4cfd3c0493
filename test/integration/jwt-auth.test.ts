/**
 * CDS Hooks client trust over real HTTP: keys made here, the EHR's JWKS served by a local
 * listener, the service configured as in production (its public URL differs from the address the
 * test calls, as behind a proxy). Every refusal is the same bare 401; only the log says why.
 */
import { SignJWT } from 'jose';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { readResponse, startService, type RunningService } from '../support/harness.js';
import { mintToken, startJwksServer, testKey, unsignedToken, type JwksServer, type TestKey } from '../support/jwt.js';
import { assertCdsResponse, assertOperationOutcome } from '../support/spec.js';

const PUBLIC = 'https://cds.example.test/backpain';
const ISS = 'https://ehr.example.test';
const TENANT_ISS = 'https://tenant-ehr.example.test';
const SELECT = 'back-pain-imaging-select';
const select = SERVICES.find((s) => s.id === SELECT)!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
const selectAud = `${PUBLIC}/cds-services/${SELECT}`;

let es: TestKey;
let rs: TestKey;
let rotated: TestKey;
let attacker: TestKey;
let jwks: JwksServer;
let evil: JwksServer;
let service: RunningService;

beforeAll(async () => {
  [es, rs, rotated, attacker] = await Promise.all([
    testKey('es-1', 'ES384'),
    testKey('rs-1', 'RS384'),
    testKey('es-2', 'ES384'),
    testKey('es-1', 'ES384'),
  ]);
  jwks = await startJwksServer([es.publicJwk, rs.publicJwk]);
  // Serves the attacker's key: a service that fetched a token's jku from here would accept the forgery.
  evil = await startJwksServer([attacker.publicJwk]);
  service = await startService({
    JWT_REQUIRED: 'true',
    PUBLIC_BASE_URL: PUBLIC,
    JWT_ISSUERS: JSON.stringify([
      { iss: ISS, jwksUrl: `${jwks.url}/jwks.json`, jku: [`${jwks.url}/jku.json`] },
      { iss: TENANT_ISS, jwksUrl: `${jwks.url}/tenant-jwks.json`, tenants: ['org-1'] },
    ]),
    // Long enough that no test here waits it out: refreshes on unknown kids stay rate limited.
    JWKS_COOLDOWN_MS: '60000',
    AUTH_FAILURES_PER_MINUTE: '0',
  });
});
afterAll(async () => {
  await service.close();
  await jwks.close();
  await evil.close();
});

/** Another service with JWT required and one trusted issuer, for tests that need their own settings. */
const jwtService = (jwksPath: string, extra: Record<string, string>): Promise<RunningService> =>
  startService({
    JWT_REQUIRED: 'true',
    PUBLIC_BASE_URL: PUBLIC,
    JWT_ISSUERS: JSON.stringify([{ iss: ISS, jwksUrl: `${jwks.url}/${jwksPath}` }]),
    ...extra,
  });

const body = (): Record<string, unknown> => scenarioRequest(scenario, select, { prefetch: 'all' });

async function call(
  token: string | undefined,
  path = `/cds-services/${SELECT}`,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const method = init.method ?? (path === '/cds-services' ? 'GET' : 'POST');
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: {
      ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(method === 'POST' ? { body: JSON.stringify(body()) } : {}),
    ...init,
  });
  return readResponse(res);
}

const token = (o: Partial<Parameters<typeof mintToken>[0]> = {}): Promise<string> => mintToken({ key: es, iss: ISS, aud: selectAud, ...o });

function authLog(reason: string, from = 0): Record<string, unknown> | undefined {
  return service.logs
    .slice(from)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.message === 'authentication failed' && l.reason === reason);
}

let refusedBody: unknown;
async function expectRefused(tok: string | undefined, reason: string, path?: string): Promise<void> {
  const logsBefore = service.logs.length;
  const res = await call(tok, path);
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  assertOperationOutcome(res.body);
  // The same bare body whatever the reason, so a caller learns nothing about which check failed.
  refusedBody ??= res.body;
  expect(res.body).toEqual(refusedBody);
  expect(JSON.stringify(res.body)).not.toMatch(new RegExp(reason));
  expect(authLog(reason, logsBefore)).toBeDefined();
}

describe('valid tokens pass', () => {
  test('ES384 on a service call: 200 with the cards', async () => {
    const res = await call(await token());
    expect(res.status).toBe(200);
    assertCdsResponse(res.body);
    expect((res.body as { cards: unknown[] }).cards).toHaveLength(1);
  });

  test('RS384 on discovery, whose aud is the discovery URL', async () => {
    const res = await call(await mintToken({ key: rs, iss: ISS, aud: `${PUBLIC}/cds-services` }), '/cds-services');
    expect(res.status).toBe(200);
    expect((res.body as { services: unknown[] }).services.length).toBeGreaterThan(0);
  });

  test('aud as an array that contains the endpoint URL', async () => {
    expect((await call(await token({ aud: ['https://elsewhere.example', selectAud] }))).status).toBe(200);
  });

  test('exp a few seconds past, within the clock skew', async () => {
    expect((await call(await token({ iatOffset: -70, lifetime: 60 }))).status).toBe(200);
  });

  test('a jku on the issuer allowlist is fetched and used', async () => {
    const before = jwks.hitCount('/jku.json');
    expect((await call(await token({ jku: `${jwks.url}/jku.json` }))).status).toBe(200);
    expect(jwks.hitCount('/jku.json')).toBe(before + 1);
  });

  test('the tenant allowlist: the right tenant passes', async () => {
    jwks.keys = [es.publicJwk, rs.publicJwk];
    expect((await call(await token({ iss: TENANT_ISS, tenant: 'org-1' }))).status).toBe(200);
  });

  test('a token is checked for the feedback endpoint too, with its own aud', async () => {
    expect((await call(undefined, `/cds-services/${SELECT}/feedback`)).status).toBe(401);
    const res = await call(await token({ aud: `${selectAud}/feedback` }), `/cds-services/${SELECT}/feedback`);
    expect(res.status).not.toBe(401);
  });
});

describe('refused with a bare 401', () => {
  test('no Authorization header', () => expectRefused(undefined, 'missing'));
  test('expired', async () => expectRefused(await token({ iatOffset: -400, lifetime: 300 }), 'expired'));
  test('not yet valid (nbf in the future)', async () => expectRefused(await token({ nbfOffset: 300 }), 'not-yet-valid'));
  test('issued in the future (iat past the clock skew)', async () => expectRefused(await token({ iatOffset: 300 }), 'not-yet-valid'));
  test('a lifetime over one hour', async () => expectRefused(await token({ lifetime: 3601 }), 'lifetime-too-long'));
  test('wrong aud', async () =>
    expectRefused(await token({ aud: 'https://other.example/cds-services/back-pain-imaging-select' }), 'wrong-aud'));
  test('the aud of another endpoint', async () =>
    expectRefused(await token({ aud: `${PUBLIC}/cds-services/back-pain-imaging-sign` }), 'wrong-aud'));
  test('the aud of the local address rather than the public URL', async () =>
    expectRefused(await token({ aud: `${service.url}/cds-services/${SELECT}` }), 'wrong-aud'));
  test('unknown iss', async () => {
    const before = jwks.hitCount();
    await expectRefused(await token({ iss: 'https://unknown-ehr.example' }), 'unknown-iss');
    expect(jwks.hitCount()).toBe(before);
  });
  test('unknown kid', async () => expectRefused(await token({ kid: 'no-such-kid' }), 'unknown-kid'));
  test('alg none', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(
      unsignedToken({ alg: 'none', typ: 'JWT', kid: 'es-1' }, { iss: ISS, aud: selectAud, iat: now, exp: now + 300, jti: 'none-1' }),
      'alg-not-allowed',
    );
  });
  test('HS256 signed with the public key as the secret', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(es.publicJwk));
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'es-1', typ: 'JWT' })
      .setIssuer(ISS)
      .setAudience(selectAud)
      .setIssuedAt()
      .setExpirationTime('5m')
      .setJti('hs-1')
      .sign(secret);
    await expectRefused(forged, 'alg-not-allowed');
  });
  test('a bad signature (signed by another key with the same kid)', async () =>
    expectRefused(await token({ key: attacker }), 'bad-signature'));
  test('a bad signature (tampered payload)', async () => {
    const [h, , s] = (await token()).split('.');
    const now = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(JSON.stringify({ iss: ISS, aud: selectAud, iat: now, exp: now + 300, jti: 'tampered-1' })).toString(
      'base64url',
    );
    await expectRefused(`${h}.${payload}.${s}`, 'bad-signature');
  });
  test('a replayed jti', async () => {
    const once = await token();
    expect((await call(once)).status).toBe(200);
    await expectRefused(once, 'replayed');
  });
  test('no jti', async () => expectRefused(await token({ jti: null }), 'bad-claims'));
  test.each([
    ['a NUL', 'jti-\u0000-nul'],
    ['a control character', 'jti-\u0007-bell'],
    ['a lone surrogate', 'jti-\ud800-lone'],
  ])('a validly signed token whose jti holds %s', async (_name, jti) => expectRefused(await token({ jti }), 'bad-claims'));
  test('a jku not on the allowlist is never fetched', async () => {
    const forged = await token({ key: attacker, jku: `${evil.url}/jwks.json` });
    await expectRefused(forged, 'jku-not-allowed');
    expect(evil.hitCount()).toBe(0);
  });
  test('a typ other than JWT', async () => expectRefused(await token({ typ: 'at+jwt' }), 'malformed'));
  test.each([
    ['not a JWT', 'not-a-token'],
    ['two parts', 'eyJhbGciOiJFUzM4NCJ9.eyJpc3MiOiJ4In0'],
    ['garbage base64', 'e30.!!!.abc'],
    ['a header that is not JSON', `${Buffer.from('nope').toString('base64url')}.e30.c2ln`],
  ])('malformed: %s', (_name, t) => expectRefused(t, 'malformed'));
  test('another scheme than Bearer', async () => {
    const res = await fetch(`${service.url}/cds-services`, {
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    });
    expect(res.status).toBe(401);
  });
  test('the tenant allowlist: a missing or other tenant', async () => {
    await expectRefused(await token({ iss: TENANT_ISS }), 'tenant-not-allowed');
    await expectRefused(await token({ iss: TENANT_ISS, tenant: 'org-2' }), 'tenant-not-allowed');
  });
  test('an unknown service id needs a token too (no service enumeration)', async () => {
    expect((await call(undefined, '/cds-services/no-such-service')).status).toBe(401);
  });
});

describe('a jku from a real client (the CDS Hooks Sandbox always sends one)', () => {
  test("with the issuer's keys configured inline holding the kid: verified with them, the jku is never fetched", async () => {
    const inline = await startService({
      JWT_REQUIRED: 'true',
      PUBLIC_BASE_URL: PUBLIC,
      JWT_ISSUERS: JSON.stringify([{ iss: ISS, jwks: { keys: [es.publicJwk] } }]),
      AUTH_FAILURES_PER_MINUTE: '0',
    });
    try {
      const before = evil.hitCount();
      const aud = `${PUBLIC}/cds-services`;
      const good = await mintToken({ key: es, iss: ISS, aud, jku: `${evil.url}/jwks.json` });
      expect((await fetch(`${inline.url}/cds-services`, { headers: { authorization: `Bearer ${good}` } })).status).toBe(200);
      // A forgery with the same kid and a jku serving the forger's key is checked against the inline key.
      const forged = await mintToken({ key: attacker, iss: ISS, aud, jku: `${evil.url}/jwks.json` });
      expect((await fetch(`${inline.url}/cds-services`, { headers: { authorization: `Bearer ${forged}` } })).status).toBe(401);
      expect(inline.logs.join('')).toMatch(/"reason":"bad-signature"/);
      expect(evil.hitCount()).toBe(before);
    } finally {
      await inline.close();
    }
  });

  test("a jku equal to the issuer's configured jwksUrl is that key set", async () => {
    const res = await call(await token({ jku: `${jwks.url}/jwks.json` }));
    expect(res.status).toBe(200);
  });
});

test('unknown kids refresh the JWKS at most once per cooldown', async () => {
  const before = jwks.hitCount('/jwks.json');
  for (let i = 0; i < 5; i++) expect((await call(await token({ kid: `unknown-${i}` }))).status).toBe(401);
  expect(jwks.hitCount('/jwks.json') - before).toBeLessThanOrEqual(1);
});

test('a rotated key is found by refetching the JWKS once the cooldown has passed', async () => {
  const fresh = await jwtService('rotating.json', { JWKS_COOLDOWN_MS: '0' });
  try {
    jwks.keys = [es.publicJwk];
    const first = await fetch(`${fresh.url}/cds-services`, {
      headers: { authorization: `Bearer ${await mintToken({ key: es, iss: ISS, aud: `${PUBLIC}/cds-services` })}` },
    });
    expect(first.status).toBe(200);
    jwks.keys = [es.publicJwk, rotated.publicJwk];
    const second = await fetch(`${fresh.url}/cds-services`, {
      headers: { authorization: `Bearer ${await mintToken({ key: rotated, iss: ISS, aud: `${PUBLIC}/cds-services` })}` },
    });
    expect(second.status).toBe(200);
    expect(jwks.hitCount('/rotating.json')).toBe(2);
  } finally {
    jwks.keys = [es.publicJwk, rs.publicJwk];
    await fresh.close();
  }
});

test('no token is needed for a CORS preflight, health, readiness or metrics', async () => {
  const pre = await fetch(`${service.url}/cds-services/${SELECT}`, {
    method: 'OPTIONS',
    headers: {
      origin: 'https://ehr.example.test',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    },
  });
  expect(pre.status).toBe(204);
  for (const path of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${service.url}${path}`)).status).toBe(200);
});

test('failures are counted by reason in /metrics', async () => {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  expect(text).toMatch(/backpain_cds_auth_failures_total\{reason="replayed"\} [1-9]/);
  expect(text).toMatch(/backpain_cds_auth_failures_total\{reason="jku-not-allowed"\} [1-9]/);
});

test('too many failed authentications from one address: 429', async () => {
  const strict = await jwtService('jwks.json', { AUTH_FAILURES_PER_MINUTE: '3' });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${strict.url}/cds-services`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  } finally {
    await strict.close();
  }
});

test('bad tokens do not lock out good ones: past the limit a valid token from the same address still passes', async () => {
  const strict = await jwtService('jwks.json', { AUTH_FAILURES_PER_MINUTE: '3' });
  try {
    const bad = await Promise.all(Array.from({ length: 6 }, () => mintToken({ key: attacker, iss: ISS, aud: `${PUBLIC}/cds-services` })));
    const badStatuses: number[] = [];
    for (const t of bad)
      badStatuses.push((await fetch(`${strict.url}/cds-services`, { headers: { authorization: `Bearer ${t}` } })).status);
    expect(badStatuses).toEqual([401, 401, 401, 429, 429, 429]);
    const good = await fetch(`${strict.url}/cds-services`, {
      headers: { authorization: `Bearer ${await token({ aud: `${PUBLIC}/cds-services` })}` },
    });
    expect(good.status).toBe(200);
    // Still refused after the good one: the limit holds for bad tokens.
    expect((await fetch(`${strict.url}/cds-services`)).status).toBe(429);
  } finally {
    await strict.close();
  }
});

test('many concurrent good requests from one address are never counted as failed authentications', async () => {
  const strict = await jwtService('jwks.json', { AUTH_FAILURES_PER_MINUTE: '3' });
  try {
    const tokens = await Promise.all(Array.from({ length: 40 }, () => token({ aud: `${PUBLIC}/cds-services` })));
    const statuses = await Promise.all(
      tokens.map(async (t) => (await fetch(`${strict.url}/cds-services`, { headers: { authorization: `Bearer ${t}` } })).status),
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  } finally {
    await strict.close();
  }
});

test('the log names iss, kid and jti of refused tokens, and never a token', async () => {
  const t = await token({ kid: 'logged-kid', jti: 'logged-jti' });
  await call(t);
  const line = service.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.jti === 'logged-jti');
  expect(line).toMatchObject({ message: 'authentication failed', reason: 'unknown-kid', iss: ISS, kid: 'logged-kid' });
  const all = service.logs.join('\n');
  expect(all).not.toContain(t.split('.')[2]);
  // No compact JWT of any test above (their headers all start eyJ) reached the log.
  expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+/);
});
