/**
 * fast-check generators for hostile and broken input: random JSON, valid requests with one field
 * replaced, huge and deep values, unicode, prototype-pollution keys, and FHIR resources and Bundles
 * that look almost right (the shapes the facts code reads, with wrong types and missing fields).
 *
 * Bodies are produced as JSON text, so values too deep for JSON.stringify and own `__proto__`
 * keys (which only a JSON parser creates) reach the service exactly as an attacker would send them.
 */
import fc from 'fast-check';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenarios } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';

export const PATIENT_ID = 'fuzz-patient';
const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';
const SNOMED = 'http://snomed.info/sct';
const CPT = 'http://www.ama-assn.org/go/cpt';
const LOINC = 'http://loinc.org';

/** A JSON body as text, with a label saying which generator made it (for the failure report). */
export interface FuzzBody {
  kind: string;
  text: string;
}

export const text = fc.string({ unit: 'binary', maxLength: 30 });
export const anyJson = fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' });

/** Placeholders that stand for values too big or too deep to build as objects; expanded in the text. */
const deepText = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array' ? `${'['.repeat(depth)}0${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;

const PLACEHOLDER = /"@@(deep-array|deep-object|long-string|long-array)-(\d+)@@"/g;

function expand(json: string): string {
  return json.replace(PLACEHOLDER, (_m, kind: string, n: string) => {
    const size = Number(n);
    if (kind === 'deep-array') return deepText(size, 'array');
    if (kind === 'deep-object') return deepText(size, 'object');
    if (kind === 'long-string') return JSON.stringify('ǅ'.repeat(size));
    return `[${Array.from({ length: size }, (_, i) => i).join(',')}]`;
  });
}

export const hugeValue: fc.Arbitrary<unknown> = fc.oneof(
  // Deeper than the default stack allows for naive recursion (about 10,000 frames).
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => `@@deep-array-${n}@@`),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => `@@deep-object-${n}@@`),
  fc.integer({ min: 5_000, max: 50_000 }).map((n) => `@@long-string-${n}@@`),
  fc.integer({ min: 1_000, max: 10_000 }).map((n) => `@@long-array-${n}@@`),
  fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, -0, 5e-324, 0.1),
);

/** Strings that break naive parsers and renderers. */
const nasty = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  '\ud800',
  '\u202e',
  'ǅ̴̡̛',
  '<script>alert(1)</script>',
  '{{context.patientId}}',
  '../../etc/passwd',
  'Patient/../../admin',
  '%00',
  'null',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '1e999',
  'NaN',
);

/** Any small value; huge ones come one per request (below), so a run stays fast. */
const small = fc.oneof({ weight: 6, arbitrary: anyJson }, { weight: 2, arbitrary: nasty }, { weight: 1, arbitrary: text });
const value = fc.oneof({ weight: 19, arbitrary: small }, { weight: 1, arbitrary: hugeValue });

const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: small });

