/** One validated place for settings: profiles, the optional JSON file, and messages that name the setting. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';

const ISSUERS = JSON.stringify([{ iss: 'https://ehr.example.org', jwksUrl: 'https://ehr.example.org/jwks.json' }]);
const PRODUCTION = {
  BACKPAIN_PROFILE: 'production',
  PUBLIC_BASE_URL: 'https://cds.example.org',
  JWT_ISSUERS: ISSUERS,
  FHIR_SERVER_ALLOWLIST: 'https://ehr.example.org/fhir',
};

function message(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

function file(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'backpain-config-')), 'config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

test('the demo profile (the default) runs without JWT and calls only its own FHIR server', () => {
  const c = loadConfig({});
  expect(c.BACKPAIN_PROFILE).toBe('demo');
  expect(c.JWT_REQUIRED).toBe(false);
  expect(c.DEMO_FHIR).toBe(true);
  expect(c.FHIR_SERVER_ALLOWLIST).toEqual(['http://127.0.0.1:8080/fhir', 'http://localhost:8080/fhir']);
});

test('NODE_ENV=production selects the production profile: JWT on, https FHIR only, no demo server', () => {
  const c = loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://cds.example.org', JWT_ISSUERS: ISSUERS });
  expect(c).toMatchObject({
    BACKPAIN_PROFILE: 'production',
    JWT_REQUIRED: true,
    FHIR_HTTPS_ONLY: true,
    DEMO_FHIR: false,
    FHIR_SERVER_ALLOWLIST: [],
  });
});

test.each([
  ['production without a public URL', { ...PRODUCTION, PUBLIC_BASE_URL: '' }, /PUBLIC_BASE_URL: is required/],
  ['production without issuers', { ...PRODUCTION, JWT_ISSUERS: '[]' }, /JWT_ISSUERS: at least one/],
  [
    'production with an http FHIR server',
    { ...PRODUCTION, FHIR_SERVER_ALLOWLIST: 'http://ehr.example.org/fhir' },
    /FHIR_SERVER_ALLOWLIST.0: .* must be https/,
  ],
  [
    'production with an http JWKS',
    { ...PRODUCTION, JWT_ISSUERS: JSON.stringify([{ iss: 'x', jwksUrl: 'http://ehr/jwks' }]) },
    /JWT_ISSUERS.0: http:\/\/ehr\/jwks must be https/,
  ],
  ['issuers that are not JSON', { JWT_ISSUERS: '[{' }, /JWT_ISSUERS: is not valid JSON/],
  ['an issuer without keys', { JWT_ISSUERS: JSON.stringify([{ iss: 'x' }]) }, /JWT_ISSUERS.0: needs jwksUrl, jku or jwks/],
  ['an issuer with a misspelt field', { JWT_ISSUERS: JSON.stringify([{ iss: 'x', jwksURL: 'https://a/b' }]) }, /JWT_ISSUERS.0: .*jwksURL/],
  [
    'a duplicate issuer',
    {
      JWT_ISSUERS: JSON.stringify([
        { iss: 'x', jwksUrl: 'https://a/b' },
        { iss: 'x', jwksUrl: 'https://a/c' },
      ]),
    },
    /JWT_ISSUERS.1.iss: "x" is listed twice/,
  ],
  ['an unknown profile', { BACKPAIN_PROFILE: 'staging' }, /BACKPAIN_PROFILE/],
  ['a port out of range', { PORT: '70000' }, /PORT/],
  ['a bad boolean', { JWT_REQUIRED: 'yes' }, /JWT_REQUIRED/],
  ['a lifetime over one hour', { JWT_MAX_LIFETIME_SECONDS: '7200' }, /JWT_MAX_LIFETIME_SECONDS/],
  [
    'an allowlist entry that is not a URL',
    { FHIR_SERVER_ALLOWLIST: 'ehr.example.org' },
    /FHIR_SERVER_ALLOWLIST.0: "ehr.example.org" is not a URL/,
  ],
  ['an allowlist entry with a wildcard host', { FHIR_SERVER_ALLOWLIST: 'https://*.example.org/fhir' }, /FHIR_SERVER_ALLOWLIST.0/],
  ['a bad TRUST_PROXY', { TRUST_PROXY: 'everyone' }, /TRUST_PROXY/],
  [
    'production with JWT off',
    { ...PRODUCTION, JWT_REQUIRED: 'false' },
    /JWT_REQUIRED: false is refused in the production profile.*UNSAFE_PRODUCTION_WITHOUT_JWT/,
  ],
])('%s stops start-up with a message naming the setting', (_name, env, pattern) => {
  expect(message(env as Record<string, string>)).toMatch(pattern);
});

test('a JSON config file gives typed values; the environment wins over it', () => {
  const path = file({
    PORT: 4000,
    JWT_REQUIRED: true,
    PUBLIC_BASE_URL: 'https://cds.example.org/',
    JWT_ISSUERS: [{ iss: 'a', jwks: { keys: [{ kty: 'EC' }] } }],
    FHIR_SERVER_ALLOWLIST: ['https://a.example/fhir'],
  });
  const c = loadConfig({ CONFIG_FILE: path, PORT: '5000' });
  expect(c.PORT).toBe(5000);
  expect(c.JWT_REQUIRED).toBe(true);
  expect(c.PUBLIC_BASE_URL).toBe('https://cds.example.org');
  expect(c.JWT_ISSUERS[0]?.iss).toBe('a');
  expect(c.FHIR_SERVER_ALLOWLIST).toEqual(['https://a.example/fhir']);
});

test('a config file can choose the production profile', () => {
  const c = loadConfig({ CONFIG_FILE: file({ ...PRODUCTION, JWT_ISSUERS: JSON.parse(ISSUERS) as unknown }) });
  expect(c.BACKPAIN_PROFILE).toBe('production');
  expect(c.JWT_REQUIRED).toBe(true);
});

test('an unknown key in the config file is named (a typo must not silently keep a default)', () => {
  expect(message({ CONFIG_FILE: file({ JWT_REQIRED: true }) })).toMatch(/JWT_REQIRED \(in CONFIG_FILE .*\): unknown setting/);
});

test('a config file that is not JSON, or not an object, is named', () => {
  expect(message({ CONFIG_FILE: file('{oops') })).toMatch(/CONFIG_FILE: cannot read/);
  expect(message({ CONFIG_FILE: file([1]) })).toMatch(/CONFIG_FILE: .* must hold a JSON object/);
  expect(message({ CONFIG_FILE: '/no/such/file.json' })).toMatch(/CONFIG_FILE: cannot read/);
});

test('an empty variable counts as unset', () => {
  expect(loadConfig({ PORT: '' }).PORT).toBe(3000);
});

test('production without JWT needs the loudly named UNSAFE_PRODUCTION_WITHOUT_JWT', () => {
  const c = loadConfig({ ...PRODUCTION, JWT_REQUIRED: 'false', UNSAFE_PRODUCTION_WITHOUT_JWT: 'true' });
  expect(c).toMatchObject({ BACKPAIN_PROFILE: 'production', JWT_REQUIRED: false });
  expect(loadConfig({ JWT_REQUIRED: 'false' }).JWT_REQUIRED).toBe(false);
});
