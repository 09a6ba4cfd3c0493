/** Which fhirServer values the service may call: exact bases, whole-segment prefixes, nothing else. */
import { checkFhirServer, parseAllowlist, resolveNextLink } from '../../src/context/fhir-server-allowlist.js';

const list = parseAllowlist(['https://ehr.example.org/fhir/r4', 'https://tenants.example.org/t/*', 'http://127.0.0.1:*/fhir']);
const check = (url: string, httpsOnly = false) => checkFhirServer(url, list, httpsOnly);

test.each([
  ['https://ehr.example.org/fhir/r4', 'https://ehr.example.org/fhir/r4'],
  ['https://ehr.example.org/fhir/r4/', 'https://ehr.example.org/fhir/r4'],
  ['HTTPS://EHR.example.org:443/fhir/r4', 'https://ehr.example.org/fhir/r4'],
  ['https://tenants.example.org/t/acme/fhir', 'https://tenants.example.org/t/acme/fhir'],
  ['https://tenants.example.org/t', 'https://tenants.example.org/t'],
  ['http://127.0.0.1:45678/fhir', 'http://127.0.0.1:45678/fhir'],
  ['https://ehr.example.org/fhir/x/../r4', 'https://ehr.example.org/fhir/r4'],
])('%s is allowed, called as %s', (url, base) => {
  expect(check(url)).toEqual({ ok: true, base });
});

test.each([
  'https://ehr.example.org/fhir',
  'https://ehr.example.org/fhir/r4/admin',
  'https://ehr.example.org/fhir/r45',
  'https://ehr.example.org.evil.test/fhir/r4',
  'https://evil.test/https://ehr.example.org/fhir/r4',
  'http://ehr.example.org/fhir/r4',
  'https://ehr.example.org:8443/fhir/r4',
  'https://user:pass@ehr.example.org/fhir/r4',
  'https://ehr.example.org/fhir/r4?x=1',
  'https://ehr.example.org/fhir/r4#x',
  'https://tenants.example.org/tx/acme',
  'https://tenants.example.org/t/acme%2F..%2F..%2Fadmin',
  'https://ehr.example.org/fhir/r4/../../admin',
  'http://localhost:45678/fhir',
  'http://127.0.0.1:45678/other',
  'file:///etc/passwd',
  'ftp://ehr.example.org/fhir/r4',
  'not a url',
])('%s is refused', (url) => {
  expect(check(url)).toEqual({ ok: false });
});

test('https only refuses http even when an entry would match', () => {
  expect(check('http://127.0.0.1:45678/fhir', true)).toEqual({ ok: false });
});

describe('next links: followed only under the same allowed base, compared after resolving', () => {
  const base = 'http://127.0.0.1:4567/fhir';
  const allowed = (b: string): boolean =>
    checkFhirServer(b, parseAllowlist(['http://127.0.0.1:*/fhir', 'http://localhost:*/fhir']), false).ok;

  test.each([
    ['http://127.0.0.1:4567/fhir/Condition?page=2', 'http://127.0.0.1:4567/fhir/Condition?page=2'],
    ['http://127.0.0.1:4567/fhir?_getpages=abc', 'http://127.0.0.1:4567/fhir?_getpages=abc'],
    ['Condition?page=2', 'http://127.0.0.1:4567/fhir/Condition?page=2'],
    ['/fhir/Condition?page=2', 'http://127.0.0.1:4567/fhir/Condition?page=2'],
    ['HTTP://127.0.0.1:4567/fhir/Condition?page=2#top', 'http://127.0.0.1:4567/fhir/Condition?page=2'],
    ['http://127.0.0.1:4567/fhir/x/../Condition?page=2', 'http://127.0.0.1:4567/fhir/Condition?page=2'],
    // Another spelling of the host, allowlisted with the same base path.
    ['http://localhost:4567/fhir/Condition?page=2', 'http://localhost:4567/fhir/Condition?page=2'],
  ])('%s is followed as %s', (link, href) => {
    expect(resolveNextLink(link, base, allowed)).toBe(href);
  });

  test.each([
    'http://127.0.0.1:4567/fhir/../admin?page=2',
    'http://127.0.0.1:4567/fhir/%2e%2e/admin?page=2',
    'http://127.0.0.1:4567/fhir/.%2E/admin',
    'http://127.0.0.1:4567/fhir\\..\\admin',
    '../admin?page=2',
    '/admin?page=2',
    'http://127.0.0.1:4567/fhirx/Condition',
    'http://127.0.0.1:4567/fhir/%2F../admin',
    'http://127.0.0.1:4568/fhir/Condition',
    'https://127.0.0.1:4567/fhir/Condition',
    'http://user:pw@127.0.0.1:4567/fhir/Condition',
    'http://elsewhere.test:4567/fhir/Condition',
    'http://localhost:4567/other/Condition',
    '//elsewhere.test/fhir/Condition',
    'http://[::1]:4567/fhir/Condition',
    'file:///etc/passwd',
  ])('%s is not followed', (link) => {
    expect(resolveNextLink(link, base, allowed)).toBeUndefined();
  });

  test('without an allowlist answer, another host spelling is not followed', () => {
    expect(resolveNextLink('http://localhost:4567/fhir/Condition?page=2', base, () => false)).toBeUndefined();
  });
});
