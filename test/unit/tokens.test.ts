import { fillTemplate, usesOnly20Tokens } from '../../src/context/tokens.js';
import { SERVICES } from '../../src/hooks/services.js';

const CONTEXT = { userId: 'Practitioner/abc', patientId: '123', encounterId: 'enc-9' };

describe('fillTemplate', () => {
  test('fills a context token', () => {
    expect(fillTemplate('Patient/{{context.patientId}}', CONTEXT)).toBe('Patient/123');
  });

  test('fills several context tokens, with spaces inside the braces', () => {
    expect(fillTemplate('Encounter?patient={{ context.patientId }}&_id={{context.encounterId}}', CONTEXT)).toBe(
      'Encounter?patient=123&_id=enc-9',
    );
  });

  test('a template without tokens is returned as it is', () => {
    expect(fillTemplate('Observation?code=http://loinc.org|8310-5', CONTEXT)).toBe('Observation?code=http://loinc.org|8310-5');
  });

  test('userPractitionerId is the bare id of a Practitioner userId', () => {
    expect(fillTemplate('Practitioner/{{userPractitionerId}}', CONTEXT)).toBe('Practitioner/abc');
  });

  test('userPractitionerRoleId from PractitionerRole/r1, userPatientId from Patient/p1, userRelatedPersonId from RelatedPerson/rp1', () => {
    expect(fillTemplate('{{userPractitionerRoleId}}', { userId: 'PractitionerRole/r1' })).toBe('r1');
    expect(fillTemplate('{{userPatientId}}', { userId: 'Patient/p1' })).toBe('p1');
    expect(fillTemplate('{{userRelatedPersonId}}', { userId: 'RelatedPerson/rp1' })).toBe('rp1');
  });

  test('userPractitionerId is missing when the user is a PractitionerRole: undefined', () => {
    expect(fillTemplate('Practitioner/{{userPractitionerId}}', { userId: 'PractitionerRole/abc' })).toBeUndefined();
  });

  test('userPractitionerId is missing when there is no userId: undefined', () => {
    expect(fillTemplate('{{userPractitionerId}}', { patientId: '123' })).toBeUndefined();
  });

  test('a context token with no value in this request gives undefined', () => {
    expect(fillTemplate('Encounter/{{context.encounterId}}', { userId: 'Practitioner/abc', patientId: '123' })).toBeUndefined();
  });

  test('one missing token among present ones still gives undefined', () => {
    expect(fillTemplate('Condition?patient={{context.patientId}}&encounter={{context.encounterId}}', { patientId: '123' })).toBeUndefined();
  });

  test('a context value that is an object or array (draftOrders, selections) is not a token value: undefined', () => {
    expect(fillTemplate('{{context.draftOrders}}', { draftOrders: { resourceType: 'Bundle' } })).toBeUndefined();
    expect(fillTemplate('{{context.selections}}', { selections: ['ServiceRequest/1'] })).toBeUndefined();
  });

  test('an unknown token gives undefined', () => {
    expect(fillTemplate('Patient/{{patientId}}', CONTEXT)).toBeUndefined();
  });

  test('a FHIRPath-style nested token is not filled: undefined', () => {
    expect(fillTemplate('ServiceRequest?_id={{context.draftOrders.ServiceRequest.id}}', CONTEXT)).toBeUndefined();
  });

  test('values are URL-encoded (space, &, /, ?, #, %)', () => {
    expect(fillTemplate('Patient?identifier={{context.patientId}}', { patientId: 'a b&c/d?e#f%' })).toBe(
      'Patient?identifier=a%20b%26c%2Fd%3Fe%23f%25',
    );
  });

  test('a user id with characters to escape is URL-encoded', () => {
    expect(fillTemplate('{{userPractitionerId}}', { userId: 'Practitioner/a&b' })).toBe('a%26b');
  });

  test('number and boolean context values are filled as text', () => {
    expect(fillTemplate('{{context.count}}-{{context.flag}}', { count: 3, flag: false })).toBe('3-false');
  });
});

describe('usesOnly20Tokens', () => {
  test.each([
    'Patient/{{context.patientId}}',
    'Encounter/{{ context.encounterId }}',
    'Practitioner/{{userPractitionerId}}',
    'PractitionerRole/{{userPractitionerRoleId}}',
    'Patient/{{userPatientId}}',
    'RelatedPerson/{{userRelatedPersonId}}',
    'Observation?code=http://loinc.org|8310-5',
  ])('accepts CDS Hooks 2.0 template %s', (template) => {
    expect(usesOnly20Tokens(template)).toBe(true);
  });

  test.each([
    'ServiceRequest?_id={{context.draftOrders.ServiceRequest.id}}',
    'Patient/{{context.patient.id}}',
    'Observation?patient={{patientId}}',
  ])('rejects FHIRPath-style or unknown token %s', (template) => {
    expect(usesOnly20Tokens(template)).toBe(false);
  });

  // A FHIRPath token (today(), %, spaces in an expression) is not CDS Hooks 2.0: refuse it, never send it on unfilled.
  test.each(['Observation?date=ge{{today() - 90 days}}', 'Patient/{{%patient.id}}'])('rejects FHIRPath expression token %s', (template) => {
    expect(usesOnly20Tokens(template)).toBe(false);
  });

  test('fillTemplate does not send a FHIRPath expression token to the FHIR server unfilled', () => {
    expect(fillTemplate('Observation?patient={{context.patientId}}&date=ge{{today() - 90 days}}', CONTEXT)).toBeUndefined();
  });

  test('every prefetch template of every service uses only 2.0 tokens', () => {
    const templates = SERVICES.flatMap((s) => Object.values(s.prefetch));
    expect(templates.length).toBeGreaterThan(0);
    for (const template of templates) expect([template, usesOnly20Tokens(template)]).toEqual([template, true]);
  });
});