const date = maybe(
  fc.oneof(
    fc.constantFrom(
      '2026-11-20',
      '2026-10-13',
      '2026-10',
      '2026',
      '2026-11-22T10:00:00Z',
      '2026-11-22T10:00:00+14:00',
      '2026-13-45',
      '2026-02-30',
      '0000-00-00',
      '99999-01-01',
      'yesterday',
      '',
    ),
    fc.date({ min: new Date('1900-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  ),
);

const FINDING = 'urn:backpain-cds:finding';
const code = fc.constantFrom(
  'M54.50',
  'M5450',
  'M54.16',
  'M51.26',
  'C50.9',
  'Z85.3',
  'R50.9',
  'G83.4',
  'R33.9',
  'S32.0',
  'Z79.52',
  '72148',
  '72100',
  '8310-5',
  '279039007',
  '23056005',
  '449813001',
  'x',
  // What the patient-view services read: STarT Back, SCOPiC, PHQ-9, GAD-7, chronic pain, referrals.
  '91351-7',
  'startback-psychosocial',
  'leg-pain-nrs',
  'pain-below-knee',
  'activity-interference-nrs',
  'leg-sensory-deficit',
  'very-much',
  'slightly',
  '44261-6',
  '70274-6',
  '95417003',
  'M79.7',
  '308447003',
  '228557008',
  '229065009',
  '308481009',
  '394451000119106',
);
const coding = fc.record(
  { system: maybe(fc.constantFrom(ICD, SNOMED, CPT, LOINC, FINDING)), code: maybe(code), display: maybe(text) },
  { requiredKeys: [] },
);
const concept = maybe(fc.record({ coding: maybe(fc.array(maybe(coding), { maxLength: 3 })), text: maybe(text) }, { requiredKeys: [] }));
const period = maybe(fc.record({ start: date, end: date }, { requiredKeys: [] }));
const quantity = maybe(
  fc.record(
    {
      value: maybe(fc.double({ noNaN: true })),
      unit: maybe(fc.constantFrom('Cel', '[degF]', '°F', 'd', 'wk', 'mo', 'a', 'x')),
      code: maybe(fc.constantFrom('Cel', '[degF]', 'd', 'wk')),
    },
    { requiredKeys: [] },
  ),
);
const status = maybe(fc.constantFrom('active', 'completed', 'draft', 'entered-in-error', 'cancelled', 'final', 'revoked', 'available'));

/** Every field the facts code reads, each present or not, right or wrong. */
const resourceFields = {
  id: maybe(fc.constantFrom('r1', 'r2', 'r3')),
  code: concept,
  clinicalStatus: concept,
  verificationStatus: concept,
  onsetDateTime: date,
  onsetPeriod: period,
  recordedDate: date,
  subject: maybe(fc.oneof(fc.constant({ reference: `Patient/${PATIENT_ID}` }), fc.record({ reference: maybe(text) }))),
  patient: maybe(fc.constant({ reference: `Patient/${PATIENT_ID}` })),
  effectiveDateTime: date,
  effectivePeriod: period,
  effectiveInstant: date,
  issued: date,
  valueQuantity: quantity,
  valueInteger: maybe(fc.integer({ min: -5, max: 30 })),
  status,
  authoredOn: date,
  medicationCodeableConcept: concept,
  medicationReference: maybe(fc.record({ display: maybe(fc.constantFrom('prednisolone 5 mg tablet', 'fluticasone inhaler')) })),
  dispenseRequest: maybe(
    fc.record({ expectedSupplyDuration: quantity, numberOfRepeatsAllowed: maybe(fc.integer({ min: -2, max: 400 })) }, { requiredKeys: [] }),
  ),
  dosageInstruction: maybe(
    fc.array(
      maybe(
        fc.record(
          {
            timing: maybe(
              fc.record({ repeat: maybe(fc.record({ boundsPeriod: period, boundsDuration: quantity }, { requiredKeys: [] })) }),
            ),
            route: concept,
          },
          { requiredKeys: [] },
        ),
      ),
      { maxLength: 3 },
    ),
  ),
  performedDateTime: date,
  performedPeriod: period,
  procedureCode: maybe(fc.array(concept, { maxLength: 3 })),
  started: date,
  component: maybe(fc.array(maybe(fc.record({ code: concept, valueInteger: maybe(fc.integer()) })), { maxLength: 2 })),
  valueBoolean: maybe(fc.boolean()),
  occurrenceDateTime: date,
  occurrencePeriod: period,
  questionnaire: maybe(
    fc.constantFrom('urn:backpain-cds:questionnaire:start-back', 'urn:backpain-cds:questionnaire:start-back|1', 'urn:other'),
  ),
  authored: date,
  item: maybe(
    fc.array(
      maybe(
        fc.record(
          {
            linkId: maybe(fc.constantFrom('1', '2', '5', '8', '9', 'x')),
            answer: maybe(
              fc.array(maybe(fc.record({ valueBoolean: maybe(fc.boolean()), valueCoding: maybe(coding) }, { requiredKeys: [] })), {
                maxLength: 2,
              }),
            ),
            item: maybe(fc.constant([{ linkId: '3', answer: [{ valueBoolean: true }] }])),
          },
          { requiredKeys: [] },
        ),
      ),
      { maxLength: 9 },
    ),
  ),
};

const RESOURCE_TYPES = [
  'Condition',
  'Observation',
  'MedicationRequest',
  'Procedure',
  'ImagingStudy',
  'ServiceRequest',
  'Patient',
  'QuestionnaireResponse',
  'Bundle',
  'OperationOutcome',
];

export const resource = fc.record(
  { resourceType: maybe(fc.constantFrom(...RESOURCE_TYPES)), ...resourceFields },
  { requiredKeys: ['resourceType'] },
);

export const patient = fc.record(
  {
    resourceType: fc.constant('Patient'),
    id: fc.constant(PATIENT_ID),
    birthDate: date,
    name: maybe(fc.array(fc.record({ family: maybe(text) }), { maxLength: 2 })),
    deceasedBoolean: maybe(fc.boolean()),
    deceasedDateTime: date,
  },
  { requiredKeys: ['resourceType', 'id'] },
);

export const bundle = fc.record(
  {
    resourceType: fc.constant('Bundle'),
    type: maybe(fc.constantFrom('searchset', 'collection')),
    total: maybe(fc.nat()),
    entry: maybe(
      fc.array(
        fc.oneof(
          { weight: 6, arbitrary: fc.record({ resource: maybe(resource), fullUrl: maybe(text) }, { requiredKeys: [] }) },
          { weight: 1, arbitrary: small },
        ),
        { maxLength: 6 },
      ),
    ),
    link: maybe(
      fc.array(fc.record({ relation: maybe(fc.constantFrom('self', 'next')), url: maybe(text) }, { requiredKeys: [] }), { maxLength: 2 }),
    ),
  },
  { requiredKeys: ['resourceType'] },
);

const outcome = fc.constant({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] });

/** The value of one prefetch key: a Bundle (mostly), null, an OperationOutcome, or anything. */
export const prefetchValue = fc.oneof(
  { weight: 20, arbitrary: bundle },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: outcome },
  { weight: 1, arbitrary: small },
);

const draftOrder = (id: string) =>
  fc.record(
    {
      resourceType: fc.oneof(
        { weight: 10, arbitrary: fc.constant('ServiceRequest') },
        { weight: 1, arbitrary: fc.constantFrom('MedicationRequest', 'Patient') },
      ),
      id: fc.constant(id),
      status: maybe(fc.constantFrom('draft', 'active', 'revoked')),
      intent: maybe(fc.constant('order')),
      code: fc.oneof(
        { weight: 3, arbitrary: fc.constant({ coding: [{ system: CPT, code: '72148', display: 'MRI lumbar spine' }] }) },
        { weight: 2, arbitrary: concept },
      ),
      authoredOn: date,
      subject: maybe(fc.constant({ reference: `Patient/${PATIENT_ID}` })),
    },
    { requiredKeys: ['id', 'code'] },
  );

const IMAGING = SERVICES.filter((s) => s.hook === 'order-select' || s.hook === 'order-sign');

/** A request that is well-formed where the service checks it, with a generated record behind it. */
export const recordRequest = fc
  .record({
    service: fc.constantFrom(...IMAGING),
    orders: fc
      .array(draftOrder('o1'), { minLength: 1, maxLength: 1 })
      .chain((first) => fc.array(draftOrder('o2'), { maxLength: 1 }).map((more) => [...first, ...more])),
    patient: fc.oneof({ weight: 6, arbitrary: patient }, { weight: 1, arbitrary: fc.constant(null) }),
    prefetch: fc.record(
      {
        conditions: prefetchValue,
        observations: prefetchValue,
        medications: prefetchValue,
        procedures: prefetchValue,
        imagingStudies: prefetchValue,
      },
      { requiredKeys: [] },
    ),
    extra: fc.option(fc.dictionary(fc.oneof(text, nasty), small, { maxKeys: 3 }), { nil: undefined }),
  })
  .map(({ service, orders, patient: p, prefetch, extra }) => ({
    service: service.id,
    body: {
      hook: service.hook,
      hookInstance: '0b1b8d3e-0d8a-4f59-9a1f-4b0a5a0b9b11',
      context: {
        userId: 'Practitioner/fuzz',
        patientId: PATIENT_ID,
        draftOrders: { resourceType: 'Bundle', type: 'collection', entry: orders.map((resource) => ({ resource })) },
        ...(service.hook === 'order-select' ? { selections: ['ServiceRequest/o1'] } : {}),
      },
      prefetch: { patient: p, ...prefetch },
      ...(extra ? { extension: extra } : {}),
    },
  }));

const PATIENT_VIEW = SERVICES.filter((s) => s.hook === 'patient-view');

/** A patient-view request with a generated record behind every prefetch key of its service. */
export const patientViewRequest = fc
  .record({
    service: fc.constantFrom(...PATIENT_VIEW),
    patient: fc.oneof({ weight: 6, arbitrary: patient }, { weight: 1, arbitrary: fc.constant(null) }),
    values: fc.array(prefetchValue, { minLength: 8, maxLength: 8 }),
    missing: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
  })
  .map(({ service, patient: p, values, missing }) => ({
    service: service.id,
    body: {
      hook: 'patient-view',
      hookInstance: '0b1b8d3e-0d8a-4f59-9a1f-4b0a5a0b9b12',
      context: { userId: 'Practitioner/fuzz', patientId: PATIENT_ID },
      // A key left out would be fetched, and these requests name no fhirServer: that path is the FHIR case's.
      prefetch: Object.fromEntries(
        Object.keys(service.prefetch).map((key, i) => [key, key === 'patient' ? p : missing[i] ? null : values[i]]),
      ),
    },
  }));

/** Real scenario requests: everything valid, the starting point for single-field mutations. */
function validRequests(): { service: string; body: unknown; paths: (string | number)[][] }[] {
  const out: { service: string; body: unknown; paths: (string | number)[][] }[] = [];
  const all = readScenarios();
  const scenarios = all.slice(0, 6);
  for (const scenario of scenarios) {
    for (const service of IMAGING) {
      const body = scenarioRequest(scenario, service, { prefetch: 'all' });
      out.push({ service: service.id, body, paths: pathsOf(body) });
    }
  }
  // Patient-view patients with STarT Back answers, SCOPiC items, mood scores and referrals to break.
  for (const id of [
    'sciatica-fast-track-high-3-positive',
    'chronic-pain-and-back-pain-both-services',
    'chronic-pain-referral-without-group-exercise',
  ]) {
    const scenario = all.find((s) => s.id === id);
    for (const service of PATIENT_VIEW) {
      if (!scenario) continue;
      const body = scenarioRequest(scenario, service, { prefetch: 'all' });
      out.push({ service: service.id, body, paths: pathsOf(body) });
    }
  }
  return out;
}

function pathsOf(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (at.length >= 8) return out;
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

function replaced(body: unknown, path: (string | number)[], next: unknown, remove: boolean): unknown {
  if (path.length === 0) return remove ? {} : next;
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (remove) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = next;
  return copy;
}

let valid: ReturnType<typeof validRequests> | undefined;

/** A valid request with one field replaced by anything, or removed. */
export const brokenRequest = fc
  .record({ which: fc.nat(), where: fc.nat(), next: value, remove: fc.boolean() })
  .map(({ which, where, next, remove }) => {
    valid ??= validRequests();
    const base = valid[which % valid.length]!;
    const path = base.paths[where % base.paths.length]!;
    return { service: base.service, body: replaced(base.body, path, next, remove && path.length > 0), path: path.join('.') };
  });

/** One value of every JSON type, some shaped like what the field would hold. */
export const EVERY_JSON_TYPE: readonly unknown[] = [
  null,
  true,
  false,
  0,
  -1.5,
  '',
  'ServiceRequest/o1',
  [],
  ['ServiceRequest/o1'],
  [1, null],
  {},
  { resourceType: 'Bundle' },
];

/** Every field any hook's request has (CDS Hooks 2.0), top level and in context. */
export const HOOK_FIELDS: readonly (readonly string[])[] = [
  ['hook'],
  ['hookInstance'],
  ['fhirServer'],
  ['fhirAuthorization'],
  ['fhirAuthorization', 'token_type'],
  ['fhirAuthorization', 'expires_in'],
  ['context'],
  ['prefetch'],
  ['context', 'userId'],
  ['context', 'patientId'],
  ['context', 'encounterId'],
  ['context', 'selections'],
  ['context', 'draftOrders'],
];

let everyField: ReturnType<typeof everyFieldOfEveryType> | undefined;

/** Each service's valid request with each hook field (its own hook's or another's) set to each JSON type. */
export function everyFieldOfEveryType(): { service: string; body: unknown; path: string }[] {
  valid ??= validRequests();
  const firstPerService = new Map(valid.map((v) => [v.service, v.body] as const));
  const out: { service: string; body: unknown; path: string }[] = [];
  for (const [service, body] of firstPerService) {
    for (const path of HOOK_FIELDS) {
      for (const next of EVERY_JSON_TYPE) {
        const copy = structuredClone(body) as Record<string, unknown>;
        let node = copy;
        for (const key of path.slice(0, -1)) {
          if (!node[key] || typeof node[key] !== 'object') node[key] = {};
          node = node[key] as Record<string, unknown>;
        }
        node[path[path.length - 1] as string] = next;
        out.push({ service, body: copy, path: `${path.join('.')}=${JSON.stringify(next)}` });
      }
    }
  }
  return out;
}

const POLLUTION = [
  '"__proto__":{"polluted":"yes","hook":"order-select","resourceType":"Bundle","entry":[{"resource":{"resourceType":"Condition"}}]},',
  '"constructor":{"prototype":{"polluted":"yes"}},',
  '"__proto__":{"__proto__":{"polluted":"yes"}},',
  '"prototype":{"polluted":"yes"},',
  '"__proto__":null,',
  '"__proto__":[1,2,3],',
  '"hasOwnProperty":"x","toString":1,"valueOf":{},',
];

/** JSON text with prototype-pollution keys spliced into one of its objects. */
function polluted(json: string, at: number, payload: string): string {
  const opens = [...json.matchAll(/\{(?!\})/g)].map((m) => m.index ?? 0);
  if (opens.length === 0) return json;
  const i = opens[at % opens.length]! + 1;
  return `${json.slice(0, i)}${payload}${json.slice(i)}`;
}

export const services = [...IMAGING, ...PATIENT_VIEW].map((s) => s.id);

/** Every kind of hook request body, with the service it is posted to. */
export const hookRequest: fc.Arbitrary<{ service: string; body: FuzzBody }> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .record({ service: fc.constantFrom(...services), json: anyJson })
      .map(({ service, json }) => ({ service, body: { kind: 'random JSON', text: expand(JSON.stringify(json)) } })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ service: fc.constantFrom(...services), v: hugeValue }).map(({ service, v }) => ({
      service,
      body: { kind: 'huge or deep value', text: expand(JSON.stringify({ hook: 'order-select', context: v, prefetch: { patient: v } })) },
    })),
  },
  {
    weight: 4,
    arbitrary: brokenRequest.map(({ service, body, path }) => ({
      service,
      body: { kind: `valid request, ${path || 'body'} broken`, text: expand(JSON.stringify(body)) },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.nat().map((i) => {
      const all = (everyField ??= everyFieldOfEveryType());
      const pick = all[i % all.length]!;
      return {
        service: pick.service,
        body: { kind: `hook field of another type: ${pick.path.split('=')[0]}`, text: JSON.stringify(pick.body) },
      };
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ req: fc.oneof(brokenRequest, recordRequest), at: fc.nat(), payload: fc.constantFrom(...POLLUTION) })
      .map(({ req, at, payload }) => ({
        service: req.service,
        body: { kind: 'prototype pollution keys', text: polluted(expand(JSON.stringify(req.body)), at, payload) },
      })),
  },
  {
    weight: 5,
    arbitrary: recordRequest.map(({ service, body }) => ({
      service,
      body: { kind: 'generated FHIR record', text: expand(JSON.stringify(body)) },
    })),
  },
  {
    weight: 4,
    arbitrary: patientViewRequest.map(({ service, body }) => ({
      service,
      body: { kind: 'generated patient-view record', text: expand(JSON.stringify(body)) },
    })),
  },
);
