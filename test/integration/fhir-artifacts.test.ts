/**
 * GET /fhir-artifacts: the published Questionnaires, CodeSystem and ValueSets are valid R4 and say
 * the same as the files the rules use.
 */
import type { Bundle, CodeSystem, Questionnaire, ValueSet } from 'fhir/r4.js';
import { assertOperationOutcome } from '../support/spec.js';
import { knowledge, startService, type RunningService } from '../support/harness.js';
import { r4Errors } from '../support/r4.js';

let service: RunningService;
let bundle: Bundle;

beforeAll(async () => {
  service = await startService();
  const res = await fetch(`${service.url}/fhir-artifacts`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  bundle = (await res.json()) as Bundle;
});

afterAll(async () => {
  await service?.close();
});

const resources = () => (bundle.entry ?? []).map((e) => e.resource);
function find<T>(type: string, id: string): T {
  const found = resources().find((r) => r?.resourceType === type && r.id === id);
  if (!found) throw new Error(`no ${type}/${id} in /fhir-artifacts`);
  return found as T;
}

test('the validator used here does reject invalid R4', () => {
  expect(
    r4Errors({
      resourceType: 'Questionnaire',
      status: 'active',
      item: [{ linkId: '1', type: 'boolean', answerOption: [{ valueString: 'x' }] }],
    }),
  ).not.toEqual([]);
  expect(r4Errors({ resourceType: 'ValueSet', compose: { include: [{ concept: [{ display: 'no code' }] }] } })).not.toEqual([]);
});

test('the Bundle and every resource in it are valid R4', () => {
  expect(r4Errors(bundle)).toEqual([]);
  for (const r of resources())
    expect({ id: `${r?.resourceType}/${r?.id}`, errors: r4Errors(r) }).toEqual({ id: `${r?.resourceType}/${r?.id}`, errors: [] });
});

test('the STarT Back Questionnaire: 9 items, item 9 with its 5 answer options and scores', () => {
  const q = find<Questionnaire>('Questionnaire', 'start-back');
  expect(q.url).toBe('urn:backpain-cds:questionnaire:start-back');
  expect(q.item?.map((i) => i.linkId)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
  expect(q.item?.slice(0, 8).every((i) => i.type === 'boolean')).toBe(true);
  const nine = q.item?.[8];
  expect(nine?.answerOption?.map((o) => [o.valueCoding?.system, o.valueCoding?.code, o.extension?.[0]?.valueDecimal])).toEqual([
    ['urn:backpain-cds:finding', 'not-at-all', 0],
    ['urn:backpain-cds:finding', 'slightly', 0],
    ['urn:backpain-cds:finding', 'moderately', 0],
    ['urn:backpain-cds:finding', 'very-much', 1],
    ['urn:backpain-cds:finding', 'extremely', 1],
  ]);
  expect(q.item?.map((i) => i.text)).toEqual(knowledge.instruments.startBack.items.map((i) => i.text));
});

test('the SCOPiC Questionnaire: the 4 items coded as the Observations the service reads', () => {
  const q = find<Questionnaire>('Questionnaire', 'scopic');
  expect(q.item?.map((i) => [i.linkId, i.type, i.code?.[0]?.system])).toEqual([
    ['leg-pain-nrs', 'integer', 'urn:backpain-cds:finding'],
    ['pain-below-knee', 'boolean', 'urn:backpain-cds:finding'],
    ['activity-interference-nrs', 'integer', 'urn:backpain-cds:finding'],
    ['leg-sensory-deficit', 'boolean', 'urn:backpain-cds:finding'],
  ]);
});

test('the finding CodeSystem has every code the instruments use', () => {
  const cs = find<CodeSystem>('CodeSystem', 'backpain-cds-finding');
  expect(cs.url).toBe('urn:backpain-cds:finding');
  expect(cs.concept?.map((c) => c.code)).toEqual([
    'startback-psychosocial',
    'not-at-all',
    'slightly',
    'moderately',
    'very-much',
    'extremely',
    'leg-pain-nrs',
    'pain-below-knee',
    'activity-interference-nrs',
    'leg-sensory-deficit',
  ]);
  expect(cs.count).toBe(10);
});

test("one ValueSet per value set file: the file itself, compose and expansion, without the editor's $schema", () => {
  const valueSets = resources().filter((r): r is ValueSet => r?.resourceType === 'ValueSet');
  expect(valueSets.map((v) => v.id).sort()).toEqual([...knowledge.valueSets.keys()].sort());
  for (const vs of valueSets) {
    const { $schema, ...file } = knowledge.valueSet(vs.id ?? '').file;
    expect($schema).toBe('../schemas/valueset.schema.json');
    expect(vs).toEqual(file);
    expect(vs).not.toHaveProperty('$schema');
    expect(vs.url).toBe(`urn:backpain-cds:valueset:${vs.id}`);
  }
  const backPain = find<ValueSet>('ValueSet', 'back-pain');
  expect(backPain.compose?.include).toContainEqual({
    system: 'http://hl7.org/fhir/sid/icd-10-cm',
    filter: [{ property: 'concept', op: 'is-a', value: 'M54.5' }],
  });
});

test('filters by type and canonical url; reads one by type and id; 404 otherwise', async () => {
  const byUrl = (await (
    await fetch(`${service.url}/fhir-artifacts?url=${encodeURIComponent('urn:backpain-cds:questionnaire:start-back')}`)
  ).json()) as Bundle;
  expect(byUrl.entry?.map((e) => e.resource?.id)).toEqual(['start-back']);
  const byType = (await (await fetch(`${service.url}/fhir-artifacts?type=Questionnaire`)).json()) as Bundle;
  expect(byType.entry?.map((e) => e.resource?.id)).toEqual(['start-back', 'scopic']);
  const one = await fetch(`${service.url}/fhir-artifacts/CodeSystem/backpain-cds-finding`);
  expect(one.status).toBe(200);
  expect(((await one.json()) as CodeSystem).url).toBe('urn:backpain-cds:finding');
  const missing = await fetch(`${service.url}/fhir-artifacts/ValueSet/nothing-here`);
  expect(missing.status).toBe(404);
  assertOperationOutcome(await missing.json());
});
