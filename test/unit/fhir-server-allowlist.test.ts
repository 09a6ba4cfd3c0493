/** Which fhirServer values the service may call: exact bases, whole-segment prefixes, nothing else. */
import { checkFhirServer, parseAllowlist } from '../../src/context/fhir-server-allowlist.js';

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
